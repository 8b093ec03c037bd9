/**
 * The search compiler: FHIR search parameters in, one MongoDB filter over the stored index
 * (`_idx`, src/search/extract.ts) and the parsed result parameters out. compile.ts has the rules,
 * one module per parameter type has its semantics.
 *
 *   const s = compileSearch({ type: 'Observation', params: [['code', 'http://loinc.org|8480-6']], strict: false });
 *   collection.find(s.filter, { sort: Object.assign({}, ...s.sort.map((x) => sortFields(x.code, x.dir))) })
 *
 * Chained parameters and _has come back as `chains` for the executor (which runs sub-searches
 * and adds referenceFilter / idFilter to the filter).
 */
export { compileSearch } from './compile.js';
export { sortFields } from './sort.js';
export { idFilter, referenceFilter } from './reference.js';
export { MAX_CHAIN_LINKS } from './chain.js';
export { DEFAULT_COUNT, MAX_COUNT } from './result.js';
export { NOTHING } from './combine.js';
export type { ChainSpec, CompiledSearch, IncludeSpec, SearchRequest } from './types.js';
export { DEFAULT_NEAR_KM, wordPattern, type NearPoint, type SpecialSpec } from './special.js';
