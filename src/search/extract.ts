/**
 * Search index extraction: on every write the store keeps, beside the resource, the values of all
 * its search parameters (the idea of the Microsoft FHIR server's `searchIndices`), so search is a
 * query on precomputed, normalised fields and never evaluates FHIRPath.
 *
 *   extractSearchIndex(resource) -> { e: IndexEntry[], k: string[], sort: { [code]: { lo, hi } } }
 *
 * `e`: one entry per value per parameter code `p` (deduplicated). A parameter without any value has
 * no entry, so `:missing=true` is "no entry with this p". Fields by parameter type:
 * - string     `s` normalised (lower case, NFD accents stripped, whitespace collapsed), `x` exact.
 *              HumanName: one entry each for text, family, given, prefix, suffix; Address: text,
 *              line, city, district, state, postalCode, country.
 * - token      `sys` system (absent if none), `c` code, `tx` normalised display/text (:text).
 *              Coding: sys/c/tx(display). CodeableConcept: an entry per coding, plus `{tx}` for
 *              its text. Identifier: sys/c(value)/tx(type.text) and `ty` = `typeSystem|typeCode`,
 *              one entry per type coding (:of-type). ContactPoint: c = value. code, string, id,
 *              uri, boolean ('true' / 'false'): c only (the implicit system of a code is not known).
 * - reference  `r` `Type/id`, `rt` type, `id`; `u` the full reference when it is an absolute URL
 *              (on any base) or a URN (then no r unless it ends in Type/id); `/_history/n` dropped
 *              from r; Reference.type gives rt when the reference does not; Reference.identifier
 *              gives `sys`/`c` (token style, :identifier). Contained `#id` references are not
 *              indexed. canonical / uri: `u` the URL without `|version`, `ver` the version, and
 *              r/rt/id when it ends in Type/id. A resource in place of a reference (Bundle
 *              composition / message) gives r/rt/id of that resource.
 * - date       `lo` / `hi` inclusive epoch ms: date, dateTime, instant by their precision (2020 is
 *              the whole year; no zone = UTC); Period start..end, an open end is -8.64e15 / 8.64e15;
 *              Timing from the earliest to the latest of its events and repeat.boundsPeriod.
 *              Strings that are not FHIR dates (e.g. "January 2012") are not indexed.
 * - number     `n`, `lo`/`hi` from its precision (1.5 is [1.45, 1.55]); integer types exact.
 * - quantity   `n`, `lo`/`hi` by precision (comparator `<`/`<=` opens lo, `>`/`>=` opens hi),
 *              `sys`, `c` (code), `u` (unit text). Money: sys `urn:iso:std:iso:4217`, c = currency.
 *              Range: lo/hi from low/high, no n. SampledData is not indexed.
 * - uri        `u` the exact uri.
 * - composite  `cmp`: one entry per component (each with the component parameter's code as p),
 *              for every combination of component values within the same base element, e.g.
 *              Observation code-value-quantity pairs code and valueQuantity of one Observation,
 *              component-code-value-quantity those of one component.
 * - special    Location near: `lat` / `lon`. `_text` (no expression): one entry `s` with the words
 *              of the narrative div (tags dropped; normalise.ts searchWords: normalised, words
 *              separated by one space), only when the resource has a narrative. `_content` has
 *              no entries (execute/special.ts reads the resources).
 *
 * `k`: exact-match keys (scheme in normalise.ts): token `p|sys|code`, `p|code`,
 * `p|sys|`; reference `p|Type/id`, `p|url`, `p:identifier|sys|value`; uri `p|uri`; string
 * `p|s` for the name parameters (the normalised value, so a starts-with search is a key prefix:
 * `name|considine`; parameters.ts stringKeyCode says which).
 *
 * `sort`: per code, the smallest `lo` and largest `hi` (date, number, quantity) or the smallest and
 * largest normalised string (string `s`, token `c` else `tx`, reference `r` else `u`, uri `u`).
 *
 * Decimal precision comes from the parsed JSON number, which has lost trailing zeros (1.00 -> 1).
 */
import { fastRelative, fastRoot, fhirpathRelative, fhirpathRoot, type RelativeEvaluator, type RootEvaluator, type Value } from './evaluate.js';
import { createRequire } from 'node:module';
import { htmlText, searchWords, tokenKeys, valueKey } from './normalise.js';
import { getSearchParameterByUrl, keyedStringsOf, rewriteAs, searchParametersOf, specialSearchKind, splitUnion } from './parameters.js';
import type { IndexEntry, SearchIndex, SearchParameterDef, SearchParamType, SortKey } from './types.js';
import { entriesFor } from './values.js';

export type { IndexEntry, SearchIndex } from './types.js';

export interface ExtractOptions {
  /** 'fhirpath' evaluates every expression with fhirpath.js (tests compare it with the fast path) */
  engine?: 'auto' | 'fhirpath';
  /** called for a parameter whose expression fails to compile or evaluate (it then has no entries) */
  onError?: (code: string, error: unknown) => void;
  /**
   * This server's base URL: an absolute reference on it is local (`Type/id`); an absolute
   * reference on any other base keeps only its URL (`u`), so `subject=Patient/1` does not match
   * another server's Patient/1.
   */
  localBase?: string;
}

/** Code systems of `code` elements bound (required) to one system: scripts/generate-implicit-systems.ts */
const IMPLICIT_SYSTEMS = createRequire(import.meta.url)('./generated/implicit-systems.json') as Record<string, string>;

const ABSOLUTE = /^[a-z][a-z0-9+.-]*:\/\//i;

function foreign(e: IndexEntry, localBase: string): boolean {
  return e.u !== undefined && e.r !== undefined && ABSOLUTE.test(e.u) && !e.u.startsWith(`${localBase}/`);
}

interface Compiled {
  branches: RootEvaluator[];
  components?: { code: string; type: SearchParamType; evaluate: RelativeEvaluator }[];
  error?: unknown;
}

const compiledAuto = new WeakMap<SearchParameterDef, Compiled>();
const compiledFhirpath = new WeakMap<SearchParameterDef, Compiled>();

function compiledOf(def: SearchParameterDef, fhirpathOnly: boolean): Compiled {
  const cache = fhirpathOnly ? compiledFhirpath : compiledAuto;
  let c = cache.get(def);
  if (!c) {
    try {
      c = { branches: def.branches.map((b) => (!fhirpathOnly && fastRoot(b, def.resourceType)) || fhirpathRoot(b)) };
      if (def.type === 'composite') {
        c.components = (def.component ?? []).map((component) => {
          const sp = getSearchParameterByUrl(component.definition);
          if (!sp) throw new Error(`component ${component.definition} is not a known SearchParameter`);
          const branches = splitUnion(component.expression).map(rewriteAs);
          const evaluators = branches.map((b) => (!fhirpathOnly && fastRelative(b)) || fhirpathRelative(b));
          const evaluate: RelativeEvaluator = evaluators.length === 1 ? evaluators[0] : (base, root) => evaluators.flatMap((e) => e(base, root));
          return { code: sp.code, type: sp.type, evaluate };
        });
      }
    } catch (error) {
      c = { branches: [], error };
    }
    cache.set(def, c);
  }
  return c;
}

/**
 * The format of what extractSearchIndex writes; raise it when that changes, and stores re-extract
 * the index of each type on first use (ResourceStore.reindexIfStale).
 *   1  entries, keys (token, reference, uri) and sort keys
 *   2  string keys `p|s` for the name parameters (parameters.ts stringKeyCode); no `p||code`
 *      keys (a token without system has `p|code` only) and no `_id` keys (searched on the
 *      document `_id`)
 */
export const SEARCH_INDEX_FORMAT = 2;

/** The index of all the search parameters of `resource`'s type. Never throws on a parameter. */
export function extractSearchIndex(resource: fhir4.Resource, options: ExtractOptions = {}): SearchIndex {
  const fhirpathOnly = options.engine === 'fhirpath';
  const entries: IndexEntry[] = [];
  const types = new Map<string, SearchParamType>();
  for (const def of searchParametersOf(resource.resourceType)) {
    if (def.branches.length === 0 || (def.type === 'special' && def.code !== 'near')) {
      if (specialSearchKind(def) === 'text') narrativeEntry(resource, entries);
      continue;
    }
    const compiled = compiledOf(def, fhirpathOnly);
    if (compiled.error) {
      options.onError?.(def.code, compiled.error);
      continue;
    }
    types.set(def.code, def.type);
    try {
      const values: Value[] = [];
      for (const branch of compiled.branches) for (const v of branch(resource)) values.push(v);
      const found: IndexEntry[] = [];
      if (compiled.components) {
        for (const base of values) for (const e of compositeEntries(def.code, compiled.components, base, resource)) found.push(e);
      } else {
        const implicit = def.type === 'token' ? IMPLICIT_SYSTEMS[`${def.resourceType}.${def.code}`] : undefined;
        for (const value of values) {
          for (const e of entriesFor(def.type, def.code, value)) {
            if (implicit && value.t === 'code' && e.sys === undefined && e.c !== undefined) e.sys = implicit;
            found.push(e);
          }
        }
      }
      if (found.length === 1) entries.push(found[0]);
      else if (found.length > 1) {
        const seen = new Set<string>();
        for (const e of found) {
          const sig = JSON.stringify(e);
          if (!seen.has(sig)) (seen.add(sig), entries.push(e));
        }
      }
    } catch (error) {
      options.onError?.(def.code, error);
    }
  }
  if (options.localBase !== undefined) {
    for (const e of entries) {
      if (types.get(e.p) === 'reference' && foreign(e, options.localBase)) {
        delete e.r;
        delete e.id;
      }
    }
  }
  return { e: entries, k: keysOf(entries, types, keyedStringsOf(resource.resourceType)), sort: sortOf(entries, types) };
}

/** `_text`: the words of the narrative (tags dropped, see searchWords), when there is one. */
function narrativeEntry(resource: fhir4.Resource, entries: IndexEntry[]): void {
  const div = (resource as fhir4.DomainResource).text?.div;
  if (typeof div !== 'string') return;
  const s = searchWords(htmlText(div));
  if (s !== '') entries.push({ p: '_text', s });
}

function compositeEntries(p: string, components: NonNullable<Compiled['components']>, base: Value, root: fhir4.Resource): IndexEntry[] {
  let combos: IndexEntry[][] = [[]];
  for (const component of components) {
    const found: IndexEntry[] = [];
    for (const v of component.evaluate(base, root)) {
      // a CodeableConcept's text-only entry (for :text) is no code to combine
      for (const e of entriesFor(component.type, component.code, v)) if (component.type !== 'token' || e.c !== undefined) found.push(e);
    }
    if (found.length === 0) return [];
    const next: IndexEntry[][] = [];
    for (const combo of combos) for (const e of found) next.push([...combo, e]);
    combos = next;
  }
  return combos.map((cmp) => ({ p, cmp }));
}

function keysOf(entries: IndexEntry[], types: Map<string, SearchParamType>, keyedStrings: ReadonlySet<string>): string[] {
  const keys = new Set<string>();
  for (const e of entries) {
    switch (types.get(e.p)) {
      case 'token':
        if (e.p !== '_id') for (const k of tokenKeys(e.p, e.sys, e.c)) keys.add(k);
        break;
      case 'reference':
        if (e.r !== undefined) keys.add(valueKey(e.p, e.r));
        if (e.u !== undefined) keys.add(valueKey(e.p, e.u));
        if (e.c !== undefined) for (const k of tokenKeys(`${e.p}:identifier`, e.sys, e.c)) keys.add(k);
        break;
      case 'uri':
        if (e.u !== undefined) keys.add(valueKey(e.p, e.u));
        break;
      case 'string':
        if (e.s !== undefined && keyedStrings.has(e.p)) keys.add(valueKey(e.p, e.s));
        break;
    }
  }
  return [...keys];
}

function sortOf(entries: IndexEntry[], types: Map<string, SearchParamType>): Record<string, SortKey> {
  const sort: Record<string, SortKey> = {};
  const widen = (p: string, lo: number | string, hi: number | string): void => {
    const cur = sort[p];
    if (!cur) sort[p] = { lo, hi };
    else {
      if (lo < cur.lo) cur.lo = lo;
      if (hi > cur.hi) cur.hi = hi;
    }
  };
  for (const e of entries) {
    switch (types.get(e.p)) {
      case 'date':
      case 'number':
      case 'quantity':
        if (e.lo !== undefined && e.hi !== undefined) widen(e.p, e.lo, e.hi);
        break;
      case 'string':
        if (e.s !== undefined) widen(e.p, e.s, e.s);
        break;
      case 'token': {
        const v = e.c ?? e.tx;
        if (v !== undefined) widen(e.p, v, v);
        break;
      }
      case 'reference': {
        const v = e.r ?? e.u;
        if (v !== undefined) widen(e.p, v, v);
        break;
      }
      case 'uri':
        if (e.u !== undefined) widen(e.p, e.u, e.u);
        break;
    }
  }
  return sort;
}
