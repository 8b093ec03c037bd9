/**
 * Value normalisation shared by index extraction and (later) the query compiler, so that both sides
 * of a comparison are normalised the same way.
 *
 * Exact-match keys (SearchIndex.k), one multikey index serves every equality search. A key is
 * `<param>|<parts>` where every part is escaped as in FHIR search values (search.html#escaping:
 * `\`, `|`, `$` and `,` get a backslash), so unescaped `|` only ever separates parts:
 *
 *   token with system     `p|sys|code`  and  `p|code`
 *   token without system  `p|code`
 *   token, system only    `p|sys|`
 *     -> query `code` = key `p|code`; `sys|code` = `p|sys|code`; `|code` = key `p|code` and an
 *        entry without `sys`; `sys|` = prefix `p|sys|` (escaped parts never contain a bare `|`,
 *        so the prefix is exact)
 *   _id                   none: `_id` searches are on the document `_id`, the resource id
 *   reference             `p|Type/id`, and `p|<absolute URL or URN>` when it has one
 *                         (`p|url` for canonicals, without the `|version`)
 *   Reference.identifier  `p:identifier|sys|value` and `p:identifier|value` (:identifier modifier)
 *   uri                   `p|uri`
 *   string                `p|s`, the normalised value (a starts-with search is a key prefix)
 * date, number, quantity and composite parameters have no keys (ranges are matched on
 * SearchIndex.e or the sort keys).
 */
import { parseDateRange } from '../fhir/datetime.js';

/** Open ends of date and quantity ranges: ±8.64e15 is the range of JS Date, JSON-safe unlike ±Infinity. */
export const RANGE_MIN = -8.64e15;
export const RANGE_MAX = 8.64e15;

const COMBINING_MARKS = /[\u0300-\u036f]/g;
const WHITESPACE = /\s+/g;

/** For string search: lower case, accents removed (NFD, combining marks dropped), whitespace collapsed. */
export function normaliseString(text: string): string {
  let out = text;
  // printable ASCII has nothing to fold: skip the (slower) NFD
  if (!/^[ -~]*$/.test(out)) out = out.normalize('NFD').replace(COMBINING_MARKS, '');
  return out.replace(WHITESPACE, ' ').trim().toLowerCase();
}

export function escapeKeyPart(part: string): string {
  return /[\\|$,]/.test(part) ? part.replace(/[\\|$,]/g, '\\$&') : part;
}

/** The keys of a token value; `system` undefined = the value has no system. */
export function tokenKeys(param: string, system: string | undefined, code: string | undefined): string[] {
  if (code === undefined) return system === undefined ? [] : [`${param}|${escapeKeyPart(system)}|`];
  const c = escapeKeyPart(code);
  return system === undefined ? [`${param}|${c}`] : [`${param}|${escapeKeyPart(system)}|${c}`, `${param}|${c}`];
}

export function valueKey(param: string, value: string): string {
  return `${param}|${escapeKeyPart(value)}`;
}

/**
 * The implicit range of a decimal from its written precision (search.html#number): 100 is
 * [99.5, 100.5], 1.00 is [0.995, 1.005], 1e2 is [50, 150]. A JSON number has lost its trailing
 * zeros (1.00 parses as 1), so pass the source text when it is known.
 */
export function numberRange(value: number | string): { n: number; lo: number; hi: number } | undefined {
  const text = typeof value === 'number' ? String(value) : value.trim();
  const m = /^([+-]?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/.exec(text);
  const n = Number(text);
  if (!m || (m[2] === '' && !m[3]) || !Number.isFinite(n)) return undefined;
  const decimals = (m[3]?.length ?? 0) - (m[4] ? Number(m[4]) : 0);
  const half = 0.5 * 10 ** -decimals;
  // round away the binary noise of n ± half at one digit more than the precision
  const digits = Math.min(100, Math.max(0, decimals + 1));
  return { n, lo: roundTo(n - half, digits), hi: roundTo(n + half, digits) };
}

function roundTo(x: number, digits: number): number {
  if (digits > 15) return x;
  const r = Number(x.toFixed(digits));
  return Number.isFinite(r) ? r : x;
}

/** A FHIR date / dateTime / instant as an inclusive epoch-ms range, undefined if not a valid value. */
export function dateRange(text: string): { lo: number; hi: number } | undefined {
  const r = parseDateRange(text);
  return r ? { lo: r.start, hi: r.end } : undefined;
}

const NOT_WORD = /[^\p{L}\p{N}\p{M}]+/gu;

/**
 * For text search (`_text`, `_content`): folded like normaliseString (lower case, accents
 * dropped), and every run of characters that are not letters, digits or marks becomes one space, so the result is words separated by single
 * spaces ('Fièvre, toux.' -> 'fievre toux'). A query word matches the start of a word.
 */
export function searchWords(text: string): string {
  let out = text;
  // like normaliseString; the whitespace needs no collapsing of its own (it is no word character)
  if (!/^[\x00-\x7f]*$/.test(out)) out = out.normalize('NFD').replace(COMBINING_MARKS, '');
  return out.toLowerCase().replace(NOT_WORD, ' ').trim();
}

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: ' ' };

/** The text of an XHTML fragment (a narrative div): tags dropped, character references decoded. */
export function htmlText(xhtml: string): string {
  const text = xhtml.replace(/<[^>]*>/g, ' ');
  if (!text.includes('&')) return text;
  return text.replace(/&(#x[0-9a-f]+|#\d+|[a-z]+);/gi, (whole, ref: string) => {
    if (ref[0] !== '#') return ENTITIES[ref.toLowerCase()] ?? whole;
    const n = ref[1] === 'x' || ref[1] === 'X' ? parseInt(ref.slice(2), 16) : parseInt(ref.slice(1), 10);
    return n > 0 && n <= 0x10ffff ? String.fromCodePoint(n) : ' ';
  });
}
