/**
 * Query execution over a View: stream candidates for a plan, test each with mingo, then sort, skip,
 * limit and project with mingo's cursor semantics.
 */
import type { Doc, Filter, FindOptions, SortSpec } from '../database.js';
import { coveredFind, coveredMatches, coveringIndex, keyDocOrDocument, pageDocuments } from './covered.js';
import { compileFilter, project, sortDocs, validateSort } from './evaluate.js';
import { keyString } from './keys.js';
import { indexEntries } from './scan.js';
import { orderedFind } from './ordered.js';
import { mayMatch, planQuery, type Plan } from './planner.js';
import type { View } from './store.js';

export { compileFilter, project, sortDocs } from './evaluate.js';

function* committedKeys(view: View, plan: Plan): Generator<Buffer> {
  switch (plan.kind) {
    case 'ids':
      yield* plan.keys;
      return;
    case 'index':
      for (const { idKey } of indexEntries(view.store, plan)) yield idKey;
      return;
    case 'union':
      for (const p of plan.plans) yield* committedKeys(view, p);
      return;
    case 'scan':
      return; // handled by streaming the documents sub-database
  }
}

/** Every document of the view that may match the plan (a superset), each at most once. */
export function* candidates(view: View, plan: Plan): Generator<Doc> {
  const store = view.store;
  if (plan.kind === 'ids') {
    // Only these ids can match: take each from the topmost layer that has it, else committed
    // (no need to walk every layered document, which matters with pending transactions' layers).
    for (const key of plan.keys) {
      const doc = view.layered ? view.get(key, keyString(key)) : store.getDoc(key);
      if (doc) yield doc;
    }
    return;
  }
  if (plan.kind === 'scan') {
    if (!plan.range) store.stats.collectionScans++;
    const opts = plan.range ? { start: plan.range.start, end: plan.range.end } : {};
    for (const { key, value } of store.docs.getRange(opts)) {
      store.stats.docsExamined++;
      if (view.layered && view.isOverlaid(keyString(key))) continue;
      yield value;
    }
  } else {
    const dedupe = plan.kind === 'union' || (plan.kind === 'index' && (plan.index.multikey || plan.ranges.length > 1));
    const seen = new Set<string>();
    for (const key of committedKeys(view, plan)) {
      const ks = keyString(key);
      if (dedupe) {
        if (seen.has(ks)) continue;
        seen.add(ks);
      }
      if (view.layered && view.isOverlaid(ks)) continue;
      const doc = store.getDoc(key);
      if (doc) yield doc;
    }
  }
  if (view.layered) {
    for (const [ks, key] of view.overlayKeys()) {
      const c = view.change(ks);
      if (!c || !mayMatch(plan, c)) continue;
      const doc = view.get(key, ks);
      if (doc) yield doc;
    }
  }
}

/** Documents matching the filter, in candidate order, stopping after `max`. */
export function matching(view: View, filter: Filter, max = Infinity, plan?: Plan, matcher = compileFilter(filter)): Doc[] {
  const out: Doc[] = [];
  if (max <= 0) return out;
  for (const doc of candidates(view, plan ?? planQuery(view.store, filter ?? {}))) {
    if (matcher.test(doc)) {
      out.push(doc);
      if (out.length >= max) break;
    }
  }
  return out;
}

/**
 * A scan sorted by `_id` alone with a limit walks the documents in key order (documents are keyed
 * by `_id`; string ids order alike in both) and stops after skip + limit matches. Only on committed
 * views (and ascending, when the scan has an `_id` range); otherwise undefined (sorted in memory).
 */
function idOrderFind(view: View, plan: Plan, matcher: { test(d: Doc): boolean }, sort: SortSpec, skip: number, limit: number): Doc[] | undefined {
  const keys = Object.keys(sort);
  const reverse = sort._id === -1;
  if (keys.length !== 1 || keys[0] !== '_id' || plan.kind !== 'scan' || (plan.range && reverse) || view.layered) return undefined;
  const store = view.store;
  if (!plan.range) store.stats.collectionScans++;
  const out: Doc[] = [];
  const range = plan.range ? { start: plan.range.start, end: plan.range.end } : { reverse };
  for (const { value } of store.docs.getRange(range)) {
    store.stats.docsExamined++;
    if (typeof value._id !== 'string') return undefined; // mixed id types: let mingo order them
    if (matcher.test(value)) {
      out.push(value);
      if (out.length >= skip + limit) break;
    }
  }
  return out.slice(skip);
}

export function runFind(view: View, filter: Filter, options: FindOptions = {}): Doc[] {
  const skip = Math.max(0, options.skip ?? 0);
  const limit = Math.abs(options.limit ?? 0);
  const sorted = options.sort !== undefined && Object.keys(options.sort).length > 0;
  if (sorted) validateSort(options.sort as SortSpec);
  const matcher = compileFilter(filter); // also validates the filter before it is planned
  const plan = planQuery(view.store, filter ?? {});
  const covering = coveringIndex(view, plan, filter);
  if (sorted && limit) {
    const byId = idOrderFind(view, plan, matcher, options.sort as SortSpec, skip, limit);
    if (byId) return project(byId, options.projection);
    // in index order, stopping at the page; tested on the keys when they cover the filter
    const page = orderedFind(view, plan, matcher, options.sort as SortSpec, skip, limit, covering ? keyDocOrDocument(view) : undefined);
    if (page) return project(covering ? pageDocuments(view, covering, page, options.projection) : page, options.projection);
  }
  if (covering) {
    const found = coveredFind(view, covering, plan, matcher, { sort: sorted ? (options.sort as SortSpec) : undefined, skip, limit, projection: options.projection });
    if (found) return project(found, options.projection);
  }
  const found = matching(view, filter, !sorted && limit ? skip + limit : Infinity, plan, matcher);
  const ordered = sortDocs(found, options.sort);
  const page = skip || limit ? ordered.slice(skip, limit ? skip + limit : undefined) : ordered;
  return project(page, options.projection);
}

export function runCount(view: View, filter: Filter): number {
  if (!view.layered && (!filter || Object.keys(filter).length === 0)) return view.store.docs.getCount();
  const matcher = compileFilter(filter);
  const plan = planQuery(view.store, filter ?? {});
  const covering = coveringIndex(view, plan, filter);
  if (covering) return coveredMatches(view, covering, plan, matcher).length;
  return matching(view, filter, Infinity, plan, matcher).length;
}
