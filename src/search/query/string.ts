/**
 * string parameters (search.html#string). The search value is normalised like the index
 * (normaliseString: lower case, accents folded, whitespace collapsed), then:
 *   default     the normalised entry `s` starts with it   (anchored `^...`, can use an index)
 *   :contains   `s` contains it anywhere                   (unanchored: a scan of the entries)
 *   :exact      the original value `x` equals the value exactly (case and accents count)
 */
import { normaliseString } from '../normalise.js';
import { escapeRegex, prefixPattern, unescapeValue } from './parse.js';
import type { Cond } from './types.js';

export function stringCondition(modifier: string | undefined, value: string): Cond {
  const text = unescapeValue(value);
  if (modifier === 'exact') return { x: text };
  const s = normaliseString(text);
  if (modifier === 'contains') return { s: { $regex: escapeRegex(s) } };
  return { s: { $regex: prefixPattern(s) } };
}
