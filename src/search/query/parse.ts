/**
 * The search value grammar (search.html#escaping): `,` separates OR values, `|` the parts of a
 * token / quantity / reference, `$` the components of a composite; a backslash escapes `\`, `,`,
 * `|` and `$`. Values are split on the unescaped separators first and unescaped last.
 * Also: parameter names (`code[:modifier][.chain]`) and regular expressions.
 */

/** Splits at every `sep` not preceded by an escaping backslash; the parts keep their escapes. */
export function splitUnescaped(text: string, sep: string): string[] {
  const out: string[] = [];
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (ch === '\\') i++;
    else if (ch === sep) {
      out.push(text.slice(start, i));
      start = i + 1;
    }
  }
  out.push(text.slice(start));
  return out;
}

/** Removes the escaping backslash before `\`, `,`, `|` and `$` (a backslash before anything else stays). */
export function unescapeValue(text: string): string {
  return text.includes('\\') ? text.replace(/\\([\\,|$])/g, '$1') : text;
}

/** The OR values of a parameter value, still escaped; empty values dropped. */
export function splitOr(value: string): string[] {
  return splitUnescaped(value, ',').filter((v) => v !== '');
}

/** The `|`-separated parts of one value, unescaped. */
export function splitParts(value: string): string[] {
  return splitUnescaped(value, '|').map(unescapeValue);
}

export function escapeRegex(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** An anchored prefix pattern, for `$regex` (MongoDB uses an index for `^literal`). */
export function prefixPattern(text: string): string {
  return `^${escapeRegex(text)}`;
}

export interface ParsedName {
  /** the name as given */
  name: string;
  code: string;
  modifier: string | undefined;
  /** what follows the first `.` after code[:modifier], for chained parameters */
  chain: string | undefined;
}

/**
 * `code`, `code:modifier`, `code.chain`, `code:Type.chain`. `isCode` tells whether a string with
 * dots is itself a parameter code (project parameters may have dots in their code).
 */
export function parseName(name: string, isCode: (code: string) => boolean): ParsedName {
  const colon = name.indexOf(':');
  const head = colon < 0 ? name : name.slice(0, colon);
  if (head.includes('.') && !isCode(head)) {
    const dot = name.indexOf('.');
    const base = name.slice(0, dot);
    return { name, code: base, modifier: undefined, chain: name.slice(dot + 1) };
  }
  if (colon < 0) return { name, code: name, modifier: undefined, chain: undefined };
  const after = name.slice(colon + 1);
  const dot = after.indexOf('.');
  if (dot < 0) return { name, code: head, modifier: after, chain: undefined };
  return { name, code: head, modifier: after.slice(0, dot), chain: after.slice(dot + 1) };
}
