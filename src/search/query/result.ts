/**
 * The search result parameters (search.html#return) other than _sort (sort.ts): parsed and
 * checked, never part of the filter. `_format` and `_pretty` are for the HTTP layer and ignored.
 *   _count       a non-negative integer; default 20, at most 1000 (more is cut to 1000)
 *   _total       none | estimate | accurate
 *   _summary     true | false | text | data | count
 *   _elements    a comma list of element names
 *   _include / _revinclude   `Type:param`, `Type:param:TargetType`, `Type:*` or `*`; modifier
 *                `:iterate` (`:recurse`, its R3 name, is accepted)
 */
import { RESOURCE_TYPES } from '../../fhir/definitions.js';
import { getSearchParameter } from '../parameters.js';
import { invalid, notSupported } from './errors.js';
import type { IncludeSpec } from './types.js';

export const DEFAULT_COUNT = 20;
export const MAX_COUNT = 1000;

/** The result parameters by name (without modifier). */
export const RESULT_PARAMS: ReadonlySet<string> = new Set(['_sort', '_count', '_total', '_summary', '_elements', '_include', '_revinclude', '_format', '_pretty']);
/** result parameters that are not applied (not in selfParams) */
export const IGNORED_PARAMS: ReadonlySet<string> = new Set(['_format', '_pretty']);

const SUMMARY = new Set(['true', 'false', 'text', 'data', 'count']);
const TOTAL = new Set(['none', 'estimate', 'accurate']);

export function parseCount(name: string, value: string): number {
  const v = value.trim();
  if (!/^\d+$/.test(v)) throw invalid(name, `Invalid _count '${value}': must be a non-negative integer`);
  return Math.min(Number(v), MAX_COUNT);
}

export function parseTotal(name: string, value: string): 'none' | 'estimate' | 'accurate' {
  if (!TOTAL.has(value)) throw invalid(name, `Invalid _total '${value}': must be none, estimate or accurate`);
  return value as 'none' | 'estimate' | 'accurate';
}

export function parseSummary(name: string, value: string): string {
  if (!SUMMARY.has(value)) throw invalid(name, `Invalid _summary '${value}': must be true, false, text, data or count`);
  return value;
}

export function parseElements(name: string, value: string): string[] {
  const out = value
    .split(',')
    .map((e) => e.trim())
    .filter((e) => e !== '');
  for (const e of out) if (!/^[A-Za-z][A-Za-z0-9_]*(\.[A-Za-z][A-Za-z0-9_]*)*$/.test(e)) throw invalid(name, `Invalid element name '${e}' in _elements`);
  return out;
}

export function parseInclude(name: string, modifier: string | undefined, value: string): IncludeSpec {
  if (modifier !== undefined && modifier !== 'iterate' && modifier !== 'recurse') {
    throw notSupported(name, `Unsupported modifier ':${modifier}' on ${name.split(':')[0]} (only :iterate)`);
  }
  const iterate = modifier !== undefined;
  const v = value.trim();
  if (v === '*') return { type: '*', param: '*', iterate };
  const parts = v.split(':');
  const [type, param, targetType] = parts;
  if (parts.length < 2 || parts.length > 3 || !RESOURCE_TYPES.has(type) || !param) {
    throw invalid(name, `Invalid ${name} '${value}': expected Type:param or Type:param:TargetType`);
  }
  if (param === '*') {
    if (targetType !== undefined && !RESOURCE_TYPES.has(targetType)) throw invalid(name, `Invalid ${name} '${value}': unknown resource type '${targetType}'`);
    return { type, param, ...(targetType ? { targetType } : {}), iterate };
  }
  const def = getSearchParameter(type, param);
  if (!def || def.type !== 'reference') throw invalid(name, `Invalid ${name} '${value}': ${type} has no reference parameter '${param}'`);
  if (targetType !== undefined) {
    if (!RESOURCE_TYPES.has(targetType)) throw invalid(name, `Invalid ${name} '${value}': unknown resource type '${targetType}'`);
    if (def.target && !def.target.includes(targetType)) throw invalid(name, `Invalid ${name} '${value}': ${type}.${param} cannot refer to ${targetType}`);
  }
  return { type, param, ...(targetType ? { targetType } : {}), iterate };
}
