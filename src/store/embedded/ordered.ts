/**
 * Sorted queries with a limit, answered in index order: when the leading sort fields are the
 * leading fields of a (non-multikey) index, all ascending or all descending, the index is walked
 * forwards or backwards and the walk stops once skip + limit matches are found. Entries equal on
 * those fields form runs that are sorted with mingo by the full sort spec, so extra sort fields and
 * tie-breaks keep mingo's order. If a document holds a value whose key order may differ from
 * mingo's (objects, arrays, long cut strings), the caller falls back to sorting in memory.
 */
import type { Doc, SortSpec } from '../database.js';
import { pathValues } from './indexes.js';
import { componentEnd, encodeFull, keyString, MAX_COMPONENT, tagOf, TAG } from './keys.js';
import { mayMatch, type KeyRange, type Plan } from './planner.js';
import { sortDocs, type Matcher } from './evaluate.js';
import type { IndexDef, View } from './store.js';

const ORDERABLE = new Set<number>([TAG.null, TAG.number, TAG.string, TAG.boolean, TAG.date]);

/**
 * An index whose key order is the sort order (forwards for 1, backwards for -1) on the first
 * `fields` sort fields, which are its leading fields: runs of entries equal on those are then
 * sorted by the whole sort spec. An index on exactly the sort fields (then `_id`, the key's
 * tail) is preferred to one that only starts with them.
 */
function sortIndex(view: View, sort: SortSpec): { def: IndexDef; dir: 1 | -1; fields: number } | undefined {
  const spec = Object.entries(sort);
  const dir = spec[0][1];
  if (!spec.every(([, d]) => d === dir)) return undefined;
  let best: { def: IndexDef; dir: 1 | -1; fields: number } | undefined;
  for (const def of view.store.readyIndexes()) {
    if (def.multikey) continue;
    let n = 0;
    while (n < def.fields.length && n < spec.length && spec[n][0] === def.fields[n]) n++;
    if (n === 0) continue;
    const whole = n === def.fields.length && (spec.length === n || (spec.length === n + 1 && spec[n][0] === '_id'));
    if (whole) return { def, dir, fields: def.fields.length };
    best ??= { def, dir, fields: n };
  }
  return best;
}

/** The bytes of the first `n` components of an index key (its run key). */
function leading(key: Buffer, n: number): Buffer {
  let pos = 0;
  for (let i = 0; i < n; i++) pos = componentEnd(key, pos);
  return key.subarray(0, pos);
}

function orderable(def: IndexDef, doc: Doc): boolean {
  for (const field of def.fields) {
    const { values, multi } = pathValues(doc, field);
    if (multi) return false;
    for (const v of values) {
      if (!ORDERABLE.has(tagOf(v))) return false;
      if (typeof v === 'string' && v.length * 3 >= MAX_COMPONENT && encodeFull(v).length >= MAX_COMPONENT) return false;
    }
  }
  return true;
}

/** Sorted, non-overlapping ranges covering the same keys (so no entry is read twice). */
function disjoint(ranges: KeyRange[]): KeyRange[] {
  const sorted = [...ranges].sort((a, b) => Buffer.compare(a.start, b.start));
  const out: KeyRange[] = [];
  for (const r of sorted) {
    const last = out[out.length - 1];
    if (last && Buffer.compare(r.start, last.end) <= 0) {
      if (Buffer.compare(r.end, last.end) > 0) last.end = r.end;
    } else out.push({ ...r });
  }
  return out;
}

/**
 * The page of a sorted, limited find read in index order, or undefined when that does not apply
 * (then the caller sorts in memory). Layered documents are not in the index: with a layered view
 * (a transaction's own writes, pending transactions' writes) the matching layered documents are
 * sorted in with the first skip + limit committed ones, which is all the page can come from.
 */
export function orderedFind(
  view: View,
  plan: Plan,
  matcher: Matcher,
  sort: SortSpec,
  skip: number,
  limit: number,
  /** what to test an entry on: its document (default), or for a covered scan its key document */
  docOf: (def: IndexDef, key: Buffer, idKey: Buffer) => Doc | undefined = (_def, _key, idKey) => view.store.getDoc(idKey),
): Doc[] | undefined {
  if (limit <= 0) return undefined;
  const chosen = sortIndex(view, sort);
  if (!chosen) return undefined;
  const { def, dir, fields } = chosen;
  let ranges: KeyRange[];
  const parts = plan.kind === 'union' ? plan.plans : [plan];
  if (plan.kind === 'scan' && !plan.range) ranges = [{ start: Buffer.alloc(0), end: Buffer.from([0xff]) }];
  else if (parts.every((p) => p.kind === 'index' && p.index === def)) ranges = disjoint(parts.flatMap((p) => (p.kind === 'index' ? p.ranges : [])));
  else return undefined;
  if (dir === -1) ranges.reverse();

  const layered: Doc[] = [];
  if (view.layered) {
    for (const [ks, key] of view.overlayKeys()) {
      const c = view.change(ks);
      if (!c || !mayMatch(plan, c)) continue;
      const doc = view.get(key, ks);
      if (!doc || !matcher.test(doc)) continue;
      if (!orderable(def, doc)) return undefined;
      layered.push(doc);
    }
  }
  const store = view.store;
  const need = skip + limit;
  const page = (docs: Doc[]): Doc[] => (layered.length ? sortDocs([...docs, ...layered], sort) : docs).slice(skip, need);
  const out: Doc[] = [];
  let run: Doc[] = [];
  let runKey: string | undefined;
  const flush = (): void => {
    if (run.length) out.push(...sortDocs(run, sort));
    run = [];
  };
  store.stats.indexScans++;
  for (const r of ranges) {
    const iter =
      dir === 1
        ? def.db.getRange({ start: r.start, end: r.end })
        : def.db.getRange({ start: r.end, end: r.start.length ? r.start : undefined, reverse: true });
    for (const { key, value: idKey } of iter) {
      store.stats.keysExamined++;
      if (dir === -1 && Buffer.compare(key, r.end) >= 0) continue;
      const tuple = keyString(fields === def.fields.length ? key.subarray(0, key.length - idKey.length) : leading(key, fields));
      if (tuple !== runKey) {
        flush();
        if (out.length >= need) return page(out);
        runKey = tuple;
      }
      if (view.layered && view.isOverlaid(keyString(idKey))) continue; // its layered version is above
      const doc = docOf(def, key, idKey);
      if (!doc || !matcher.test(doc)) continue;
      if (!orderable(def, doc)) return undefined;
      run.push(doc);
    }
  }
  flush();
  return page(out);
}
