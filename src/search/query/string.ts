/**
 * string parameters (search.html#string). The search value is normalised like the index
 * (normaliseString: lower case, accents folded, whitespace collapsed), then:
 *   default     the normalised entry `s` starts with it   (a prefix of the keys `p|s`: stringMatch)
 *   :contains   `s` contains it anywhere                   (unanchored: a scan of the entries)
 *   :exact      the original value `x` equals the value exactly (case and accents count)
 */
import { normaliseString, valueKey } from '../normalise.js';
import { stringKeyCode } from '../parameters.js';
import type { SearchParameterDef } from '../types.js';
import { escapeRegex, prefixPattern, unescapeValue } from './parse.js';
import type { Cond, Match } from './types.js';

/**
 * The default (starts-with) search of a name parameter is a prefix of its string keys
 * (`name|considine`, extract.ts; parameters.ts stringKeyCode), which an index on `_idx.k`
 * answers; other strings and the modifiers are entry conditions.
 */
export function stringMatch(def: SearchParameterDef, modifier: string | undefined, value: string): Match {
  const keyCode = modifier === undefined ? stringKeyCode(def) : undefined;
  if (keyCode !== undefined) return { kind: 'keyPrefix', prefix: valueKey(keyCode, normaliseString(unescapeValue(value))) };
  return { kind: 'entry', cond: stringCondition(modifier, value) };
}

export function stringCondition(modifier: string | undefined, value: string): Cond {
  const text = unescapeValue(value);
  if (modifier === 'exact') return { x: text };
  const s = normaliseString(text);
  if (modifier === 'contains') return { s: { $regex: escapeRegex(s) } };
  return { s: { $regex: prefixPattern(s) } };
}
