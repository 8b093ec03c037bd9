/**
 * Runs a search: compile, resolve chains, query `<Type>_idx` with a stable sort and a keyset
 * cursor, count, fetch the resources, add _include/_revinclude, and build the searchset Bundle.
 */
import type { Doc, Filter } from '../../store/database.js';
import type { StoredVersion } from '../../store/resource-store.js';
import { compileSearch, sortFields, type CompiledSearch } from '../query/index.js';
import { addIncludes, type Found } from './includes.js';
import { and, indexDocsById, matchingDocs, searchFilter, type FilterContext } from './filters.js';
import { afterFilter, cursorOf, decodeCursor, encodeCursor, reversed, sortDocument, type SortKey } from './keyset.js';

export interface SearchInput {
  type: string;
  /** the query parameters (and form body ones), in order */
  params: ReadonlyArray<readonly [string, string]>;
  strict: boolean;
  /** `Patient/123/Observation?...`: limit to the compartment */
  compartment?: { type: string; id: string };
}

export interface SearchPage {
  compiled: CompiledSearch;
  matches: Found[];
  included: Found[];
  total?: number;
  next?: string;
  previous?: string;
}

const CURSOR = '_cursor';
/** Up to this many matches, the first page and the total come from one query. */
const COUNT_WITH_PAGE = 2000;

export function sortKeys(compiled: CompiledSearch): SortKey[] {
  const keys: SortKey[] = compiled.sort.map((s) => {
    const [field, dir] = Object.entries(sortFields(s.code, s.dir))[0];
    return { field, dir };
  });
  keys.push({ field: '_id', dir: 1 });
  return keys;
}

export function compileInput(ctx: FilterContext, input: SearchInput): CompiledSearch {
  return compileSearch({ type: input.type, params: input.params.filter(([k]) => k !== CURSOR), strict: input.strict, baseUrl: ctx.baseUrl });
}

export async function runSearch(ctx: FilterContext, input: SearchInput): Promise<SearchPage> {
  const compiled = compileInput(ctx, input);
  const { store, session } = ctx;
  await store.prepare(input.type);
  const filter = await searchFilter(ctx, input, compiled);
  const keys = sortKeys(compiled);
  const count = compiled.count ?? 20;
  const cursorText = input.params.find(([k]) => k === CURSOR)?.[1];
  const cursor = cursorText === undefined ? undefined : decodeCursor(cursorText, keys);
  const summaryCount = compiled.summary === 'count';
  const wantTotal = summaryCount || compiled.total === 'accurate' || compiled.total === 'estimate' || (compiled.total === undefined && !cursor);

  let docs: Doc[] = [];
  let hasMore = false;
  let hasBefore = false;
  let total: number | undefined;
  if (wantTotal && !cursor && !summaryCount && count > 0) {
    // The first page and its total in one pass when the matches are few enough to hold: the ids
    // and sort keys of the matches (an index can answer that alone), then the page's index values.
    const found = await store
      .searchOf(input.type)
      .find(filter, { sort: sortDocument(keys), limit: COUNT_WITH_PAGE + 1, projection: keysProjection(keys), session })
      .toArray();
    if (found.length <= COUNT_WITH_PAGE) {
      total = found.length;
      docs = await inOrder(ctx, input.type, found.slice(0, count));
      hasMore = found.length > count;
    }
  }
  if (total === undefined && !summaryCount && count > 0) {
    const backwards = cursor?.dir === 'p';
    const order = backwards ? reversed(keys) : keys;
    const pageFilter = cursor ? and([filter, afterFilter(order, cursor.values)]) : filter;
    const found = await store
      .searchOf(input.type)
      .find(pageFilter, { sort: sortDocument(order), limit: count + 1, session })
      .toArray();
    const more = found.length > count;
    docs = found.slice(0, count);
    if (backwards) {
      docs.reverse();
      hasBefore = more;
      hasMore = true;
    } else {
      hasMore = more;
      hasBefore = cursor !== undefined;
    }
  }
  if (wantTotal && total === undefined) total = await store.searchOf(input.type).countDocuments(filter, { session });
  const versions = await store.readMany(input.type, docs.map((d) => String(d._id)), session);
  const byId = new Map(docs.map((d) => [String(d._id), d]));
  const matches: Found[] = versions.map((v) => ({ version: v, idx: byId.get(v.id)!._idx as Found['idx'] }));
  const included = await addIncludes(ctx, input.type, compiled, matches);

  const page: SearchPage = { compiled, matches, included, total };
  if (docs.length) {
    if (hasMore) page.next = encodeCursor(cursorOf(docs[docs.length - 1], keys, 'n'));
    if (hasBefore) page.previous = encodeCursor(cursorOf(docs[0], keys, 'p'));
  }
  return page;
}

/** The projection onto a page's sort keys (and `_id`). */
function keysProjection(keys: readonly SortKey[]): Record<string, 1> {
  return Object.fromEntries(keys.map((k) => [k.field, 1 as const]));
}

/** The whole index documents of `found` (projected ones), in their order. */
async function inOrder(ctx: FilterContext, type: string, found: Doc[]): Promise<Doc[]> {
  if (found.length === 0) return [];
  const ids = found.map((d) => String(d._id));
  const byId = await indexDocsById(ctx, type, ids);
  return ids.map((id) => byId.get(id)).filter((d): d is Doc => d !== undefined);
}

/** Ids of the current resources matching a search (conditional interactions), at most `limit`. */
export async function matchingIds(ctx: FilterContext, type: string, params: ReadonlyArray<readonly [string, string]>, limit: number): Promise<string[]> {
  return (await matchingDocs(ctx, type, params, limit, { _id: 1 })).map((d) => d._id);
}

export function searchEntry(baseUrl: string, v: StoredVersion, mode: 'match' | 'include'): fhir4.BundleEntry {
  return { fullUrl: `${baseUrl}/${v.type}/${v.id}`, resource: v.resource, search: { mode } };
}
