/**
 * mingo, wrapped: compiled filters, sorting and projection with MongoDB semantics, with mingo's
 * errors reported as engine errors.
 */
import { find as mingoFind, Query } from 'mingo';
import type { Doc, Filter, Projection, SortSpec } from '../database.js';
import { badValue, wrapMingoError } from './errors.js';

export interface Matcher {
  test(doc: Doc): boolean;
}

export function compileFilter(filter: Filter | null | undefined): Matcher {
  if (filter === null || filter === undefined) return { test: () => true };
  if (typeof filter !== 'object' || Array.isArray(filter)) throw badValue('query filter must be an object');
  const keys = Object.keys(filter);
  if (keys.length === 0) return { test: () => true };
  const simple = simpleEquality(filter, keys);
  if (simple) return simple;
  try {
    const q = new Query(filter);
    return {
      test: (doc) => {
        try {
          return q.test(doc);
        } catch (err) {
          throw wrapMingoError(err);
        }
      },
    };
  } catch (err) {
    throw wrapMingoError(err);
  }
}

type Scalar = string | number | boolean;
const isScalar = (v: unknown): v is Scalar => typeof v === 'string' || typeof v === 'boolean' || (typeof v === 'number' && !Number.isNaN(v));

/**
 * The hot path (`{_id: x}`, `{_id: x, v: 3}`): equality of top-level fields with scalar values,
 * evaluated without mingo, with MongoDB's semantics (a scalar matches a field equal to it, or an
 * array field holding it).
 */
function simpleEquality(filter: Filter, keys: string[]): Matcher | undefined {
  for (const k of keys) if (k.startsWith('$') || k.includes('.') || !isScalar(filter[k])) return undefined;
  const pairs = keys.map((k) => [k, filter[k] as Scalar] as const);
  return {
    test: (doc) => {
      for (const [k, want] of pairs) {
        const have = doc[k];
        if (have === want) continue;
        if (Array.isArray(have) && have.includes(want)) continue;
        return false;
      }
      return true;
    },
  };
}

export function validateSort(sort: SortSpec): void {
  for (const [k, v] of Object.entries(sort)) {
    if (v !== 1 && v !== -1) throw badValue(`bad sort specification for ${k}: ${String(v)}`);
  }
}

export function sortDocs(docs: Doc[], sort: SortSpec | undefined): Doc[] {
  if (!sort || Object.keys(sort).length === 0 || docs.length < 2) return docs;
  validateSort(sort);
  // By string _ids alone (unique, so the order is total): a native sort, as MongoDB orders them.
  const keys = Object.keys(sort);
  if (keys.length === 1 && keys[0] === '_id' && docs.every((d) => typeof d._id === 'string')) {
    const dir = sort._id;
    return [...docs].sort((a, b) => ((a._id as string) < (b._id as string) ? -dir : (a._id as string) > (b._id as string) ? dir : 0));
  }
  try {
    return mingoFind(docs, {}).sort(sort).all() as Doc[];
  } catch (err) {
    throw wrapMingoError(err);
  }
}

/** A plain object (not an array, Date, Buffer, RegExp or class instance). */
export const isPlainObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && Object.getPrototypeOf(v) === Object.prototype;

/**
 * An inclusion projection of plain paths (`{_id: 1, 'a.b': 1}`) without mingo, as MongoDB applies
 * it to documents without arrays on those paths; undefined when it does not apply (then mingo).
 */
function includeFast(docs: Doc[], projection: Projection): Doc[] | undefined {
  const paths: string[][] = [];
  let withId = true;
  for (const [path, v] of Object.entries(projection)) {
    const value: unknown = v;
    if (path === '_id') {
      if (value === 0 || value === false) withId = false;
      else if (value !== 1 && value !== true) return undefined;
    } else if ((value === 1 || value === true) && !path.includes('$')) {
      const segs = path.split('.');
      if (segs.some((seg) => seg === '')) return undefined; // 'a..b', 'a.': MongoDB refuses them
      paths.push(segs);
    } else return undefined;
  }
  // `{_id: 0}` alone is an exclusion, one path inside another a path collision (MongoDB refuses it): mingo
  if (paths.length === 0 && !withId) return undefined;
  const joined = paths.map((segs) => segs.join('.'));
  if (joined.some((a, i) => joined.some((b, j) => i !== j && (a === b || b.startsWith(`${a}.`))))) return undefined;
  const out: Doc[] = [];
  for (const doc of docs) {
    const picked: Doc = withId && Object.prototype.hasOwnProperty.call(doc, '_id') ? { _id: doc._id } : {};
    for (const segs of paths) {
      let from: unknown = doc;
      let to: Record<string, unknown> = picked;
      for (let i = 0; i < segs.length; i++) {
        if (Array.isArray(from)) return undefined;
        if (!isPlainObject(from) || !Object.prototype.hasOwnProperty.call(from, segs[i])) break;
        const v = from[segs[i]];
        if (i === segs.length - 1) {
          if (Array.isArray(v) || isPlainObject(v)) return undefined; // a sub-document or array: mingo copies it
          to[segs[i]] = v;
        } else {
          if (Array.isArray(v)) return undefined;
          if (!isPlainObject(v)) break;
          to = isPlainObject(to[segs[i]]) ? (to[segs[i]] as Record<string, unknown>) : (to[segs[i]] = {});
        }
        from = v;
      }
    }
    out.push(picked);
  }
  return out;
}

export function project(docs: Doc[], projection: Projection | undefined): Doc[] {
  if (!projection || Object.keys(projection).length === 0 || docs.length === 0) return docs;
  const fast = includeFast(docs, projection);
  if (fast) return fast;
  try {
    return mingoFind(docs, {}, projection).all() as Doc[];
  } catch (err) {
    throw wrapMingoError(err);
  }
}
