/**
 * The access decision applied to single resources, for the interactions in src/resources: reads
 * answer 404 for what is outside the grant (as if it did not exist), writes 403.
 */
import { forbidden, notFound } from '../fhir/errors.js';
import type { ResourceStore, StoredVersion } from '../store/resource-store.js';
import type { FhirRequest } from '../resources/interaction.js';
import { allowsAny, limitFor, withinLimit, type VisibilityContext } from './limits.js';
import type { Permission } from './scopes.js';

const VERB: Record<Permission, string> = { c: 'create', r: 'read', u: 'update', d: 'delete', s: 'search' };

function vctx(store: ResourceStore, baseUrl: string, req: FhirRequest): VisibilityContext {
  return { store, baseUrl, session: req.session, access: req.access };
}

/** 403 unless the token grants `letter` on `type` for at least some resources. */
export function requirePermission(req: FhirRequest, type: string, letter: Permission): void {
  if (!allowsAny(req.access, type, letter)) throw forbidden(`The access token does not allow to ${VERB[letter]} ${type} resources`);
}

/** A version the requester may read, else 404 (the same answer as for an unknown id). */
export async function requireReadable(store: ResourceStore, baseUrl: string, req: FhirRequest, v: StoredVersion, what: string): Promise<void> {
  if (!req.access || !v.resource) return;
  if (limitFor(req.access, v.type, 'r') === 'all') return;
  if (!(await withinLimit(vctx(store, baseUrl, req), v.resource, 'r'))) throw notFound(`${what} is not known`);
}

/** A resource the requester may write with `letter` (its content before or after the write), else 403. */
export async function requireWritable(store: ResourceStore, baseUrl: string, req: FhirRequest, resource: fhir4.Resource, letter: Permission): Promise<void> {
  if (!req.access) return;
  const limit = limitFor(req.access, resource.resourceType, letter);
  if (limit === 'all') return;
  if (limit === 'none' || !(await withinLimit(vctx(store, baseUrl, req), resource, letter))) {
    throw forbidden(`The access token does not allow to ${VERB[letter]} this ${resource.resourceType}: it is outside the granted scopes`);
  }
}

/** The versions of a history page the requester may see (deleted ones only with an unlimited grant). */
export async function visibleVersions(store: ResourceStore, baseUrl: string, req: FhirRequest, versions: StoredVersion[], letter: Permission): Promise<StoredVersion[]> {
  if (!req.access) return versions;
  const out: StoredVersion[] = [];
  const ctx = vctx(store, baseUrl, req);
  for (const v of versions) {
    const limit = limitFor(req.access, v.type, letter);
    if (limit === 'all') out.push(v);
    else if (limit !== 'none' && v.resource && (await withinLimit(ctx, v.resource, letter))) out.push(v);
  }
  return out;
}

/** The current version of `type/id`, when there is one, must be within the grant too (else 403, or 404 when unreadable). */
export async function requireCurrentWritable(store: ResourceStore, baseUrl: string, req: FhirRequest, type: string, id: string, letter: 'u' | 'd'): Promise<void> {
  if (!req.access || limitFor(req.access, type, letter) === 'all') return;
  const current = await store.readCurrent(type, id, req.session);
  if (!current?.resource || current.deleted) return;
  await requireReadable(store, baseUrl, req, current, `${type}/${id}`);
  await requireWritable(store, baseUrl, req, current.resource, letter);
}
