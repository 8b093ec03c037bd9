/**
 * The shapes of the search compiler: what compileSearch takes and gives, and the intermediate
 * pieces the per-type modules build (an entry condition, or a match on the keys).
 */

/** One search, as parsed from the query string or the form body (names and values URL-decoded). */
export interface SearchRequest {
  /** the resource type searched */
  type: string;
  /** the parameters in order, `[name, value]`, a name repeated for AND */
  params: ReadonlyArray<readonly [string, string]>;
  /** Prefer: handling=strict: unknown parameters are an error rather than ignored */
  strict: boolean;
  /** the server's base URL (e.g. `https://fhir.example.org/fhir`): references on it are taken as `Type/id` */
  baseUrl?: string;
  /** "now" for the `ap` prefix of dates (epoch ms or Date), default Date.now() */
  now?: number | Date;
}

/** One `_include` / `_revinclude` value. `_include=*` is `{ type: '*', param: '*' }`. */
export interface IncludeSpec {
  /** the source type (the type holding the reference) */
  type: string;
  /** its reference search parameter, or '*' (all of them) */
  param: string;
  /** only references to this type */
  targetType?: string;
  /** `:iterate` (or the R3 name `:recurse`) */
  iterate: boolean;
}

/**
 * A parameter the filter cannot answer alone; the executor runs a sub-search and adds its result
 * to the filter as an `$in` on keys (see chain.ts, referenceFilter, idFilter).
 *
 * - kind 'chain' (`subject:Patient.name=peter`): search each of `targetTypes` with
 *   `[[rest, value]]`; the resource matches when its parameter `param` references one of the
 *   results: `referenceFilter(param, ['Patient/1', ...])`.
 * - kind 'has' (`_has:Observation:patient:code=1234` on Patient): search `targetTypes[0]`
 *   (Observation) with `[[rest, value]]`; the resource matches when one of the results references
 *   it through `param` (patient): collect those references' ids of the searched type and apply
 *   `idFilter(ids)`.
 * `rest` may itself be chained or a `_has` (the executor calls compileSearch again for it).
 */
export interface ChainSpec {
  kind: 'chain' | 'has';
  /** the parameter name as given, e.g. `subject:Patient.name` */
  name: string;
  /** chain: the reference parameter of the searched type; has: the reference parameter of the other type */
  param: string;
  /** chain: the types `param` may point to that know `rest`; has: [the referring type] */
  targetTypes: string[];
  /** the parameter to search on the target type (name, possibly with modifier / further chain) */
  rest: string;
  /** the value, as given (commas still mean OR) */
  value: string;
}

export interface CompiledSearch {
  /** MongoDB filter over `_idx` (the stored SearchIndex); `{}` matches everything */
  filter: Record<string, unknown>;
  /** from _sort, in order; turn into a sort document with sortFields() */
  sort: Array<{ code: string; dir: 1 | -1 }>;
  /** _count (default 20, at most 1000) */
  count?: number;
  total?: 'none' | 'estimate' | 'accurate';
  summary?: string;
  elements?: string[];
  include: IncludeSpec[];
  revinclude: IncludeSpec[];
  chains: ChainSpec[];
  /** near, _content, _list, token :in / :not-in, for the executor (special.ts); absent when none */
  special?: import('./special.js').SpecialSpec[];
  /** parameter names that are not known for the type (ignored; strict mode throws instead) */
  unknown: string[];
  /** the parameters applied, in order, for the Bundle's self link */
  selfParams: Array<[string, string]>;
}

/** A condition on the fields of one index entry (inside `$elemMatch`, without `p`). */
export type Cond = Record<string, unknown>;
export type Filter = Record<string, unknown>;

/**
 * What one value of a parameter (one OR branch) matches. The OR branches of a parameter are then
 * merged: all `keys` into one `$in`, all `entry` conditions into one `$elemMatch` with `$or`.
 */
export type Match =
  | { kind: 'keys'; keys: string[] }
  | { kind: 'keyPrefix'; prefix: string }
  | { kind: 'entry'; cond: Cond }
  | { kind: 'filter'; filter: Filter };

/** What a per-type compiler is given for one parameter occurrence. */
export interface ParamContext {
  /** the name as given, with modifier (for messages and OperationOutcome.expression) */
  name: string;
  /** the parameter's code, e.g. `subject` */
  code: string;
  modifier: string | undefined;
  def: import('../types.js').SearchParameterDef;
  baseUrl: string | undefined;
  now: number;
}
