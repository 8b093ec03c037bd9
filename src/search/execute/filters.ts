/**
 * The parts of a search filter that need the database: chained parameters and _has run as
 * sub-searches whose results become `$in` filters on the index keys; compartments become
 * reference filters.
 */
import { createRequire } from 'node:module';
import { FhirError, badRequest } from '../../fhir/errors.js';
import type { DbSession, Doc, Filter } from '../../store/database.js';
import type { ResourceStore } from '../../store/resource-store.js';
import { andFilters } from '../query/combine.js';
import { NOTHING, compileSearch, idFilter, referenceFilter, type ChainSpec, type CompiledSearch } from '../query/index.js';
import type { IndexEntry } from '../types.js';
import type { AccessContext } from '../../auth/access.js';
import { limitFilter } from '../../auth/limits.js';
import { specialFilter } from './special.js';

const require = createRequire(import.meta.url);
const COMPARTMENTS = require('../../fhir/generated/compartments.json') as Record<string, Record<string, string[]>>;

/** Matches a sub-search may produce before it is refused as too costly. */
export const MAX_SUB_MATCHES = 10_000;

export interface FilterContext {
  store: ResourceStore;
  baseUrl: string;
  session?: DbSession;
  /** the requester's access (src/auth): what it may not see is left out of every query */
  access?: AccessContext;
}

/** The context of the searches and checks one request makes: its transaction and its access. */
export function contextOf(store: ResourceStore, baseUrl: string, req: { session?: DbSession; access?: AccessContext }): FilterContext {
  return { store, baseUrl, session: req.session, access: req.access };
}

export const and = andFilters;

/**
 * The compiled filter with its chains and _has resolved, ANDed with `scope` (compartment, access
 * limit). Special parameters that read candidates (near, _content) see all of it, so they never
 * read outside the scope.
 */
export async function resolveFilter(ctx: FilterContext, type: string, compiled: CompiledSearch, scope: Filter[] = []): Promise<Filter> {
  const parts: Filter[] = [compiled.filter, ...scope];
  for (const chain of compiled.chains) parts.push(await chainFilter(ctx, type, chain));
  if (compiled.special) parts.push(await specialFilter(ctx, type, compiled.special, and(parts)));
  return and(parts);
}

/** The filter of a search: its conditions, the compartment, and what the requester may search. */
export async function searchFilter(ctx: FilterContext, input: { type: string; compartment?: { type: string; id: string } }, compiled: CompiledSearch): Promise<Filter> {
  const scope: Filter[] = [];
  if (input.compartment) scope.push(compartmentFilter(input.compartment.type, input.compartment.id, input.type));
  scope.push(await limitFilter(ctx, input.type, 's'));
  return resolveFilter(ctx, input.type, compiled, scope);
}

export type IndexDoc = { _id: string; _idx: { e?: IndexEntry[] } };

/** The `<Type>_idx` documents of these ids that also match `filter` (one query), by id. */
export async function indexDocsById(ctx: FilterContext, type: string, ids: readonly string[], filter: Filter = {}): Promise<Map<string, Doc>> {
  const docs = await ctx.store.searchOf(type).find(and([{ _id: { $in: [...ids] } }, filter]), { session: ctx.session }).toArray();
  return new Map(docs.map((d: Doc) => [String(d._id), d]));
}

/**
 * The index documents of `type` matching `params` (strict: every parameter must be known), at
 * most `limit`: the core of sub-searches and of conditional interactions.
 */
export async function matchingDocs(ctx: FilterContext, type: string, params: ReadonlyArray<readonly [string, string]>, limit: number, projection?: Record<string, 0 | 1>): Promise<IndexDoc[]> {
  const compiled = compileSearch({ type, params, strict: true, baseUrl: ctx.baseUrl });
  const filter = await searchFilter(ctx, { type }, compiled);
  await ctx.store.prepare(type);
  return (await ctx.store.searchOf(type).find(filter, { limit, projection, session: ctx.session }).toArray()) as unknown as IndexDoc[];
}

async function subSearch(ctx: FilterContext, type: string, name: string, value: string): Promise<IndexDoc[]> {
  const docs = await matchingDocs(ctx, type, [[name, value]], MAX_SUB_MATCHES + 1);
  if (docs.length > MAX_SUB_MATCHES) {
    throw new FhirError(400, 'too-costly', `'${name}=${value}' on ${type} matches more than ${MAX_SUB_MATCHES} resources; narrow the chained search`);
  }
  return docs;
}

async function chainFilter(ctx: FilterContext, type: string, chain: ChainSpec): Promise<Filter> {
  if (chain.kind === 'chain') {
    const refs: string[] = [];
    for (const target of chain.targetTypes) {
      for (const d of await subSearch(ctx, target, chain.rest, chain.value)) refs.push(`${target}/${d._id}`);
    }
    return refs.length ? referenceFilter(chain.param, refs) : NOTHING;
  }
  // _has: resources of targetTypes[0] matching rest=value that point at us through param.
  const ids = new Set<string>();
  for (const d of await subSearch(ctx, chain.targetTypes[0], chain.rest, chain.value)) {
    for (const e of d._idx.e ?? []) if (e.p === chain.param && e.rt === type && e.id) ids.add(e.id);
  }
  return ids.size ? idFilter([...ids]) : NOTHING;
}

/** The resources of `type` in the compartment of `owner` (CompartmentDefinition params). */
export function compartmentFilter(compartment: string, ownerId: string, type: string): Filter {
  const params = COMPARTMENTS[compartment]?.[type];
  const owner = `${compartment}/${ownerId}`;
  const branches: Filter[] = (params ?? []).map((p) => (p === '{def}' ? idFilter([ownerId]) : referenceFilter(p, [owner])));
  if (type === compartment) branches.push(idFilter([ownerId]));
  if (branches.length === 0) throw badRequest(`${type} is not part of the ${compartment} compartment`);
  return branches.length === 1 ? branches[0] : { $or: branches };
}

export function isCompartment(type: string): boolean {
  return type in COMPARTMENTS;
}

/** The resource types that can be in a compartment (the owner's own type included). */
export function compartmentTypes(compartment: string): string[] {
  const types = new Set(Object.keys(COMPARTMENTS[compartment] ?? {}));
  types.add(compartment);
  return [...types];
}
