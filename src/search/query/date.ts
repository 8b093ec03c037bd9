/**
 * date parameters (search.html#date): `[prefix]value`, the value a FHIR date, dateTime or instant
 * (any precision; no zone = UTC, like the index). Its range is compared with the entry's [lo, hi]
 * by the table in prefixes.ts.
 *
 * `ap`: the search range widened on both sides by 10% of the distance between now and the search
 * value (0 when the value's range contains now), then any overlap with the target matches. So
 * `ap2015` searched in 2025 reaches about a year either side; `ap` on today is an overlap with today.
 */
import { dateRange } from '../normalise.js';
import { invalid } from './errors.js';
import { rangeCondition, splitPrefix, type Prefix, type Range, type RangeArgs } from './prefixes.js';
import type { Cond } from './types.js';

/** A date search value's prefix and ranges; throws a 400 naming `name` when malformed. */
export function parseDateValue(name: string, value: string, now: number): { prefix: Prefix; args: RangeArgs } {
  const { prefix, rest } = splitPrefix(value.trim());
  // a `+` of a zone offset that arrived as a space (an unencoded query string)
  const text = rest.replace(/ (\d{2}:\d{2})$/, '+$1');
  const r = dateRange(text);
  if (!r) throw invalid(name, `Invalid value for date parameter '${name}': '${value}' is not a date, dateTime or instant with an optional prefix (eq, ne, gt, lt, ge, le, sa, eb, ap)`);
  return { prefix, args: { eq: r, cmp: r, ap: approximately(r, now) } };
}

export function approximately(r: Range, now: number): Range {
  const gap = now < r.lo ? r.lo - now : now > r.hi ? now - r.hi : 0;
  const margin = Math.round(gap * 0.1);
  return { lo: r.lo - margin, hi: r.hi + margin };
}

/** The condition on one date entry for one value. */
export function dateCondition(name: string, value: string, now: number): Cond {
  const { prefix, args } = parseDateValue(name, value, now);
  return rangeCondition(prefix, args);
}

/**
 * The exact condition for `value` on the sort keys, for a parameter with at most one entry per
 * resource (parameters.ts `isSingleValued`): there the smallest lo and largest hi are the entry's
 * own, so this is the entry condition itself, and an index on the sort keys answers it alone.
 */
export function dateSortCondition(code: string, value: string, now: number): Cond {
  const { prefix, args } = parseDateValue(code, value, now);
  return rangeCondition(prefix, args, `_idx.sort.${code}.lo`, `_idx.sort.${code}.hi`);
}

/**
 * A condition on the scalar sort keys (`_idx.sort.<code>.lo` = the smallest entry lo, `.hi` = the
 * largest entry hi) that every match of `value` satisfies: ANDed to the entry condition it changes
 * no result, and it lets an index on the sort keys find the candidates of a date search (ge/gt/sa
 * on `.hi`, le/lt/eb on `.lo`). `ne` has none.
 */
export function dateSortHint(code: string, value: string, now: number): Record<string, unknown> | undefined {
  const { prefix, args } = parseDateValue(code, value, now);
  const lo = `_idx.sort.${code}.lo`;
  const hi = `_idx.sort.${code}.hi`;
  const { eq: E, cmp: C, ap: A } = args;
  switch (prefix) {
    case 'eq':
      return { [hi]: { $gte: E.lo }, [lo]: { $lte: E.hi } };
    case 'ne':
      return undefined;
    case 'gt':
    case 'sa':
      return { [hi]: { $gt: C.hi } };
    case 'ge':
      return { [hi]: { $gte: C.lo } };
    case 'lt':
    case 'eb':
      return { [lo]: { $lt: C.lo } };
    case 'le':
      return { [lo]: { $lte: C.hi } };
    case 'ap':
      return { [hi]: { $gte: A.lo }, [lo]: { $lte: A.hi } };
  }
}
