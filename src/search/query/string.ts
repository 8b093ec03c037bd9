/**
 * string parameters (search.html#string). The search value is normalised like the index
 * (normaliseString: lower case, accents folded, whitespace collapsed), then:
 *   default     the normalised entry `s` starts with it   (a prefix of the keys `p|s`: stringMatch)
 *   :contains   `s` contains it anywhere                   (unanchored: a scan of the entries)
 *   :exact      the original value `x` equals the value exactly (case and accents count)
 */
import { normaliseString, valueKey } from '../normalise.js';
import { escapeRegex, prefixPattern, unescapeValue } from './parse.js';
import type { Cond, Match } from './types.js';

/**
 * The default (starts-with) search is a prefix of the string keys (`name|considine`, extract.ts),
 * which an index on `_idx.k` answers; the modifiers are entry conditions.
 */
export function stringMatch(code: string, modifier: string | undefined, value: string): Match {
  if (modifier === undefined) return { kind: 'keyPrefix', prefix: valueKey(code, normaliseString(unescapeValue(value))) };
  return { kind: 'entry', cond: stringCondition(modifier, value) };
}

export function stringCondition(modifier: string | undefined, value: string): Cond {
  const text = unescapeValue(value);
  if (modifier === 'exact') return { x: text };
  const s = normaliseString(text);
  if (modifier === 'contains') return { s: { $regex: escapeRegex(s) } };
  return { s: { $regex: prefixPattern(s) } };
}
