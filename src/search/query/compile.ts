/**
 * compileSearch: FHIR search parameters in, one MongoDB filter over the stored SearchIndex
 * (`_idx`, see src/search/extract.ts) out, plus the parsed result parameters. Pure: no I/O.
 *
 * - Each parameter occurrence is one filter; repeated parameters are ANDed (`$and`), the comma
 *   values of one occurrence ORed (keys into one `$in`, entry conditions into one `$elemMatch`
 *   with `$or`), so every condition on the fields of an entry holds within ONE entry.
 * - `:missing=true` is "no entry with this p" (`$nor` of an `$elemMatch`), false "some entry".
 * - `:not` (token) is the `$nor` of the positive filter: resources without any value match too.
 * - `near`, `_text`, `_content`, `_list` and token `:in` / `:not-in` are special.ts (a filter, or
 *   a SpecialSpec in `special` for the executor).
 * - Unknown parameters (and known ones that are not supported: `_query`, `_filter`) are listed in
 *   `unknown` and ignored, or in strict mode refused. A malformed value or an unsupported
 *   modifier is a 400 in both modes.
 * - Empty values (`name=`) are ignored.
 * Only `$elemMatch`, `$in`, `$all`, `$regex`, `$gt(e)`, `$lt(e)`, `$exists`, `$nor`, `$and` and
 * `$or` are used; never `{'a.b': null}`, `{'a.0': ...}` or a whole-document equality.
 */
import { getSearchParameter, isSearchable, isSingleValued } from '../parameters.js';
import type { SearchParameterDef } from '../types.js';
import { parseChain, parseHas, type ChainContext } from './chain.js';
import { andFilters, missingFilter, orFilters, orMatches } from './combine.js';
import { compositeCondition } from './composite.js';
import { dateCondition, dateSortCondition, dateSortHint } from './date.js';
import { invalid, notSupported } from './errors.js';
import { numberCondition } from './number.js';
import { parseName, splitOr } from './parse.js';
import { quantityCondition } from './quantity.js';
import { idFilter, isTypeModifier, referenceMatch } from './reference.js';
import { DEFAULT_COUNT, IGNORED_PARAMS, RESULT_PARAMS, parseCount, parseElements, parseInclude, parseSummary, parseTotal } from './result.js';
import { parseSort } from './sort.js';
import { compileSpecial } from './special.js';
import { stringMatch } from './string.js';
import { parseToken, tokenMatch } from './token.js';
import type { CompiledSearch, Filter, Match, ParamContext, SearchRequest } from './types.js';
import { uriMatch } from './uri.js';

/** The modifiers each parameter type takes (`missing` for all; `:Type` for references separately). */
const MODIFIERS: Record<string, ReadonlySet<string>> = {
  string: new Set(['missing', 'exact', 'contains']),
  token: new Set(['missing', 'not', 'text', 'of-type']),
  reference: new Set(['missing', 'identifier']),
  date: new Set(['missing']),
  number: new Set(['missing']),
  quantity: new Set(['missing']),
  uri: new Set(['missing', 'above', 'below']),
  composite: new Set(['missing']),
};

/** Compiles one search. Throws a FhirError (400) for what it refuses. */
export function compileSearch(req: SearchRequest): CompiledSearch {
  return compileAt(req, 0);
}

function compileAt(req: SearchRequest, depth: number): CompiledSearch {
  const now = req.now === undefined ? Date.now() : typeof req.now === 'number' ? req.now : req.now.getTime();
  const out: CompiledSearch = { filter: {}, sort: [], count: DEFAULT_COUNT, include: [], revinclude: [], chains: [], unknown: [], selfParams: [] };
  const filters: Filter[] = [];
  const chainCtx: ChainContext = { req, depth, compile: compileAt };
  /** an unknown (or not indexed: `kind` not-supported) parameter: ignored, or in strict mode refused */
  const unknown = (name: string, why: string, kind: 'invalid' | 'not-supported' = 'invalid'): void => {
    if (req.strict) throw (kind === 'invalid' ? invalid : notSupported)(name, why);
    if (!out.unknown.includes(name)) out.unknown.push(name);
  };
  const isCode = (code: string): boolean => getSearchParameter(req.type, code) !== undefined;

  for (const [name, value] of req.params) {
    const colon = name.indexOf(':');
    const base = colon < 0 ? name : name.slice(0, colon);
    const modifier = colon < 0 ? undefined : name.slice(colon + 1);

    if (RESULT_PARAMS.has(base)) {
      if (IGNORED_PARAMS.has(base) || value.trim() === '') continue;
      if (modifier !== undefined && base !== '_include' && base !== '_revinclude') throw notSupported(name, `${base} takes no modifier (got '${name}')`);
      switch (base) {
        case '_sort':
          out.sort = parseSort(req.type, name, value);
          break;
        case '_count':
          out.count = parseCount(name, value);
          out.selfParams.push([name, String(out.count)]);
          continue;
        case '_total':
          out.total = parseTotal(name, value);
          break;
        case '_summary':
          out.summary = parseSummary(name, value);
          break;
        case '_elements':
          out.elements = parseElements(name, value);
          break;
        case '_include':
          out.include.push(parseInclude(name, modifier, value));
          break;
        case '_revinclude':
          out.revinclude.push(parseInclude(name, modifier, value));
          break;
      }
      out.selfParams.push([name, value]);
      continue;
    }

    if (base === '_has') {
      if (value === '') continue;
      const spec = parseHas(chainCtx, name, value);
      if (!spec) unknown(name, `Unknown parameter in '${name}' for ${name.split(':')[1]}`);
      else (out.chains.push(spec), out.selfParams.push([name, value]));
      continue;
    }

    const special = compileSpecial(req, name, value);
    if (special) {
      if (special.filter) filters.push(special.filter);
      if (special.spec) (out.special ??= []).push(special.spec);
      if (special.filter || special.spec) out.selfParams.push([name, value]);
      continue;
    }

    const parsed = parseName(name, isCode);
    const def = getSearchParameter(req.type, parsed.code);
    if (!def) {
      unknown(name, `Unknown search parameter '${parsed.code}' for resource type ${req.type}`);
      continue;
    }
    if (!isSearchable(def)) {
      unknown(name, `Search parameter '${parsed.code}' of ${req.type} is not supported by this server`, 'not-supported');
      continue;
    }
    if (value === '') continue;

    if (parsed.chain !== undefined) {
      const spec = parseChain(chainCtx, parsed, def, value);
      if (!spec) unknown(name, `Unknown chained parameter '${parsed.chain}' in '${name}': no target type of '${parsed.code}' has it`);
      else (out.chains.push(spec), out.selfParams.push([name, value]));
      continue;
    }

    const filter = compileParam({ name, code: parsed.code, modifier: parsed.modifier, def, baseUrl: req.baseUrl, now }, value);
    if (filter) {
      filters.push(filter);
      out.selfParams.push([name, value]);
    }
  }
  out.filter = andFilters(filters);
  return out;
}

/** One parameter occurrence (all its comma values) as one filter; undefined when it has no value. */
function compileParam(ctx: ParamContext, value: string): Filter | undefined {
  const { def, modifier, name, code } = ctx;
  checkModifier(ctx);
  const values = splitOr(value);
  if (values.length === 0) return undefined;

  if (modifier === 'missing') {
    return orFilters(
      [...new Set(values)].map((v) => {
        if (v !== 'true' && v !== 'false') throw invalid(name, `Invalid value for '${name}': must be true or false, got '${v}'`);
        return missingFilter(code, v === 'true');
      }),
    );
  }
  const positive = modifier === 'not' ? undefined : modifier;
  let filter: Filter;
  if (code === '_id' && positive === undefined) filter = idFilter(values.flatMap((v) => idOf(name, v)));
  else if (def.type === 'date' && modifier === undefined && isSingleValued(def)) filter = orFilters(values.map((v) => dateSortCondition(code, v, ctx.now) as Filter));
  else filter = orMatches(code, values.map((v) => matchValue({ ...ctx, modifier: positive }, def, v)));
  if (modifier === 'not') return { $nor: [filter] };
  if (def.type === 'date' && modifier === undefined) {
    // the hint also when exact: one range for the planner instead of a union of the $or's branches
    const hints = values.map((v) => dateSortHint(code, v, ctx.now));
    if (hints.every((h) => h !== undefined)) return andFilters([filter, orFilters(hints as Filter[])]);
  }
  return filter;
}

/**
 * `_id` is matched on the document `_id` (the resource id): the id a token value names, if any
 * (`id`, `|id`); an id has no system, so `sys|id` and `sys|` name none.
 */
function idOf(name: string, value: string): string[] {
  const { system, code } = parseToken(name, value);
  return code !== undefined && !system ? [code] : [];
}

function matchValue(ctx: ParamContext, def: SearchParameterDef, value: string): Match {
  const { name, code, modifier } = ctx;
  switch (def.type) {
    case 'string':
      return stringMatch(def, modifier, value);
    case 'token':
      return tokenMatch(name, code, modifier, value);
    case 'reference':
      return referenceMatch(ctx, value);
    case 'date':
      return { kind: 'entry', cond: dateCondition(name, value, ctx.now) };
    case 'number':
      return { kind: 'entry', cond: numberCondition(name, value) };
    case 'quantity':
      return { kind: 'entry', cond: quantityCondition(name, value) };
    case 'uri':
      return uriMatch(code, modifier, value);
    case 'composite':
      return { kind: 'entry', cond: compositeCondition(ctx, value) };
    default:
      throw notSupported(name, `Search parameter '${code}' of type ${def.type} is not supported`);
  }
}

function checkModifier({ def, modifier, name, code }: ParamContext): void {
  if (modifier === undefined) return;
  if (def.type === 'reference' && isTypeModifier(modifier)) {
    if (def.target && !def.target.includes(modifier)) {
      throw invalid(name, `Parameter '${code}' cannot refer to ${modifier} (its targets are ${def.target.join(', ')})`);
    }
    return;
  }
  if (MODIFIERS[def.type]?.has(modifier)) return;
  if (def.type === 'token' && ['below', 'above'].includes(modifier)) {
    throw notSupported(name, `Modifier ':${modifier}' on token parameter '${code}' is not supported (it needs terminology services)`);
  }
  throw notSupported(name, `Modifier ':${modifier}' is not supported on ${def.type} parameter '${code}'`);
}
