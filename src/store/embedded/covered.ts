/**
 * Covered queries, as MongoDB has them: when every field a filter reads is a field of the
 * (non-multikey) index the plan scans, or `_id`, the filter is tested on the values held in the
 * index keys, and documents are read only for the page that is returned (or not at all for a
 * count, or for a projection onto those fields). An entry whose values cannot be told exactly from
 * its key (null or missing, a string that may have been cut, an object) is tested on its document
 * instead, so the answer is always the one mingo gives on the documents.
 *
 * Only on committed views: layered (uncommitted) documents are not in the index.
 */
import type { Doc, Filter, Projection, SortSpec } from '../database.js';
import { decodeComponent, encodeId, keyString } from './keys.js';
import { isPlainObject, sortDocs, type Matcher } from './evaluate.js';
import type { Plan } from './planner.js';
import { indexEntries } from './scan.js';
import type { IndexDef, View } from './store.js';

/** Adds the fields the filter reads to `out`; false if it uses a top-level operator other than $and / $or / $nor. */
function filterFields(filter: Filter, out: Set<string>): boolean {
  for (const [k, v] of Object.entries(filter)) {
    if (k === '$and' || k === '$or' || k === '$nor') {
      if (!Array.isArray(v) || v.length === 0) return false;
      for (const sub of v) if (!isPlainObject(sub) || !filterFields(sub, out)) return false;
    } else if (k.startsWith('$')) return false;
    else out.add(k);
  }
  return true;
}

/** The fields a filter reads, or undefined when it uses other top-level operators. */
export function filterFieldSet(filter: Filter): Set<string> | undefined {
  const fields = new Set<string>();
  return filterFields(filter, fields) ? fields : undefined;
}

/** The index whose keys hold every field the filter reads, when the plan scans it; else undefined. */
export function coveringIndex(view: View, plan: Plan, filter: Filter | null | undefined): IndexDef | undefined {
  if (view.layered || plan.kind !== 'index' || plan.index.multikey || !filter) return undefined;
  const fields = filterFieldSet(filter);
  if (!fields || fields.size === 0) return undefined;
  for (const f of fields) if (f !== '_id' && !plan.index.fields.includes(f)) return undefined;
  return plan.index;
}

/** Whether `fields` (index fields and `_id`) are all a sort or an inclusion projection needs. */
function coversSort(def: IndexDef, sort: SortSpec | undefined): boolean {
  return !sort || Object.keys(sort).every((f) => f === '_id' || def.fields.includes(f));
}

/** An inclusion projection onto index fields (and `_id`): the key documents hold all it returns. */
export function coversProjection(def: IndexDef, projection: Projection | undefined): boolean {
  if (!projection) return false;
  const entries = Object.entries(projection);
  const fields = entries.filter(([f]) => f !== '_id');
  if (!fields.every(([f, v]) => v === 1 && def.fields.includes(f))) return false;
  const id = projection._id;
  return fields.length > 0 ? id === undefined || id === 0 || id === 1 : id === 1; // `{_id: 0}` alone excludes
}

function setPath(doc: Doc, path: string, value: unknown): void {
  const segs = path.split('.');
  let at: Record<string, unknown> = doc;
  for (let i = 0; i < segs.length - 1; i++) {
    const next = at[segs[i]];
    at = isPlainObject(next) ? next : (at[segs[i]] = {});
  }
  at[segs[segs.length - 1]] = value;
}

/** The index fields and `_id` of an entry as a document, or undefined when a value is not exact. */
export function keyDoc(def: IndexDef, key: Buffer, idKey: Buffer): Doc | undefined {
  const id = decodeComponent(idKey, 0);
  if (!id || id.value === null || id.end !== idKey.length) return undefined;
  const doc: Doc = { _id: id.value };
  let pos = 0;
  for (const field of def.fields) {
    const c = decodeComponent(key, pos);
    if (!c || c.value === null) return undefined;
    setPath(doc, field, c.value);
    pos = c.end;
  }
  return pos + idKey.length === key.length ? doc : undefined;
}

/** The matching entries of the plan's ranges, each once, stopping after `max`: the key's fields and `_id`, or the whole document when the key did not tell them exactly. */
export function coveredMatches(view: View, def: IndexDef, plan: Plan, matcher: Matcher, max = Infinity): Doc[] {
  const store = view.store;
  const out: Doc[] = [];
  if (plan.kind !== 'index' || max <= 0) return out;
  const seen = plan.ranges.length > 1 ? new Set<string>() : undefined;
  store.stats.coveredScans++;
  for (const { key, idKey } of indexEntries(store, plan)) {
    if (seen) {
      const ks = keyString(idKey);
      if (seen.has(ks)) continue;
      seen.add(ks);
    }
    const doc = keyDoc(def, key, idKey) ?? whole(store.getDoc(idKey));
    if (doc && matcher.test(doc)) {
      out.push(doc);
      if (out.length >= max) return out;
    }
  }
  return out;
}

/**
 * A find answered from the index: matches tested on their keys, sorted on them when the sort
 * reads only covered fields, and documents read for the page alone (none when the projection is
 * covered too). Undefined when the sort needs other fields.
 */
export function coveredFind(
  view: View,
  def: IndexDef,
  plan: Plan,
  matcher: Matcher,
  options: { sort?: SortSpec; skip: number; limit: number; projection?: Projection },
): Doc[] | undefined {
  const { sort, skip, limit, projection } = options;
  const sorted = sort !== undefined && Object.keys(sort).length > 0;
  if (sorted && !coversSort(def, sort)) return undefined;
  const matches = coveredMatches(view, def, plan, matcher, !sorted && limit ? skip + limit : Infinity);
  const page = (sorted ? sortDocs(matches, sort) : matches).slice(skip, limit ? skip + limit : undefined);
  return pageDocuments(view, def, page, projection);
}

/** Documents read because their key did not tell their values (pageDocuments need not read them again). */
const wholeDocuments = new WeakSet<Doc>();

function whole(doc: Doc | undefined): Doc | undefined {
  if (doc) wholeDocuments.add(doc);
  return doc;
}

/** An entry's key document, or its document when the key does not tell its values exactly. */
export const keyDocOrDocument =
  (view: View) =>
  (def: IndexDef, key: Buffer, idKey: Buffer): Doc | undefined =>
    keyDoc(def, key, idKey) ?? whole(view.store.getDoc(idKey));

/** The documents of a page of key documents (none read when the projection is covered too). */
export function pageDocuments(view: View, def: IndexDef, page: Doc[], projection: Projection | undefined): Doc[] {
  if (coversProjection(def, projection)) return page;
  const out: Doc[] = [];
  for (const d of page) {
    const doc = wholeDocuments.has(d) ? d : view.store.getDoc(encodeId(d._id)); // a decoded _id encodes to the key it came from
    if (doc) out.push(doc);
  }
  return out;
}
