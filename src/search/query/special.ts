/**
 * The parameters whose answer is not a plain condition on the index (search.html#special and the
 * token modifiers `:in` / `:not-in`): parsed and checked here (pure, so a malformed value is a 400
 * at compile time, also inside chains), answered by the executor (src/search/execute/special.ts)
 * from a SpecialSpec in CompiledSearch.special.
 *
 *   near=lat|lon[|distance[|units]]   Location.position within `distance` (great circle) of the
 *                                     point. units: a UCUM length (km when omitted; m, cm, mm,
 *                                     [mi_i] (or mi), [mi_us], [ft_i], [yd_i], [nmi_i]); no
 *                                     distance: DEFAULT_NEAR_KM (the spec leaves it to the server).
 *                                     `:missing` is a plain filter.
 *   _text=words                       a plain filter on the `_text` entry (the narrative's words,
 *                                     see extract.ts): every word of the value starts a word of
 *                                     the narrative; case and accents do not count. `:missing`.
 *   _content=words                    the same over all the text of the resource (executor: the
 *                                     resources matching the other parameters are read)
 *   _list=id                          the resources of the searched type that List/id's entries
 *                                     (not `deleted`) refer to; `$current-...` lists: 400
 *   token:in=vs / token:not-in=vs     a code in (not in) the ValueSet stored here with canonical
 *                                     url `vs` (`url|version`) or id (`ValueSet/id`)
 * Comma values are ORed, repeated parameters ANDed, as everywhere.
 */
import { getSearchParameter, isSearchable, specialSearchKind } from '../parameters.js';
import { searchWords } from '../normalise.js';
import { allOf, missingFilter, orFilters, orMatches } from './combine.js';
import { invalid, notSupported } from './errors.js';
import { escapeRegex, parseName, splitOr, splitParts, unescapeValue } from './parse.js';
import type { Cond, Filter, SearchRequest } from './types.js';

/** near without a distance: this many km. */
export const DEFAULT_NEAR_KM = 10;

/** UCUM length units (and a few plain spellings) in km. */
const LENGTH_KM: Record<string, number> = {
  km: 1,
  m: 0.001,
  cm: 0.00001,
  mm: 0.000001,
  '[mi_i]': 1.609344,
  mi_i: 1.609344,
  mi: 1.609344,
  '[mi_us]': 1.6093472186944373, // 5280 ft of 1200/3937 m
  mi_us: 1.6093472186944373,
  '[ft_i]': 0.0003048,
  ft_i: 0.0003048,
  '[yd_i]': 0.0009144,
  yd_i: 0.0009144,
  '[nmi_i]': 1.852,
  nmi_i: 1.852,
};

export interface NearPoint {
  lat: number;
  lon: number;
  /** the distance in km */
  km: number;
}

/** What the executor resolves (see the file header). */
export type SpecialSpec =
  | { kind: 'near'; name: string; code: string; points: NearPoint[] }
  /** _content: OR of the values, each the AND of its words (searchWords form) */
  | { kind: 'content'; name: string; values: string[][] }
  | { kind: 'list'; name: string; ids: string[] }
  /** :in / :not-in of token parameter `code`: OR of the value sets, `ValueSet/id` or `url[|version]` */
  | { kind: 'in'; name: string; code: string; not: boolean; valueSets: string[] };

/** A special parameter occurrence: a plain filter, or a spec for the executor; `{}` when it has no value. */
export interface SpecialParam {
  filter?: Filter;
  spec?: SpecialSpec;
}

const ID = /^[A-Za-z0-9\-.]{1,64}$/;
const DECIMAL = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/;
const ABSOLUTE = /^[a-z][a-z0-9+.-]*:\S+$/i;

/**
 * `name=value` when `name` is one of the special parameters (file header) of `req.type`,
 * undefined otherwise (then it is compiled as usual).
 */
export function compileSpecial(req: SearchRequest, name: string, value: string): SpecialParam | undefined {
  const parsed = parseName(name, (c) => getSearchParameter(req.type, c) !== undefined);
  if (parsed.chain !== undefined) return undefined;
  const { code, modifier } = parsed;
  if (code === '_list') {
    noModifier(name, modifier);
    return listParam(name, value);
  }
  const def = getSearchParameter(req.type, code);
  if (!def) return undefined;
  if (def.type === 'token' && (modifier === 'in' || modifier === 'not-in') && isSearchable(def)) return valueSetParam(name, code, modifier === 'not-in', value);
  const kind = specialSearchKind(def);
  if (kind === undefined) return undefined;
  if (modifier === 'missing' && kind !== 'content') return { filter: missing(name, code, value) };
  noModifier(name, modifier);
  const values = splitOr(value);
  if (values.length === 0) return {};
  switch (kind) {
    case 'near':
      return { spec: { kind: 'near', name, code, points: values.map((v) => nearPoint(name, v)) } };
    case 'text':
      return { filter: orMatches('_text', values.map((v) => ({ kind: 'entry', cond: wordsCondition(words(name, v)) }))) };
    case 'content':
      return { spec: { kind: 'content', name, values: values.map((v) => words(name, v)) } };
  }
}

function noModifier(name: string, modifier: string | undefined): void {
  if (modifier !== undefined) throw notSupported(name, `Modifier ':${modifier}' is not supported on '${name.split(':')[0]}'`);
}

function missing(name: string, code: string, value: string): Filter | undefined {
  const values = [...new Set(splitOr(value))];
  if (values.length === 0) return undefined;
  for (const v of values) if (v !== 'true' && v !== 'false') throw invalid(name, `Invalid value for '${name}': must be true or false, got '${v}'`);
  return orFilters(values.map((v) => missingFilter(code, v === 'true')));
}

function listParam(name: string, value: string): SpecialParam {
  const ids = splitOr(value).map(unescapeValue);
  if (ids.length === 0) return {};
  for (const id of ids) {
    if (id.startsWith('$')) throw notSupported(name, `Functional lists like '${id}' are not supported in '${name}'`);
    if (!ID.test(id)) throw invalid(name, `Invalid value for '${name}': '${id}' is not a List id`);
  }
  return { spec: { kind: 'list', name, ids: [...new Set(ids)] } };
}

function valueSetParam(name: string, code: string, not: boolean, value: string): SpecialParam {
  const valueSets = splitOr(value).map(unescapeValue);
  if (valueSets.length === 0) return {};
  for (const vs of valueSets) {
    if (!/^ValueSet\/[A-Za-z0-9\-.]{1,64}$/.test(vs) && !ABSOLUTE.test(vs)) {
      throw invalid(name, `Invalid value for '${name}': '${vs}' is neither the canonical URL of a ValueSet nor ValueSet/id`);
    }
  }
  return { spec: { kind: 'in', name, code, not, valueSets: [...new Set(valueSets)] } };
}

function nearPoint(name: string, value: string): NearPoint {
  const parts = splitParts(value).map((p) => p.trim());
  const bad = (why: string): never => {
    throw invalid(name, `Invalid value for '${name}': '${unescapeValue(value)}' ${why} (expected latitude|longitude|distance|units, e.g. 42.25|-83.69|5|km)`);
  };
  if (parts.length < 2 || parts.length > 4) bad('does not have 2 to 4 parts');
  const [latText, lonText, distanceText = '', unitsText = ''] = parts;
  if (!DECIMAL.test(latText) || !DECIMAL.test(lonText)) bad('has no decimal latitude and longitude');
  const lat = Number(latText);
  const lon = Number(lonText);
  if (!(lat >= -90 && lat <= 90)) bad('has a latitude outside -90..90');
  if (!(lon >= -180 && lon <= 180)) bad('has a longitude outside -180..180');
  if (distanceText === '') {
    if (unitsText !== '' && LENGTH_KM[unitsText] === undefined) bad(`has the unknown length unit '${unitsText}'`);
    return { lat, lon, km: DEFAULT_NEAR_KM };
  }
  if (!DECIMAL.test(distanceText) || !(Number(distanceText) >= 0) || !Number.isFinite(Number(distanceText))) bad('has a distance that is not a non-negative decimal');
  const perUnit = LENGTH_KM[unitsText === '' ? 'km' : unitsText];
  if (perUnit === undefined) bad(`has the unknown length unit '${unitsText}' (UCUM: km, m, [mi_i], [mi_us], [ft_i], [nmi_i]...)`);
  return { lat, lon, km: Number(distanceText) * perUnit };
}

/** The words of one text search value (searchWords form); a value without any word is a 400. */
function words(name: string, value: string): string[] {
  const out = [...new Set(searchWords(unescapeValue(value)).split(' ').filter((w) => w !== ''))];
  if (out.length === 0) throw invalid(name, `Invalid value for '${name}': '${unescapeValue(value)}' has no word to search`);
  return out;
}

/** Every word starts a word of the entry's `s` (words separated by single spaces). */
function wordsCondition(ws: string[]): Cond {
  return allOf(...ws.map((w) => ({ s: { $regex: wordPattern(w) } })));
}

/** `(^| )word`: a word starting with `word` (a JS and PCRE regular expression). */
export function wordPattern(word: string): string {
  return `(?:^| )${escapeRegex(word)}`;
}
