/**
 * token parameters (search.html#token), on the keys of the index (normalise.ts has the scheme):
 *   `code`           key `p|code`         (any system)
 *   `system|code`    key `p|system|code`
 *   `|code`          key `p|code`, in an entry without a system
 *   `system|`        key prefix `p|system|` (every part is escaped, so the prefix is exact)
 * Modifiers: `:text` (the normalised display / text `tx` starts with the value), `:of-type`
 * (Identifier: `typeSystem|typeCode|value` matches `ty` and `c` of one entry), `:not` (the
 * resource has no value matching: compile.ts wraps the positive filter in `$nor`, so resources
 * without any value match too), `:missing` (compile.ts). `:in` and `:not-in` against a ValueSet
 * stored here are special.ts; `:below` and `:above` need a terminology server and are refused.
 */
import { escapeKeyPart, normaliseString } from '../normalise.js';
import { invalid } from './errors.js';
import { prefixPattern, splitParts, unescapeValue } from './parse.js';
import { ENTRIES, KEYS } from './combine.js';
import type { Cond, Match } from './types.js';

interface TokenValue {
  /** undefined: any system; '': no system */
  system: string | undefined;
  /** undefined: any code (`system|`) */
  code: string | undefined;
}

/** `code`, `system|code`, `|code` or `system|`; throws a 400 naming `name` otherwise. */
export function parseToken(name: string, value: string): TokenValue {
  const parts = splitParts(value);
  if (parts.length === 1) return { system: undefined, code: parts[0] };
  if (parts.length === 2) {
    const [system, code] = parts;
    if (system === '' && code === '') throw invalid(name, `Invalid value for token parameter '${name}': '|' needs a system or a code`);
    return { system, code: code === '' ? undefined : code };
  }
  throw invalid(name, `Invalid value for token parameter '${name}': '${value}' has more than one unescaped '|' (expected code, system|code, |code or system|)`);
}

/** One token value as a match on the keys of parameter `p` (`p:identifier` for references). */
export function tokenKeyMatch(name: string, p: string, value: string): Match {
  const { system, code } = parseToken(name, value);
  if (code === undefined) return { kind: 'keyPrefix', prefix: `${p}|${escapeKeyPart(system!)}|` };
  const c = escapeKeyPart(code);
  if (system === undefined) return { kind: 'keys', keys: [`${p}|${c}`] };
  if (system === '') {
    // no system: the code's key, in an entry without one (`p:identifier` entries are the reference's)
    const entry = p.endsWith(':identifier') ? p.slice(0, -':identifier'.length) : p;
    return { kind: 'filter', filter: { $and: [{ [KEYS]: `${p}|${c}` }, { [ENTRIES]: { $elemMatch: { p: entry, c: code, sys: { $exists: false } } } }] } };
  }
  return { kind: 'keys', keys: [`${p}|${escapeKeyPart(system)}|${c}`] };
}

/** One token value as a match for parameter `p` with `modifier` (not :not / :missing, see compile.ts). */
export function tokenMatch(name: string, p: string, modifier: string | undefined, value: string): Match {
  if (modifier === 'text') return { kind: 'entry', cond: { tx: { $regex: prefixPattern(normaliseString(unescapeValue(value))) } } };
  if (modifier === 'of-type') {
    const parts = splitParts(value);
    if (parts.length !== 3 || parts[1] === '' || parts[2] === '') {
      throw invalid(name, `Invalid value for '${name}': expected typeSystem|typeCode|value, got '${value}'`);
    }
    return { kind: 'entry', cond: { ty: `${parts[0]}|${parts[1]}`, c: parts[2] } };
  }
  return tokenKeyMatch(name, p, value);
}

/** A token value as a condition on the fields of one entry (composite components have no keys). */
export function tokenCondition(name: string, value: string): Cond {
  const { system, code } = parseToken(name, value);
  const cond: Cond = {};
  if (system === '') cond.sys = { $exists: false };
  else if (system !== undefined) cond.sys = system;
  if (code !== undefined) cond.c = code;
  return cond;
}
