/**
 * The access decision applied to single resources, for the interactions in src/resources: reads
 * answer 404 for what is outside the grant (as if it did not exist), writes 403. Current versions
 * are tested on their stored search index, other content on its extracted one.
 */
import { forbidden, notFound } from '../fhir/errors.js';
import type { StoredVersion } from '../store/resource-store.js';
import type { FhirRequest } from '../resources/interaction.js';
import type { FilterContext } from '../search/execute/filters.js';
import { allowsAny, currentWithinLimit, limitFor, withinLimit } from './limits.js';
import type { Permission } from './scopes.js';

const VERB: Record<Permission, string> = { c: 'create', r: 'read', u: 'update', d: 'delete', s: 'search' };

/** 403 unless the token grants `letter` on `type` for at least some resources. */
export function requirePermission(req: FhirRequest, type: string, letter: Permission): void {
  if (!allowsAny(req.access, type, letter)) throw forbidden(`The access token does not allow to ${VERB[letter]} ${type} resources`);
}

/**
 * A version the requester may read, else 404 (the same answer as for an unknown id). `current`:
 * it is the current version (a read), so its stored index answers.
 */
export async function requireReadable(ctx: FilterContext, v: StoredVersion, what: string, current = false): Promise<void> {
  if (!ctx.access || !v.resource || limitFor(ctx.access, v.type, 'r') === 'all') return;
  const ok = current ? await currentWithinLimit(ctx, v.type, v.id, 'r') : await withinLimit(ctx, v.resource, 'r');
  if (!ok) throw notFound(`${what} is not known`);
}

function outsideGrant(letter: Permission, type: string) {
  return forbidden(`The access token does not allow to ${VERB[letter]} this ${type}: it is outside the granted scopes`);
}

/** New content the requester may write with `letter`, else 403. */
export async function requireWritable(ctx: FilterContext, resource: fhir4.Resource, letter: Permission): Promise<void> {
  if (!ctx.access || limitFor(ctx.access, resource.resourceType, letter) === 'all') return;
  if (!(await withinLimit(ctx, resource, letter))) throw outsideGrant(letter, resource.resourceType);
}

/**
 * The current version of type/id, when there is one, must be readable (else 404) and within the
 * grant of `letter` (else 403) before it is updated or deleted.
 */
export async function requireCurrentWritable(ctx: FilterContext, type: string, id: string, letter: 'u' | 'd'): Promise<void> {
  if (!ctx.access || limitFor(ctx.access, type, letter) === 'all') return;
  const readable = limitFor(ctx.access, type, 'r') === 'all' || (await currentWithinLimit(ctx, type, id, 'r'));
  if (readable === undefined) return; // nothing there yet
  if (!readable) throw notFound(`${type}/${id} is not known`);
  if (!(await currentWithinLimit(ctx, type, id, letter))) throw outsideGrant(letter, type);
}

/** The versions of a history page the requester may see (deleted ones only with an unlimited grant). */
export async function visibleVersions(ctx: FilterContext, versions: StoredVersion[], letter: Permission): Promise<StoredVersion[]> {
  if (!ctx.access) return versions;
  const out: StoredVersion[] = [];
  for (const v of versions) {
    const limit = limitFor(ctx.access, v.type, letter);
    if (limit === 'all') out.push(v);
    else if (limit !== 'none' && v.resource && (await withinLimit(ctx, v.resource, letter))) out.push(v);
  }
  return out;
}
