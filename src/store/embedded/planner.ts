/**
 * Query planning: which keys to read for a filter. `_id` equality/$in becomes direct gets; an
 * equality/$in on the leading fields of an index (optionally followed by one range) becomes index
 * range scans; a `$or` whose every branch is indexable becomes a union; anything else is a full
 * scan. Plans only need to return a superset of the matches: mingo checks the whole filter on
 * every candidate. `mayMatch` applies a plan to a layered (uncommitted) document version.
 */
import type { Filter } from '../database.js';
import { concat, encodeFull, encodeId, encodeTuple, keyString, MAX_COMPONENT, mayBeCut, prefixEnd, tagOf } from './keys.js';
import { filterFieldSet } from './covered.js';
import type { Change } from './overlay.js';
import type { CollStore, IndexDef } from './store.js';

export interface KeyRange {
  start: Buffer;
  /** exclusive */
  end: Buffer;
}

export type Plan =
  | { kind: 'scan'; range?: KeyRange }
  | { kind: 'ids'; keys: Buffer[] }
  | {
      kind: 'index';
      index: IndexDef;
      ranges: KeyRange[];
      /**
       * Further equality conditions on the same (single-field) index, each a list of encoded
       * values one of which the candidate must have an entry for: tested by key lookups, so the
       * documents the scanned condition alone would bring are not read (index intersection).
       */
      probes?: Buffer[][];
    }
  | { kind: 'union'; plans: Plan[] };

interface Bound {
  v: unknown;
  inc: boolean;
}
interface FieldConds {
  /** the literal prefix of an anchored `$regex` (`^abc`, MongoDB's index bounds for it) */
  prefix?: string;
  eq?: unknown[];
  /** every equality condition on the field (each is necessary) */
  eqAlts?: unknown[][];
  lo?: Bound;
  hi?: Bound;
}

const MAX_PREFIXES = 1000;

const isPlainObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Date) && !(v instanceof RegExp) && !(v instanceof Uint8Array);

/** Values whose equality match is exactly "some indexed value equals it". */
function isEqScalar(v: unknown): boolean {
  if (v === null || typeof v === 'string' || typeof v === 'boolean') return true;
  if (typeof v === 'number') return !Number.isNaN(v);
  return v instanceof Date && !Number.isNaN(v.getTime());
}

function isRangeScalar(v: unknown): boolean {
  return (typeof v === 'number' && !Number.isNaN(v)) || typeof v === 'string' || (v instanceof Date && !Number.isNaN(v.getTime()));
}

function isOperatorObject(v: unknown): v is Record<string, unknown> {
  if (!isPlainObject(v)) return false;
  const keys = Object.keys(v);
  return keys.length > 0 && keys.every((k) => k.startsWith('$'));
}

/**
 * Several equality conditions on one field are each necessary; keep the most selective. (They are
 * not intersected: on an array field `{tags: 'x'}` and `{tags: 'y'}` can both hold.)
 */
function addEq(c: FieldConds, values: unknown[]): void {
  (c.eqAlts ??= []).push(values);
  if (!c.eq || values.length < c.eq.length) c.eq = values;
}

/** Index entries to count at most per alternative when choosing between equality conditions. */
const COUNT_CAP = 2000;

function entriesIn(def: IndexDef, values: unknown[], cap: number): number {
  let n = 0;
  for (const v of values) {
    const p = encodeTuple([v]);
    for (const _ of def.db.getKeys({ start: p, end: prefixEnd(p), limit: cap - n })) n++;
    if (n >= cap) break;
  }
  return n;
}

/**
 * Several equality conditions on the same indexed field (e.g. `patient=X&code=Y`, both on the
 * search keys): scan the one with the fewest index entries, counted up to COUNT_CAP each.
 */
function mostSelective(def: IndexDef, c: FieldConds): unknown[] | undefined {
  if (!c.eqAlts || c.eqAlts.length < 2) return c.eq;
  let best = c.eq;
  let bestCount = Infinity;
  for (const alt of c.eqAlts) {
    const n = entriesIn(def, alt, Math.min(COUNT_CAP, bestCount));
    if (n < bestCount) {
      best = alt;
      bestCount = n;
    }
    if (bestCount === 0) break;
  }
  return best;
}

function fieldConds(conds: Map<string, FieldConds>, field: string, cond: unknown): void {
  let c = conds.get(field);
  if (!c) conds.set(field, (c = {}));
  if (!isOperatorObject(cond)) {
    if (isEqScalar(cond)) addEq(c, [cond]);
    else if (cond instanceof RegExp && c.prefix === undefined) c.prefix = literalPrefix(cond);
    return;
  }
  for (const [op, v] of Object.entries(cond)) {
    if (op === '$regex' && c.prefix === undefined && cond.$options === undefined) {
      const prefix = literalPrefix(v);
      if (prefix) c.prefix = prefix;
    } else if (op === '$eq' && isEqScalar(v)) addEq(c, [v]);
    else if (op === '$in' && Array.isArray(v) && v.every(isEqScalar)) addEq(c, v);
    else if ((op === '$gt' || op === '$gte') && isRangeScalar(v) && !c.lo) c.lo = { v, inc: op === '$gte' };
    else if ((op === '$lt' || op === '$lte') && isRangeScalar(v) && !c.hi) c.hi = { v, inc: op === '$lte' };
  }
}

/**
 * `^` then literal characters (metacharacters escaped) to the end, without flags: the strings it
 * matches are exactly those starting with that text. Anything else (alternation, classes,
 * quantifiers, flags) is not planned.
 */
function literalPrefix(v: unknown): string | undefined {
  let source: string;
  if (typeof v === 'string') source = v;
  else if (v instanceof RegExp && v.flags === '') source = v.source;
  else return undefined;
  const m = /^\^((?:[^.*+?^${}()|[\]\\]|\\[.*+?^${}()|[\]\\/-])*)$/.exec(source);
  if (!m || m[1] === '') return undefined;
  return m[1].replace(/\\(.)/g, '$1');
}

/** Necessary per-field conditions of a filter (top level and nested $and), plus its $or lists. */
function collect(filter: Filter, conds: Map<string, FieldConds>, ors: unknown[][]): void {
  for (const [k, v] of Object.entries(filter)) {
    if (k === '$and' && Array.isArray(v)) {
      for (const sub of v) if (isPlainObject(sub)) collect(sub, conds, ors);
    } else if (k === '$or' && Array.isArray(v)) ors.push(v);
    else if (!k.startsWith('$')) fieldConds(conds, k, v);
  }
}

function rangeFor(prefix: Buffer, c: FieldConds, oneSided: boolean): KeyRange {
  let { lo, hi } = c;
  if (lo && hi && (oneSided || tagOf(lo.v) !== tagOf(hi.v))) hi = undefined;
  const tag = tagOf(lo ? lo.v : hi?.v);
  const start = lo
    ? concat(prefix, encodeTuple([lo.v]), !lo.inc && !mayBeCut(lo.v) ? [0xff] : [])
    : concat(prefix, [tag]);
  const end = hi
    ? concat(prefix, encodeTuple([hi.v]), hi.inc || mayBeCut(hi.v) ? [0xff] : [])
    : concat(prefix, [tag + 1]);
  return { start, end };
}

/** At most this many values in an equality condition tested by key lookups. */
const MAX_PROBE_VALUES = 50;

function probesFor(c: FieldConds, scanned: unknown[]): Buffer[][] | undefined {
  const probes = (c.eqAlts ?? []).filter((alt) => alt !== scanned && alt.length <= MAX_PROBE_VALUES).map((alt) => alt.map((v) => encodeTuple([v])));
  return probes.length ? probes : undefined;
}

function indexPlan(def: IndexDef, conds: Map<string, FieldConds>): { plan: Plan; score: number } | undefined {
  const single = def.fields.length === 1;
  let prefixes: Buffer[] = [Buffer.alloc(0)];
  let eqCount = 0;
  let probes: Buffer[][] | undefined;
  for (const field of def.fields) {
    const c = conds.get(field);
    // one field: the most selective of its equality conditions is scanned, the others are probes
    const eq = c && single ? mostSelective(def, c) : c?.eq;
    if (c && eq && prefixes.length * eq.length <= MAX_PREFIXES) {
      const parts = eq.map((v) => encodeTuple([v]));
      prefixes = prefixes.flatMap((p) => parts.map((part) => concat(p, part)));
      if (single) probes = probesFor(c, eq);
      eqCount++;
      continue;
    }
    if (c?.lo || c?.hi) {
      const ranges = prefixes.map((p) => rangeFor(p, c, def.multikey));
      return { plan: { kind: 'index', index: def, ranges }, score: eqCount * 10 + 5 };
    }
    if (c?.prefix !== undefined) {
      const ranges = prefixes.map((p) => prefixRange(p, c.prefix!));
      return { plan: { kind: 'index', index: def, ranges }, score: eqCount * 10 + 8 };
    }
    break;
  }
  if (eqCount === 0) return undefined;
  const ranges = prefixes.map((p) => ({ start: p, end: prefixEnd(p) }));
  const full = def.unique && eqCount === def.fields.length;
  const plan: Plan = probes ? { kind: 'index', index: def, ranges, probes } : { kind: 'index', index: def, ranges };
  return { plan, score: eqCount * 10 + (full ? 100 : 0) };
}

/** After the key prefix `p`, the keys of every string starting with `text` (cut keys included: a superset). */
function prefixRange(p: Buffer, text: string): KeyRange {
  const full = encodeFull(text); // tag, payload, terminator
  const start = concat(p, full.subarray(0, Math.min(full.length - 1, 1 + MAX_COMPONENT)));
  return { start, end: concat(start, [0xff]) };
}

function idPlan(c: FieldConds | undefined): Plan | undefined {
  if (!c) return undefined;
  if (c.eq) {
    const keys: Buffer[] = [];
    const seen = new Set<string>();
    for (const v of c.eq) {
      try {
        const key = encodeId(v);
        const ks = keyString(key);
        if (!seen.has(ks)) keys.push(key), seen.add(ks);
      } catch {
        // an _id too long to store cannot match anything
      }
    }
    return { kind: 'ids', keys };
  }
  if (c.lo || c.hi) {
    const tag = tagOf(c.lo ? c.lo.v : c.hi?.v);
    const hi = c.hi && tagOf(c.hi.v) === tag ? c.hi : undefined;
    const start = c.lo ? concat(encodeFull(c.lo.v), c.lo.inc ? [] : [0x00]) : Buffer.from([tag]);
    const end = hi ? concat(encodeFull(hi.v), hi.inc ? [0x00] : []) : Buffer.from([tag + 1]);
    return { kind: 'scan', range: { start, end } };
  }
  return undefined;
}

export function planQuery(store: CollStore, filter: Filter): Plan {
  const conds = new Map<string, FieldConds>();
  const ors: unknown[][] = [];
  collect(filter, conds, ors);
  const byId = idPlan(conds.get('_id'));
  if (byId?.kind === 'ids') return byId;
  let best: { plan: Plan; score: number; reads: number } | undefined;
  let fields: Set<string> | undefined | null = null;
  for (const def of store.readyIndexes()) {
    const p = indexPlan(def, conds);
    if (!p) continue;
    if (best && p.score < best.score) continue;
    // equal scores: the index holding more of the fields the filter reads (it may cover it)
    if (fields === null) fields = filterFieldSet(filter);
    const reads = fields ? def.fields.filter((f) => fields!.has(f)).length : 0;
    if (!best || p.score > best.score || reads > best.reads) best = { ...p, reads };
  }
  if (best) return best.plan;
  if (byId) return byId;
  if (ors.length) {
    const branches = ors[0];
    const plans: Plan[] = [];
    for (const b of branches) {
      const p: Plan = isPlainObject(b) ? planQuery(store, b) : { kind: 'scan' };
      if (p.kind === 'scan') return { kind: 'scan' };
      plans.push(p);
    }
    return { kind: 'union', plans };
  }
  return { kind: 'scan' };
}

/** Compares the index key `tuple + idKey` with `bound` in lmdb's (byte) order, without building it. */
function compareKey(tuple: Buffer, idKey: Buffer, bound: Buffer): number {
  const n = Math.min(tuple.length, bound.length);
  const c = tuple.compare(bound, 0, n, 0, n);
  if (c !== 0) return c;
  if (bound.length > tuple.length) return idKey.compare(bound, tuple.length);
  return tuple.length + idKey.length > bound.length ? 1 : 0;
}

const inRange = (r: KeyRange, tuple: Buffer, idKey: Buffer): boolean =>
  compareKey(tuple, idKey, r.start) >= 0 && compareKey(tuple, idKey, r.end) < 0;

/**
 * Whether a layered version could be among the plan's candidates, judged from the index entries
 * computed when it was written (as the committed index would hold them), so layered documents the
 * plan would not have read are skipped without being cloned and tested.
 */
export function mayMatch(plan: Plan, c: Change): boolean {
  if (!c.doc) return false;
  switch (plan.kind) {
    case 'scan':
      return !plan.range || (Buffer.compare(c.idKey, plan.range.start) >= 0 && Buffer.compare(c.idKey, plan.range.end) < 0);
    case 'ids':
      return plan.keys.some((k) => k.equals(c.idKey));
    case 'union':
      return plan.plans.some((p) => mayMatch(p, c));
    case 'index': {
      const de = c.entries.get(plan.index.name);
      if (!de) return true; // recorded before the index existed
      for (const e of de.entries.values()) for (const r of plan.ranges) if (inRange(r, e.tuple, c.idKey)) return true;
      return false;
    }
  }
}
