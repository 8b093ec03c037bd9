/**
 * The search interactions (hl7.org/fhir/R4/search.html): type search (GET and POST _search),
 * compartment search and system search, answered as searchset Bundles with self/next/previous.
 */
import { badRequest } from '../fhir/errors.js';
import { isResourceType } from '../fhir/definitions.js';
import type { ResourceStore } from '../store/resource-store.js';
import { runSearch, searchEntry, type SearchInput, type SearchPage } from '../search/execute/search.js';
import { compileSearch } from '../search/query/index.js';
import { compartmentTypes, contextOf } from '../search/execute/filters.js';
import { withQuery, type FhirRequest, type FhirResponse, type QueryPairs } from './interaction.js';

export interface SearchDeps {
  store: ResourceStore;
  baseUrl: string;
}

function outcomeEntry(unknown: string[]): fhir4.BundleEntry | undefined {
  if (unknown.length === 0) return undefined;
  return {
    resource: {
      resourceType: 'OperationOutcome',
      issue: unknown.map((name) => ({ severity: 'warning', code: 'not-supported', diagnostics: `The search parameter '${name}' is not supported here and was ignored`, expression: [name] })),
    } as fhir4.OperationOutcome,
    search: { mode: 'outcome' },
  };
}

function bundleOf(deps: SearchDeps, path: string, page: SearchPage): fhir4.Bundle {
  const self = page.compiled.selfParams;
  const links: fhir4.BundleLink[] = [{ relation: 'self', url: withQuery(`${deps.baseUrl}/${path}`, self) }];
  if (page.next) links.push({ relation: 'next', url: withQuery(`${deps.baseUrl}/${path}`, [...self, ['_cursor', page.next]]) });
  if (page.previous) links.push({ relation: 'previous', url: withQuery(`${deps.baseUrl}/${path}`, [...self, ['_cursor', page.previous]]) });
  const entry: fhir4.BundleEntry[] = [
    ...page.matches.map((m) => searchEntry(deps.baseUrl, m.version, 'match')),
    ...page.included.map((m) => searchEntry(deps.baseUrl, m.version, 'include')),
  ];
  const outcome = outcomeEntry(page.compiled.unknown);
  if (outcome) entry.push(outcome);
  const bundle: fhir4.Bundle = { resourceType: 'Bundle', type: 'searchset' };
  if (page.total !== undefined) bundle.total = page.total;
  bundle.link = links;
  if (entry.length) bundle.entry = entry;
  return bundle;
}

export async function searchType(deps: SearchDeps, req: FhirRequest, type: string, params: QueryPairs, compartment?: SearchInput['compartment']): Promise<FhirResponse> {
  const input: SearchInput = { type, params, strict: req.handling === 'strict', compartment };
  const page = await runSearch(contextOf(deps.store, deps.baseUrl, req), input);
  const path = compartment ? `${compartment.type}/${compartment.id}/${type}` : type;
  return { status: 200, resource: bundleOf(deps, path, page) };
}

/**
 * System search: `_type` (or every type with data) and the parameters common to all resources.
 * Pages run type by type in name order; the cursor is the type plus that type's cursor.
 */
export async function searchSystem(deps: SearchDeps, req: FhirRequest, params: QueryPairs, compartment?: SearchInput['compartment']): Promise<FhirResponse> {
  const typeParam = params.filter(([k]) => k === '_type').flatMap(([, v]) => v.split(',').map((s) => s.trim()).filter(Boolean));
  for (const t of typeParam) if (!isResourceType(t)) throw badRequest(`_type: '${t}' is not a FHIR R4 resource type`, ['_type']);
  const known = await deps.store.knownTypes(req.session);
  const inCompartment = compartment ? new Set(compartmentTypes(compartment.type)) : undefined;
  const types = (typeParam.length ? [...new Set(typeParam)] : known).filter((t) => !inCompartment || inCompartment.has(t)).sort();
  const rest = params.filter(([k]) => k !== '_type' && k !== '_cursor' && k !== '_tcursor');
  // The parameters must make sense for every type searched: compile them once per type first.
  const strict = req.handling === 'strict';
  const compiled = types.map((t) => compileSearch({ type: t, params: rest, strict, baseUrl: deps.baseUrl }));
  const count = compiled[0]?.count ?? 20;
  const tcursor = params.find(([k]) => k === '_tcursor')?.[1];
  let startType = 0;
  let innerCursor: string | undefined;
  if (tcursor) {
    const sep = tcursor.indexOf('.');
    startType = types.indexOf(tcursor.slice(0, sep));
    innerCursor = tcursor.slice(sep + 1) || undefined;
    if (startType < 0 || sep < 0) throw badRequest('_tcursor is not a cursor of this search', ['_tcursor']);
  }
  const ctx = contextOf(deps.store, deps.baseUrl, req);
  const entry: fhir4.BundleEntry[] = [];
  let next: string | undefined;
  for (let i = startType; i < types.length && entry.length < count; i++) {
    const inner: Array<readonly [string, string]> = [...rest.filter(([k]) => k !== '_count' && k !== '_total'), ['_count', String(count - entry.length)], ['_total', 'none']];
    if (i === startType && innerCursor) inner.push(['_cursor', innerCursor]);
    const page = await runSearch(ctx, { type: types[i], params: inner, strict, compartment });
    entry.push(...page.matches.map((m) => searchEntry(deps.baseUrl, m.version, 'match')));
    entry.push(...page.included.map((m) => searchEntry(deps.baseUrl, m.version, 'include')));
    if (page.next) next = `${types[i]}.${page.next}`;
    else if (entry.length >= count && i + 1 < types.length) next = `${types[i + 1]}.`;
  }
  let total: number | undefined;
  if (!tcursor) {
    total = 0;
    for (const t of types) {
      const page = await runSearch(ctx, { type: t, params: [...rest.filter(([k]) => k !== '_count' && k !== '_total'), ['_count', '0']], strict, compartment });
      total += page.total ?? 0;
    }
  }
  const self: Array<[string, string]> = [...(typeParam.length ? ([['_type', types.join(',')]] as Array<[string, string]>) : []), ...compiled[0]?.selfParams ?? []];
  const base = compartment ? `${deps.baseUrl}/${compartment.type}/${compartment.id}/*` : deps.baseUrl;
  const links: fhir4.BundleLink[] = [{ relation: 'self', url: withQuery(base, self) }];
  if (next) links.push({ relation: 'next', url: withQuery(base, [...self, ['_tcursor', next]]) });
  const bundle: fhir4.Bundle = { resourceType: 'Bundle', type: 'searchset' };
  if (total !== undefined) bundle.total = total;
  bundle.link = links;
  const outcome = outcomeEntry(compiled[0]?.unknown ?? []);
  if (outcome) entry.push(outcome);
  if (entry.length) bundle.entry = entry;
  return { status: 200, resource: bundle };
}

