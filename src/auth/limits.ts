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
import type { ResourceStore } from '../store/resource-store.js';
import type { DbSession } from '../store/database.js';
import { compileSearch, NOTHING } from '../search/query/index.js';
import { compartmentFilter, resolveFilter, type FilterContext } from '../search/execute/filters.js';
import { extractSearchIndex } from '../search/index.js';
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

function splitReference(ref: string | undefined): { type: string; id: string } | undefined {
  const m = ref ? /^([A-Z][A-Za-z]+)\/([A-Za-z0-9.-]{1,64})$/.exec(ref) : null;
  return m ? { type: m[1], id: m[2] } : undefined;
}

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
      const me = splitReference(claims.fhirUser);
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

async function branchFilter(fctx: FilterContext, type: string, b: LimitBranch): Promise<Filter> {
  const parts: Filter[] = [];
  if (b.compartment) {
    try {
      parts.push(compartmentFilter(b.compartment.type, b.compartment.id, type));
    } catch {
      return NOTHING; // the type is not part of that compartment
    }
  }
  if (b.restriction.length) {
    try {
      const compiled = compileSearch({ type, params: b.restriction, strict: true, baseUrl: fctx.baseUrl });
      parts.push(await resolveFilter({ ...fctx, access: undefined }, type, compiled));
    } catch {
      return NOTHING; // a restriction this server cannot evaluate grants nothing
    }
  }
  return parts.length === 1 ? parts[0] : { $and: parts };
}

/**
 * The index filter of the limit ({} for 'all'). The caller ANDs it into its query.
 */
export async function limitFilter(fctx: FilterContext, type: string, letter: Permission): Promise<Filter> {
  const limit = limitFor(fctx.access, type, letter);
  if (limit === 'all') return {};
  if (limit === 'none') return NOTHING;
  const filters = await Promise.all(limit.map((b) => branchFilter(fctx, type, b)));
  return filters.length === 1 ? filters[0] : { $or: filters };
}

export interface VisibilityContext {
  store: ResourceStore;
  baseUrl: string;
  session?: DbSession;
  access?: AccessContext;
}

/** Is this resource (any version's content) within the limit of `letter`? */
export async function withinLimit(vctx: VisibilityContext, resource: fhir4.Resource, letter: Permission): Promise<boolean> {
  const type = resource.resourceType;
  const limit = limitFor(vctx.access, type, letter);
  if (limit === 'all') return true;
  if (limit === 'none') return false;
  if (type === 'Binary') return binaryWithinLimit(vctx, resource as fhir4.Binary, letter);
  const filter = await limitFilter(vctx, type, letter);
  const doc = { _id: resource.id ?? '', _idx: extractSearchIndex(resource, { localBase: vctx.baseUrl }) };
  return new Query(filter).test(doc);
}

/**
 * A Binary is not in any compartment: it is within a compartment limit when its securityContext
 * names a resource that is (read with the same letter), as FHIR's Binary security rules suggest.
 */
async function binaryWithinLimit(vctx: VisibilityContext, binary: fhir4.Binary, letter: Permission): Promise<boolean> {
  const target = splitReference(binary.securityContext?.reference);
  if (!target) return false;
  const current = await vctx.store.readCurrent(target.type, target.id, vctx.session);
  if (!current?.resource) return false;
  return withinLimit(vctx, current.resource, letter === 's' ? 'r' : letter);
}
