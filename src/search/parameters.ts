/**
 * The search parameter registry: every official FHIR R4 SearchParameter (from the checked-in
 * src/search/generated/search-parameters.json, see scripts/generate-search-parameters.ts) plus the
 * project's own ones from conformance/search-parameters/*.json, one entry per (resource type, code).
 *
 * A parameter on `Resource` (_id, _lastUpdated, _tag, _profile, _security, _source, _content,
 * _query) applies to all 146 types, one on `DomainResource` (_text) to all but Bundle, Binary and
 * Parameters; a parameter with several bases (e.g. `patient`, `date`, `code`) has an entry per base
 * whose expression keeps only its own union branches (plus `Resource.`-rooted and unprefixed ones).
 * `X as T` and `X.as(T)` are rewritten to `X.ofType(T)`: fhirpath.js 5.2 throws on `as` over a
 * collection (e.g. `Observation.component.value as Quantity`), and `as(DateTime)` does not match a
 * FHIR dateTime while `ofType(DateTime)` does.
 *
 * Project parameters: each *.json file holds a SearchParameter, an array of them or a Bundle of
 * them. They are read once at import (a missing directory means none); a project parameter with
 * the same (type, code) as a core one replaces it. Invalid files throw at import, naming the file.
 */
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { RESOURCE_TYPES } from '../fhir/definitions.js';
import type { CompactSearchParameter, GeneratedSearchParameters, SearchParameterDef, SearchParamType } from './types.js';

const require = createRequire(import.meta.url);
const generated = require('./generated/search-parameters.json') as GeneratedSearchParameters;

export const PROJECT_SEARCH_PARAMETERS_DIR = fileURLToPath(new URL('../../conformance/search-parameters', import.meta.url));

const NOT_DOMAIN_RESOURCES = new Set(['Bundle', 'Binary', 'Parameters']);
const TYPES: readonly SearchParamType[] = ['number', 'date', 'string', 'token', 'reference', 'composite', 'quantity', 'uri', 'special'];

interface Source {
  sp: CompactSearchParameter;
  origin: 'core' | 'project';
}

const byUrl = new Map<string, Source>();
/** base type (including Resource / DomainResource) -> code -> source; project ones after core */
const byBase = new Map<string, Map<string, Source>>();
const perType = new Map<string, { codes: Map<string, SearchParameterDef>; list: readonly SearchParameterDef[] }>();
/** stringKeyCode and keyedStringsOf, per type (cleared with perType) */
const keyCodes = new Map<string, Map<string, string | undefined>>();
const keyedStrings = new Map<string, ReadonlySet<string>>();

function register(sp: CompactSearchParameter, origin: 'core' | 'project'): void {
  const source = { sp, origin };
  byUrl.set(sp.url, source);
  for (const base of sp.base) {
    let codes = byBase.get(base);
    if (!codes) byBase.set(base, (codes = new Map()));
    codes.set(sp.code, source);
  }
  perType.clear();
  keyCodes.clear();
  keyedStrings.clear();
}

for (const sp of generated.params) register(sp, 'core');

/**
 * The parameters without an ordinary index that the executor answers itself
 * (src/search/execute/special.ts), by canonical URL: a project parameter with the same code but
 * another definition is not taken for them.
 */
const SPECIAL_SEARCH: ReadonlyMap<string, 'near' | 'text' | 'content'> = new Map([
  ['http://hl7.org/fhir/SearchParameter/Location-near', 'near'],
  ['http://hl7.org/fhir/SearchParameter/DomainResource-text', 'text'],
  ['http://hl7.org/fhir/SearchParameter/Resource-content', 'content'],
]);

/** `near`, `_text` or `_content` when `def` is that R4 parameter (see SPECIAL_SEARCH). */
export function specialSearchKind(def: SearchParameterDef): 'near' | 'text' | 'content' | undefined {
  return SPECIAL_SEARCH.get(def.url);
}

/**
 * Can this parameter be searched? It needs extracted values: an expression, and a type the
 * compiler knows; or it is one of the special ones the executor answers (`near`, `_text`,
 * `_content`; `_list` is not in the registry). `_query` and other special parameters are not.
 */
export function isSearchable(def: SearchParameterDef): boolean {
  return (def.branches.length > 0 && def.type !== 'special') || specialSearchKind(def) !== undefined;
}

/** Date parameters with at most one value per resource, by `Type.code`: scripts/generate-single-valued.ts */
const SINGLE_VALUED = require('./generated/single-valued.json') as Record<string, string>;

/**
 * Does this (date) parameter take at most one value per resource of its type? Then its one index
 * entry's range is also its sort keys' (`_idx.sort.<code>`). Only the core definition the table
 * was generated for: a project parameter redefining the code is not.
 */
export function isSingleValued(def: SearchParameterDef): boolean {
  return def.origin === 'core' && def.expression !== undefined && SINGLE_VALUED[`${def.resourceType}.${def.code}`] === def.expression;
}

/** The elements whose string parameters get keys: names, searched by starts-with most. */
const NAME_ELEMENTS = new Set(['name', 'family', 'given', 'alias']);

/**
 * The code whose string keys (`code|value`, extract.ts) answer a starts-with search of this string
 * parameter, or undefined when it has none (then it is an `$elemMatch` over the entries). Name
 * parameters have keys: every branch ends in `name`, `family`, `given` or `alias` (`Patient.name`,
 * `Patient.name.family`, `Organization.name`). Another name parameter with the very same
 * expression shares the first one's keys (`phonetic` uses `name`'s: same values, same keys).
 * Other strings (addresses, descriptions) keep the write cost of keys off every resource.
 */
export function stringKeyCode(def: SearchParameterDef): string | undefined {
  if (def.type !== 'string' || def.branches.length === 0) return undefined;
  let byCode = keyCodes.get(def.resourceType);
  if (!byCode) {
    byCode = new Map();
    const firstOf = new Map<string, string>();
    for (const d of searchParametersOf(def.resourceType)) {
      if (d.type !== 'string' || d.branches.length === 0 || d.expression === undefined) continue;
      const named = d.branches.every((b) => NAME_ELEMENTS.has(b.slice(b.lastIndexOf('.') + 1)));
      if (!named) continue;
      if (!firstOf.has(d.expression)) firstOf.set(d.expression, d.code);
      byCode.set(d.code, firstOf.get(d.expression));
    }
    keyCodes.set(def.resourceType, byCode);
  }
  return byCode.get(def.code);
}

/** The string parameters of a type that write keys (their own stringKeyCode). */
export function keyedStringsOf(type: string): ReadonlySet<string> {
  let out = keyedStrings.get(type);
  if (!out) {
    const codes = new Set<string>();
    for (const d of searchParametersOf(type)) if (stringKeyCode(d) === d.code) codes.add(d.code);
    keyedStrings.set(type, (out = codes));
  }
  return out;
}

/** The registry entry for `code` on resource type `type`, or undefined. */
export function getSearchParameter(type: string, code: string): SearchParameterDef | undefined {
  return table(type).codes.get(code);
}

/** All the search parameters of resource type `type` (Resource-level ones included), by code. */
export function searchParametersOf(type: string): readonly SearchParameterDef[] {
  return table(type).list;
}

/** The SearchParameter with this canonical URL (e.g. a composite's component), as defined. */
export function getSearchParameterByUrl(url: string): CompactSearchParameter | undefined {
  return byUrl.get(url)?.sp;
}

function table(type: string): { codes: Map<string, SearchParameterDef>; list: readonly SearchParameterDef[] } {
  const cached = perType.get(type);
  if (cached) return cached;
  const codes = new Map<string, SearchParameterDef>();
  if (RESOURCE_TYPES.has(type) || byBase.has(type)) {
    const bases = ['Resource', ...(NOT_DOMAIN_RESOURCES.has(type) ? [] : ['DomainResource']), type];
    for (const base of bases) {
      for (const [code, source] of byBase.get(base) ?? []) {
        const existing = codes.get(code);
        if (existing?.origin === 'project' && source.origin === 'core') continue;
        codes.set(code, toDef(source, type));
      }
    }
  }
  const entry = { codes, list: Object.freeze([...codes.values()]) };
  perType.set(type, entry);
  return entry;
}

function toDef({ sp, origin }: Source, resourceType: string): SearchParameterDef {
  const branches = sp.expression ? branchesFor(sp.expression, resourceType) : [];
  const def: SearchParameterDef = {
    url: sp.url,
    code: sp.code,
    type: sp.type,
    resourceType,
    base: sp.base,
    definedExpression: sp.expression,
    branches,
    expression: branches.length ? branches.join(' | ') : undefined,
    origin,
  };
  if (sp.target) def.target = sp.target;
  if (sp.multipleOr !== undefined) def.multipleOr = sp.multipleOr;
  if (sp.multipleAnd !== undefined) def.multipleAnd = sp.multipleAnd;
  if (sp.comparator) def.comparator = sp.comparator;
  if (sp.modifier) def.modifier = sp.modifier;
  if (sp.chain) def.chain = sp.chain;
  if (sp.component) def.component = sp.component;
  return Object.freeze(def);
}

// ---------------------------------------------------------------------------------------------
// expressions

/** Splits at top-level `|` (outside parentheses and string literals). */
export function splitUnion(expression: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let quoted = false;
  let start = 0;
  for (let i = 0; i < expression.length; i++) {
    const ch = expression[i];
    if (ch === "'" && expression[i - 1] !== '\\') quoted = !quoted;
    else if (quoted) continue;
    else if (ch === '(') depth++;
    else if (ch === ')') depth--;
    else if (ch === '|' && depth === 0) {
      out.push(expression.slice(start, i).trim());
      start = i + 1;
    }
  }
  out.push(expression.slice(start).trim());
  return out.filter((b) => b !== '');
}

/** `(X as T)` and `X.as(T)` to `X.ofType(T)`; also a bare `X as T` branch. */
export function rewriteAs(expression: string): string {
  let out = expression;
  for (let i = 0; i < 5; i++) {
    const next = out.replace(/\(([^()']*?)\s+as\s+((?:FHIR\.|System\.)?[A-Za-z]+)\s*\)/g, '($1.ofType($2))');
    if (next === out) break;
    out = next;
  }
  out = out.replace(/\.as\(\s*((?:FHIR\.|System\.)?[A-Za-z]+)\s*\)/g, '.ofType($1)');
  out = out.replace(/^([^()']+?)\s+as\s+((?:FHIR\.|System\.)?[A-Za-z]+)$/, '$1.ofType($2)');
  return stripParens(out);
}

/** Removes redundant parentheses around `(X.ofType(T))` groups and around the whole branch. */
function stripParens(expression: string): string {
  let out = expression.replace(/(?<![A-Za-z0-9_])\(([^()']*\.ofType\([A-Za-z.]+\))\)/g, '$1');
  while (out.startsWith('(') && matchingParen(out, 0) === out.length - 1) out = out.slice(1, -1).trim();
  return out;
}

function matchingParen(text: string, open: number): number {
  let depth = 0;
  for (let i = open; i < text.length; i++) {
    if (text[i] === '(') depth++;
    else if (text[i] === ')' && --depth === 0) return i;
  }
  return -1;
}

/** The rewritten union branches of `expression` that apply to `resourceType`. */
export function branchesFor(expression: string, resourceType: string): string[] {
  const out: string[] = [];
  for (const raw of splitUnion(expression)) {
    const branch = rewriteAs(raw);
    const head = /^\(*\s*([A-Za-z][A-Za-z0-9]*)/.exec(branch)?.[1];
    const typed = head !== undefined && (RESOURCE_TYPES.has(head) || head === 'Resource' || head === 'DomainResource' || byBase.has(head));
    if (typed && head !== resourceType && head !== 'Resource' && !(head === 'DomainResource' && !NOT_DOMAIN_RESOURCES.has(resourceType))) continue;
    if (!out.includes(branch)) out.push(branch);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// project parameters

/** Adds (or replaces) SearchParameters; used for the project directory, and by tests. */
export function addSearchParameters(resources: unknown[], origin = 'SearchParameter'): void {
  for (const r of resources) register(toCompact(r, origin), 'project');
}

/** Reads every *.json file of `dir` (none if it does not exist) into the registry. */
export function loadProjectSearchParameters(dir: string = PROJECT_SEARCH_PARAMETERS_DIR): number {
  if (!fs.existsSync(dir)) return 0;
  let count = 0;
  for (const file of fs.readdirSync(dir).filter((f) => f.endsWith('.json')).sort()) {
    const full = path.join(dir, file);
    let json: unknown;
    try {
      json = JSON.parse(fs.readFileSync(full, 'utf8'));
    } catch (e) {
      throw new Error(`${full}: not JSON (${(e as Error).message})`);
    }
    const list = Array.isArray(json)
      ? json
      : (json as fhir4.Bundle)?.resourceType === 'Bundle'
        ? ((json as fhir4.Bundle).entry ?? []).map((e) => e.resource)
        : [json];
    addSearchParameters(list, full);
    count += list.length;
  }
  return count;
}

function toCompact(r: unknown, origin: string): CompactSearchParameter {
  const sp = r as Partial<fhir4.SearchParameter> | null;
  const fail = (why: string): never => {
    throw new Error(`${origin}: invalid SearchParameter${sp?.id ? ` ${sp.id}` : ''}: ${why}`);
  };
  if (!sp || sp.resourceType !== 'SearchParameter') fail('resourceType must be SearchParameter');
  if (typeof sp!.code !== 'string' || !/^[A-Za-z0-9_][A-Za-z0-9_.-]*$/.test(sp!.code)) fail('code is missing or invalid');
  if (!TYPES.includes(sp!.type as SearchParamType)) fail(`type must be one of ${TYPES.join(', ')}`);
  if (!Array.isArray(sp!.base) || sp!.base.length === 0) fail('base is missing');
  if (sp!.expression !== undefined && typeof sp!.expression !== 'string') fail('expression must be a string');
  if (sp!.type === 'composite' && !sp!.component?.length) fail('a composite needs components');
  const out: CompactSearchParameter = {
    url: sp!.url ?? `urn:project:SearchParameter:${sp!.code}`,
    code: sp!.code!,
    type: sp!.type as SearchParamType,
    base: [...sp!.base!],
  };
  if (sp!.expression) out.expression = sp!.expression;
  if (sp!.target?.length) out.target = [...sp!.target];
  if (sp!.multipleOr !== undefined) out.multipleOr = sp!.multipleOr;
  if (sp!.multipleAnd !== undefined) out.multipleAnd = sp!.multipleAnd;
  if (sp!.comparator?.length) out.comparator = [...sp!.comparator];
  if (sp!.modifier?.length) out.modifier = [...sp!.modifier];
  if (sp!.chain?.length) out.chain = [...sp!.chain];
  if (sp!.component?.length) out.component = sp!.component.map((c) => ({ definition: c.definition, expression: c.expression }));
  return out;
}

loadProjectSearchParameters();
