/**
 * quantity parameters (search.html#quantity): `[prefix]value[|system|code]`.
 *   `5.4|http://unitsofmeasure.org|mg`  value, and sys = system and c = code
 *   `5.4||mg`                           value, and the unit text `u` or the code `c` is mg
 *   `5.4`                               value in any unit
 *   `5.4|http://unitsofmeasure.org|`    value, and sys = system (any code)
 * Numbers as in number.ts. The target of an entry is
 *   a plain quantity (n, finite lo / hi)         its value n (a point, like a number)
 *   `<5` / `<=5` (lo = RANGE_MIN, see extract)   the range [RANGE_MIN, n]
 *   `>5` / `>=5` (hi = RANGE_MAX)                the range [n, RANGE_MAX]
 *   a Range (no n)                               [lo, hi]
 * compared by the table in prefixes.ts. Units are compared as written (no UCUM conversion).
 */
import { RANGE_MAX, RANGE_MIN } from '../normalise.js';
import { invalid } from './errors.js';
import { parseNumberValue } from './number.js';
import { allOf, anyOf } from './combine.js';
import { splitParts } from './parse.js';
import { pointCondition, rangeCondition, type Prefix, type RangeArgs } from './prefixes.js';
import type { Cond } from './types.js';

function valueCondition(prefix: Prefix, args: RangeArgs): Cond {
  const hasN = { n: { $exists: true } };
  return anyOf([
    allOf(pointCondition(prefix, args), { lo: { $gt: RANGE_MIN }, hi: { $lt: RANGE_MAX } }),
    allOf(hasN, { lo: { $lte: RANGE_MIN } }, rangeCondition(prefix, args, 'lo', 'n')),
    allOf(hasN, { lo: { $gt: RANGE_MIN }, hi: { $gte: RANGE_MAX } }, rangeCondition(prefix, args, 'n', 'hi')),
    allOf({ n: { $exists: false } }, rangeCondition(prefix, args)),
  ]);
}

/** `value` escaped as in the query (its `|` not yet split). */
export function quantityCondition(name: string, value: string): Cond {
  const parts = splitParts(value);
  if (parts.length !== 1 && parts.length !== 3) {
    throw invalid(name, `Invalid value for quantity parameter '${name}': '${value}' must be [prefix]number, [prefix]number|system|code or [prefix]number||unit`);
  }
  const { prefix, args } = parseNumberValue(name, parts[0], 'quantity');
  const valueCond = valueCondition(prefix, args);
  if (parts.length === 1) return valueCond;
  const [, system, code] = parts;
  const unit: Cond[] = [];
  if (system !== '') unit.push({ sys: system });
  if (code !== '') unit.push(system === '' ? { $or: [{ c: code }, { u: code }] } : { c: code });
  return allOf(valueCond, ...unit);
}
