/**
 * What a token lets a request see and write, per resource type and SMART permission letter
 * (c r u d s): a filter over the search index (`<Type>_idx`). Search, _include, _revinclude, chains,
 * _has and conditional interactions add it to their queries (so pages are full and totals right);
 * read, vread, history and writes test a resource against it in memory.
 *
 *   system/ scopes   everything of the type (within a v2 `?param=value` restriction)
 *   patient/ scopes  the patient compartment (R4 CompartmentDefinition/patient) of the token's patient
 *   user/ scopes     what the user's role allows: a patient user their own compartment; a
 *                    practitioner the Practitioner compartment (what they authored or took part in)
 *                    plus public directory data; an administrator everything
 */
import { Query } from 'mingo';
import type { Filter } from '../store/database.js';
import { compileSearch, NOTHING } from '../search/query/index.js';
import { compartmentFilter, resolveFilter, type FilterContext } from '../search/execute/filters.js';
import { extractSearchIndex } from '../search/index.js';
import { localReference } from '../fhir/references.js';
import type { AccessContext } from './access.js';
import type { Permission, ResourceScope } from './scopes.js';
import type { QueryPairs } from '../resources/interaction.js';

/** Public directory data a practitioner may read with user/ scopes. */
export const DIRECTORY_TYPES: ReadonlySet<string> = new Set(['Practitioner', 'PractitionerRole', 'Organization', 'Location', 'HealthcareService', 'Schedule', 'Slot']);

export interface LimitBranch {
  compartment?: { type: string; id: string };
  restriction: QueryPairs;
}

/** 'all': no limit; 'none': nothing; else any of the branches. */
export type TypeLimit = 'all' | 'none' | LimitBranch[];

function branchOf(ctx: AccessContext, scope: ResourceScope, type: string): LimitBranch | undefined {
  const claims = ctx.claims!;
  const restriction = scope.restriction;
  switch (scope.context) {
    case 'system':
      return claims.role === 'system' ? { restriction } : undefined;
    case 'patient':
      return claims.patient ? { compartment: { type: 'Patient', id: claims.patient }, restriction } : undefined;
    case 'user': {
      if (claims.role === 'admin') return { restriction };
      const me = localReference(claims.fhirUser);
      if (!me) return undefined;
      if (claims.role === 'patient' && me.type === 'Patient') return { compartment: me, restriction };
      if (claims.role === 'practitioner' && me.type === 'Practitioner') return DIRECTORY_TYPES.has(type) ? { restriction } : { compartment: me, restriction };
      return undefined;
    }
  }
}

/** The limit of `ctx` on `type` for `letter`. */
export function limitFor(ctx: AccessContext | undefined, type: string, letter: Permission): TypeLimit {
  if (!ctx) return 'all'; // internal use: no request behind it
  if (!ctx.claims) return 'none';
  const branches: LimitBranch[] = [];
  for (const scope of ctx.scopes) {
    if (!scope.permissions.has(letter) || (scope.type !== '*' && scope.type !== type)) continue;
    const b = branchOf(ctx, scope, type);
    if (!b) continue;
    if (!b.compartment && b.restriction.length === 0) return 'all';
    branches.push(b);
  }
  return branches.length ? branches : 'none';
}

/** Does the context allow `letter` on `type` at all (for some resources)? */
export function allowsAny(ctx: AccessContext | undefined, type: string, letter: Permission): boolean {
  return limitFor(ctx, type, letter) !== 'none';
}

/** A branch's filter; `pure` when it depends on the token alone (no sub-search), so it may be kept. */
async function branchFilter(fctx: FilterContext, type: string, b: LimitBranch): Promise<{ filter: Filter; pure: boolean }> {
  const parts: Filter[] = [];
  let pure = true;
  if (b.compartment) {
    try {
      parts.push(compartmentFilter(b.compartment.type, b.compartment.id, type));
    } catch {
      return { filter: NOTHING, pure }; // the type is not part of that compartment
    }
  }
  if (b.restriction.length) {
    try {
      const compiled = compileSearch({ type, params: b.restriction, strict: true, baseUrl: fctx.baseUrl });
      pure = compiled.chains.length === 0 && !compiled.special;
      parts.push(await resolveFilter({ ...fctx, access: undefined }, type, compiled));
    } catch {
      return { filter: NOTHING, pure }; // a restriction this server cannot evaluate grants nothing
    }
  }
  return { filter: parts.length === 1 ? parts[0] : { $and: parts }, pure };
}

interface LimitEntry {
  filter: Filter;
  /** the filter compiled for testing single index documents in memory */
  query: Query;
}

/** Per token (its claims object lives as long as the verified token), the filters that need no database. */
const kept = new WeakMap<object, Map<string, LimitEntry>>();

async function limitEntry(fctx: FilterContext, type: string, letter: Permission, branches: LimitBranch[]): Promise<LimitEntry> {
  const claims = fctx.access!.claims!;
  const key = `${type}|${letter}`;
  const hit = kept.get(claims)?.get(key);
  if (hit) return hit;
  const built = await Promise.all(branches.map((b) => branchFilter(fctx, type, b)));
  const filter = built.length === 1 ? built[0].filter : { $or: built.map((b) => b.filter) };
  const entry: LimitEntry = { filter, query: new Query(filter) };
  if (built.every((b) => b.pure)) {
    let byKey = kept.get(claims);
    if (!byKey) kept.set(claims, (byKey = new Map()));
    byKey.set(key, entry);
  }
  return entry;
}

/**
 * The index filter of the limit ({} for 'all'). The caller ANDs it into its query.
 */
export async function limitFilter(fctx: FilterContext, type: string, letter: Permission): Promise<Filter> {
  const limit = limitFor(fctx.access, type, letter);
  if (limit === 'all') return {};
  if (limit === 'none') return NOTHING;
  return (await limitEntry(fctx, type, letter, limit)).filter;
}

/** Is this content (of any version) within the limit of `letter`? Tested on its extracted index. */
export async function withinLimit(fctx: FilterContext, resource: fhir4.Resource, letter: Permission): Promise<boolean> {
  const type = resource.resourceType;
  const limit = limitFor(fctx.access, type, letter);
  if (limit === 'all') return true;
  if (limit === 'none') return false;
  if (type === 'Binary') return binaryWithinLimit(fctx, resource as fhir4.Binary, letter);
  const { query } = await limitEntry(fctx, type, letter, limit);
  return query.test({ _id: resource.id ?? '', _idx: extractSearchIndex(resource, { localBase: fctx.baseUrl }) });
}

/**
 * Is the current version of type/id within the limit of `letter`? Tested on its stored index (no
 * extraction); undefined when there is no current version (never created, or deleted).
 */
export async function currentWithinLimit(fctx: FilterContext, type: string, id: string, letter: Permission): Promise<boolean | undefined> {
  const limit = limitFor(fctx.access, type, letter);
  const index = fctx.store.searchOf(type);
  const exists = async () => (await index.findOne({ _id: id }, { projection: { _id: 1 }, session: fctx.session })) !== null;
  if (limit === 'all' || limit === 'none') return (await exists()) ? limit === 'all' : undefined;
  if (type === 'Binary') {
    const current = await fctx.store.readCurrent(type, id, fctx.session);
    return current?.resource && !current.deleted ? binaryWithinLimit(fctx, current.resource as fhir4.Binary, letter) : undefined;
  }
  const { filter } = await limitEntry(fctx, type, letter, limit);
  if (await index.findOne({ $and: [{ _id: id }, filter] }, { projection: { _id: 1 }, session: fctx.session })) return true;
  return (await exists()) ? false : undefined;
}

/**
 * A Binary is not in any compartment: it is within a compartment limit when its securityContext
 * names a resource that is (read with the same letter), as FHIR's Binary security rules suggest.
 */
async function binaryWithinLimit(fctx: FilterContext, binary: fhir4.Binary, letter: Permission): Promise<boolean> {
  const target = localReference(binary.securityContext?.reference, fctx.baseUrl);
  if (!target) return false;
  return (await currentWithinLimit(fctx, target.type, target.id, letter === 's' ? 'r' : letter)) === true;
}
