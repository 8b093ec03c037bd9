/**
 * Putting conditions together: the OR values of one parameter into one filter (all keys into one
 * `$in`, all entry conditions into one `$elemMatch`), conditions on one entry with AND.
 */
import { prefixPattern } from './parse.js';
import type { Cond, Filter, Match } from './types.js';

export const ENTRIES = '_idx.e';
export const KEYS = '_idx.k';

/** AND of conditions on the same entry: merged into one object where no field repeats, else `$and`. */
export function allOf(...conds: Cond[]): Cond {
  const parts = conds.filter((c) => Object.keys(c).length > 0);
  if (parts.length === 0) return {};
  if (parts.length === 1) return parts[0];
  const merged: Cond = {};
  for (const c of parts) {
    for (const k of Object.keys(c)) if (k in merged) return { $and: parts };
    Object.assign(merged, c);
  }
  return merged;
}

/** OR of conditions on the same entry. */
export function anyOf(conds: Cond[]): Cond {
  if (conds.length === 1) return conds[0];
  return { $or: conds };
}

/** `_idx.e` has an entry of parameter `p` meeting `cond`. */
export function entryFilter(p: string, cond: Cond): Filter {
  if ('p' in cond) throw new Error('an entry condition cannot test p');
  return { [ENTRIES]: { $elemMatch: { p, ...cond } } };
}

export function keysFilter(keys: readonly string[]): Filter {
  const unique = [...new Set(keys)];
  return { [KEYS]: unique.length === 1 ? unique[0] : { $in: unique } };
}

export function orFilters(filters: Filter[]): Filter {
  if (filters.length === 1) return filters[0];
  return { $or: filters };
}

/** The AND of the filters, empty ones (match everything) left out. */
export function andFilters(filters: Filter[]): Filter {
  const parts = filters.filter((f) => Object.keys(f).length > 0);
  if (parts.length === 0) return {};
  if (parts.length === 1) return parts[0];
  return { $and: parts };
}

/** The OR of the values of one parameter occurrence (code `p`) as one filter. */
export function orMatches(p: string, matches: Match[]): Filter {
  const keys: string[] = [];
  const conds: Cond[] = [];
  const out: Filter[] = [];
  for (const m of matches) {
    if (m.kind === 'keys') keys.push(...m.keys);
    else if (m.kind === 'entry') conds.push(m.cond);
    else if (m.kind === 'keyPrefix') out.push({ [KEYS]: { $regex: prefixPattern(m.prefix) } });
    else out.push(m.filter);
  }
  if (keys.length) out.unshift(keysFilter(keys));
  if (conds.length) out.push(entryFilter(p, anyOf(conds)));
  return orFilters(out);
}

/** `:missing=true`: no entry of `p`; false: at least one. */
export function missingFilter(p: string, missing: boolean): Filter {
  const has = { [ENTRIES]: { $elemMatch: { p } } };
  return missing ? { $nor: [has] } : has;
}

/** Matches no document (an `$in` on nothing). */
export const NOTHING: Filter = { [KEYS]: { $in: [] } };
