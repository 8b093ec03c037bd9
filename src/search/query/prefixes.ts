/**
 * Comparison prefixes of number, date and quantity values (search.html#prefix) as conditions on
 * an index entry. The target is the entry's range [lo, hi] (inclusive; a date's whole precision,
 * a Period, a quantity Range), or for numbers and plain quantities the value `n` itself.
 *
 * For a target range T = [lo, hi] and ranges of the search value (see RangeArgs):
 *   eq  E contains T                       lo >= E.lo and hi <= E.hi
 *   ne  E does not contain T               lo <  E.lo or  hi >  E.hi
 *   gt  the range above C overlaps T       hi >  C.hi
 *   lt  the range below C overlaps T       lo <  C.lo
 *   ge  gt, or C contains T                hi >  C.hi or (lo >= C.lo and hi <= C.hi)
 *   le  lt, or C contains T                lo <  C.lo or (lo >= C.lo and hi <= C.hi)
 *   sa  T starts after C (no overlap)      lo >  C.hi
 *   eb  T ends before C (no overlap)       hi <  C.lo
 *   ap  A overlaps T                       lo <= A.hi and hi >= A.lo
 * For dates E = C = the value's precision range, A = that range widened by 10% of its distance
 * from now. For numbers (search.html#number: `100` means [99.5, 100.5), `gt100` "greater than
 * exactly 100") E = the precision range, C = [v, v], A = E widened to ±10% of v; a point target n
 * gives E.lo <= n < E.hi for eq, n > v for gt, n >= v for ge and so on.
 */
import type { Cond } from './types.js';

export const PREFIXES = ['eq', 'ne', 'gt', 'lt', 'ge', 'le', 'sa', 'eb', 'ap'] as const;
export type Prefix = (typeof PREFIXES)[number];

const PREFIX_SET: ReadonlySet<string> = new Set(PREFIXES);

/** `gt2020` -> gt + `2020`; no (known) prefix -> eq. A leading pair of letters that is no prefix stays in the value. */
export function splitPrefix(value: string): { prefix: Prefix; rest: string } {
  const head = value.slice(0, 2);
  if (PREFIX_SET.has(head)) return { prefix: head as Prefix, rest: value.slice(2) };
  return { prefix: 'eq', rest: value };
}

export interface Range {
  lo: number;
  hi: number;
}

export interface RangeArgs {
  /** the range for eq / ne */
  eq: Range;
  /** the range for gt, lt, ge, le, sa, eb */
  cmp: Range;
  /** the range for ap */
  ap: Range;
}

/**
 * The condition on an entry's range for a target range: `lo` / `hi` name the entry fields holding
 * its ends (quantity.ts uses `n` as the finite end of a quantity with a comparator).
 */
export function rangeCondition(prefix: Prefix, { eq: E, cmp: C, ap: A }: RangeArgs, lo = 'lo', hi = 'hi'): Cond {
  switch (prefix) {
    case 'eq':
      return { [lo]: { $gte: E.lo }, [hi]: { $lte: E.hi } };
    case 'ne':
      return { $or: [{ [lo]: { $lt: E.lo } }, { [hi]: { $gt: E.hi } }] };
    case 'gt':
      return { [hi]: { $gt: C.hi } };
    case 'lt':
      return { [lo]: { $lt: C.lo } };
    case 'ge':
      return { $or: [{ [hi]: { $gt: C.hi } }, { [lo]: { $gte: C.lo }, [hi]: { $lte: C.hi } }] };
    case 'le':
      return { $or: [{ [lo]: { $lt: C.lo } }, { [lo]: { $gte: C.lo }, [hi]: { $lte: C.hi } }] };
    case 'sa':
      return { [lo]: { $gt: C.hi } };
    case 'eb':
      return { [hi]: { $lt: C.lo } };
    case 'ap':
      return { [lo]: { $lte: A.hi }, [hi]: { $gte: A.lo } };
  }
}

/** The condition on an entry's point value `n` (the table above with T = [n, n]; eq half-open). */
export function pointCondition(prefix: Prefix, { eq: E, cmp: C, ap: A }: RangeArgs): Cond {
  switch (prefix) {
    case 'eq':
      return { n: { $gte: E.lo, $lt: E.hi } };
    case 'ne':
      return { $or: [{ n: { $lt: E.lo } }, { n: { $gte: E.hi } }] };
    case 'gt':
    case 'sa':
      return { n: { $gt: C.hi } };
    case 'lt':
    case 'eb':
      return { n: { $lt: C.lo } };
    case 'ge':
      return { n: { $gte: C.lo } };
    case 'le':
      return { n: { $lte: C.hi } };
    case 'ap':
      return { n: { $gte: A.lo, $lte: A.hi } };
  }
}
