/**
 * FHIR search, first half: the search parameter registry and the index values extracted on write.
 * See parameters.ts (registry), extract.ts (index entry shape), normalise.ts (key scheme and the
 * normalisation the query side must apply to search values).
 */
export { extractSearchIndex, SEARCH_INDEX_FORMAT, type ExtractOptions } from './extract.js';
export {
  addSearchParameters,
  getSearchParameter,
  getSearchParameterByUrl,
  loadProjectSearchParameters,
  searchParametersOf,
} from './parameters.js';
export { RANGE_MAX, RANGE_MIN, dateRange, escapeKeyPart, normaliseString, numberRange, tokenKeys, valueKey } from './normalise.js';
export { parseReference } from './values.js';
export type { IndexEntry, SearchIndex, SearchParameterDef, SearchParamType, SortKey } from './types.js';
