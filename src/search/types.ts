/**
 * Shapes shared by the search parameter registry (parameters.ts), index extraction (extract.ts)
 * and, later, the query compiler. See extract.ts for how each IndexEntry field is filled.
 */

export type SearchParamType =
  | 'number'
  | 'date'
  | 'string'
  | 'token'
  | 'reference'
  | 'composite'
  | 'quantity'
  | 'uri'
  | 'special';

/** One SearchParameter as stored in src/search/generated/search-parameters.json. */
export interface CompactSearchParameter {
  url: string;
  code: string;
  type: SearchParamType;
  base: string[];
  expression?: string;
  target?: string[];
  multipleOr?: boolean;
  multipleAnd?: boolean;
  comparator?: string[];
  modifier?: string[];
  chain?: string[];
  component?: { definition: string; expression: string }[];
}

export interface GeneratedSearchParameters {
  fhirVersion: string;
  source: string;
  /** ids of the Medplum bundle's parameters left out because they are not in official R4 */
  dropped: string[];
  params: CompactSearchParameter[];
}

/** A registry entry: one SearchParameter as it applies to one resource type. */
export interface SearchParameterDef {
  /** canonical URL of the SearchParameter (shared by all the types of a multi-base parameter) */
  url: string;
  code: string;
  type: SearchParamType;
  /** the resource type this entry is for */
  resourceType: string;
  /** the SearchParameter's base list as defined */
  base: readonly string[];
  /** the expression as defined (all bases), undefined for _content, _text, _query, _filter... */
  definedExpression: string | undefined;
  /**
   * The union branches of the expression that apply to resourceType, `X as T` / `X.as(T)`
   * rewritten to `X.ofType(T)`, outer parentheses removed. Empty: nothing to extract.
   */
  branches: readonly string[];
  /** branches joined with ' | ' (undefined when there are none) */
  expression: string | undefined;
  target?: readonly string[];
  multipleOr?: boolean;
  multipleAnd?: boolean;
  comparator?: readonly string[];
  modifier?: readonly string[];
  chain?: readonly string[];
  /** composite only: the component parameters' URLs and their expressions relative to the base element */
  component?: readonly { definition: string; expression: string }[];
  /** 'core' for official R4 parameters, 'project' for conformance/search-parameters/*.json */
  origin: 'core' | 'project';
}

/**
 * One indexed value of one parameter (`p`). Which fields are present depends on the parameter's
 * type; a field is absent rather than null/empty. See the header of extract.ts.
 */
export interface IndexEntry {
  /** parameter code */
  p: string;
  /** string: normalised (lower case, accents folded, whitespace collapsed) */
  s?: string;
  /** string: the exact original value */
  x?: string;
  /** token (and quantity / Reference.identifier): system */
  sys?: string;
  /** token: code / value; quantity: unit code (or currency for Money) */
  c?: string;
  /** token: normalised display / text, for :text */
  tx?: string;
  /** token on Identifier: `typeSystem|typeCode` of one Identifier.type coding, for :of-type */
  ty?: string;
  /** reference: `Type/id` */
  r?: string;
  /** reference: target resource type */
  rt?: string;
  /** reference: target id */
  id?: string;
  /** reference (canonical): version after `|` */
  ver?: string;
  /** uri: the exact uri; reference: the full absolute URL / URN; quantity: the unit text */
  u?: string;
  /** number / quantity: the value */
  n?: number;
  /** date, number, quantity: inclusive range; epoch ms for dates */
  lo?: number;
  hi?: number;
  /** special (Location near): position */
  lat?: number;
  lon?: number;
  /** composite: one entry per component, in component order */
  cmp?: IndexEntry[];
}

export interface SortKey {
  lo: number | string;
  hi: number | string;
}

export interface SearchIndex {
  e: IndexEntry[];
  /** precomputed exact-match keys (see keys.ts) */
  k: string[];
  /** per parameter code: the smallest and largest value, for _sort */
  sort: Record<string, SortKey>;
}
