/**
 * number parameters (search.html#number): `[prefix]value`. The value's written precision gives
 * its range (numberRange: `100` is [99.5, 100.5), `100.0` [99.95, 100.05)); eq / ne test whether the
 * target value falls within that range, the other prefixes compare with the exact value, and `ap`
 * is within 10% of the value (or the precision range, if wider). An entry's `n` is its value;
 * prefixes.ts has the table.
 */
import { numberRange } from '../normalise.js';
import { invalid } from './errors.js';
import { pointCondition, splitPrefix, type Prefix, type RangeArgs } from './prefixes.js';
import type { Cond } from './types.js';

export function parseNumberValue(name: string, value: string, what = 'number'): { prefix: Prefix; args: RangeArgs } {
  const { prefix, rest } = splitPrefix(value.trim());
  const r = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/.test(rest) ? numberRange(rest) : undefined;
  if (!r) throw invalid(name, `Invalid value for ${what} parameter '${name}': '${value}' is not a number with an optional prefix (eq, ne, gt, lt, ge, le, sa, eb, ap)`);
  const v = r.n;
  const margin = Math.abs(v) * 0.1;
  return {
    prefix,
    args: {
      eq: { lo: r.lo, hi: r.hi },
      cmp: { lo: v, hi: v },
      ap: { lo: Math.min(r.lo, v - margin), hi: Math.max(r.hi, v + margin) },
    },
  };
}

/** The condition on one number entry (always with `n`) for one value. */
export function numberCondition(name: string, value: string): Cond {
  const { prefix, args } = parseNumberValue(name, value);
  return pointCondition(prefix, args);
}
