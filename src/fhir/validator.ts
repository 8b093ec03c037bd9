/**
 * Structural validation of FHIR R4 resources (JSON) against the official FHIR R4 JSON Schema
 * (Medplum's fhir.schema.json pruned to R4, see schema/build.ts) plus the FHIR JSON rules the
 * schema cannot express (schema/json-rules.ts). No FHIRPath invariants, no terminology beyond the
 * enums of required code bindings, no profiles.
 *
 * Loading: the compiled validator is loaded lazily and synchronously by the first
 * validateResource() call. `await loadValidator()` does the same up front (at server start, or in
 * a test `before`) and reports where it came from. The first process on a machine compiles the
 * schema (~2.5 s) and caches generated code under node_modules/.cache/fhir-server/; later
 * processes load it in ~40-60 ms (see schema/compile.ts). Validating a typical Patient then takes
 * ~8 us (~125k/s).
 *
 * Issue codes: 'structure' (unknown element, wrong JSON type, null, empty object/array, not an
 * object), 'required' (missing element), 'value' (bad format, code not in a required binding,
 * number out of range, empty string, unknown resource type), 'invalid' (anything else, and the
 * warning that issues were capped). 'invariant' is never produced: no FHIRPath.
 */
import { createRequire } from 'node:module';
import type { ValidateFunction } from 'ajv';
import { RESOURCE_TYPES } from './definitions.js';
import { loadCompiledValidators, type ValidatorSource } from './schema/compile.js';
import { indexGroups, translateAjvErrors, type GroupIndex } from './schema/errors.js';
import { checkTypedRules } from './schema/typed-rules.js';
import { checkJsonRules } from './schema/json-rules.js';
import { segmentsToExpression, showValue } from './schema/path.js';
import type { R4Tables } from './schema/tables.js';

const require = createRequire(import.meta.url);

export interface ValidationIssue {
  severity: 'error' | 'warning';
  code: 'structure' | 'required' | 'value' | 'invalid' | 'invariant';
  /** FHIRPath-style element path, e.g. Patient.name[0].given[1]; 'Resource' when there is no usable type. */
  expression: string;
  /** Plain-words description, starting with the expression. */
  diagnostics: string;
}

export interface LoadValidatorOptions {
  /** Where to cache generated code; false: compile in memory. Default node_modules/.cache/fhir-server. */
  cacheDir?: string | false;
}

export interface ValidatorInfo {
  /** 'cache': loaded generated code; 'generated': compiled and cached; 'memory': compiled, not cached. */
  source: ValidatorSource;
  ms: number;
  cacheFile?: string;
}

/** At most this many issues are reported, followed by one warning saying how many were left out. */
export const MAX_ISSUES = 100;

interface Loaded {
  byType: ReadonlyMap<string, ValidateFunction>;
  groups: GroupIndex;
  info: ValidatorInfo;
}
let loaded: Loaded | undefined;

function load(options: LoadValidatorOptions = {}): Loaded {
  if (loaded) return loaded;
  const tables = require('./schema/r4-tables.json') as R4Tables;
  const compiled = loadCompiledValidators(tables, [...RESOURCE_TYPES], options);
  loaded = {
    byType: compiled.byType,
    groups: indexGroups(Object.values(tables.required).flat()),
    info: { source: compiled.source, ms: compiled.ms, cacheFile: compiled.cacheFile },
  };
  return loaded;
}

/** Loads (or compiles) the validator now instead of on the first validateResource() call. */
export async function loadValidator(options: LoadValidatorOptions = {}): Promise<ValidatorInfo> {
  return load(options).info;
}

const issue = (code: ValidationIssue['code'], expression: string, message: string): ValidationIssue => ({
  severity: 'error',
  code,
  expression,
  diagnostics: `${expression}: ${message}`,
});

/**
 * Validates one resource (parsed JSON). Returns [] when it is valid. Synchronous; the first call
 * loads the validator if loadValidator() was not awaited.
 */
export function validateResource(resource: unknown): ValidationIssue[] {
  if (typeof resource !== 'object' || resource === null || Array.isArray(resource)) {
    const got = resource === null ? 'null' : Array.isArray(resource) ? 'an array' : `a ${typeof resource}`;
    return [issue('structure', 'Resource', `a resource must be a JSON object, got ${got}`)];
  }
  const obj = resource as Record<string, unknown>;
  const type = obj.resourceType;
  if (type === undefined) {
    return [issue('required', 'Resource.resourceType', 'missing required element (every resource has a resourceType)')];
  }
  if (typeof type !== 'string' || !RESOURCE_TYPES.has(type)) {
    return [issue('value', 'Resource.resourceType', `unknown resource type ${showValue(type)}`)];
  }

  const { byType, groups } = load();
  const rules = checkJsonRules(obj);
  const validate = byType.get(type)!;
  const schemaIssues = rules.tooDeep || validate(obj) ? [] : translateAjvErrors(validate.errors ?? [], obj, groups);

  // An unknown element is reported once, without the JSON-rule issues found inside it.
  const unknown = schemaIssues.filter((i) => i.keyword === 'additionalProperties').map((i) => i.pointer);
  const inUnknown = (p: string): boolean => unknown.some((u) => p === u || p.startsWith(`${u}/`));

  const out: ValidationIssue[] = [];
  const seen = new Set<string>();
  const push = (i: ValidationIssue): void => {
    if (!seen.has(i.diagnostics)) {
      seen.add(i.diagnostics);
      out.push(i);
    }
  };
  for (const r of rules.issues) {
    if (!inUnknown(r.pointer)) push(issue(r.code, segmentsToExpression(type, r.segments), r.message));
  }
  for (const s of schemaIssues) {
    if (s.keyword !== 'additionalProperties' && (rules.suppress.has(s.pointer) || rules.suppress.has(s.at))) continue;
    push(issue(s.code, segmentsToExpression(type, s.segments), s.message));
  }
  // Calendar validity and one-choice-only, where the schema's patterns said nothing.
  if (!rules.tooDeep && out.length === 0) {
    for (const t of checkTypedRules(obj)) push(issue(t.code, t.expression, t.message));
  }
  if (out.length > MAX_ISSUES) {
    const more = out.length - MAX_ISSUES;
    out.length = MAX_ISSUES;
    out.push({
      severity: 'warning',
      code: 'invalid',
      expression: type,
      diagnostics: `${type}: ${more} more issue${more === 1 ? '' : 's'} not reported`,
    });
  }
  return out;
}

/** Wraps issues in an OperationOutcome (an empty list gives one informational "no issues" entry). */
export function issuesToOperationOutcome(issues: readonly ValidationIssue[]): fhir4.OperationOutcome {
  if (issues.length === 0) {
    return {
      resourceType: 'OperationOutcome',
      issue: [{ severity: 'information', code: 'informational', diagnostics: 'No issues detected' }],
    };
  }
  return {
    resourceType: 'OperationOutcome',
    issue: issues.map((i) => ({
      severity: i.severity,
      code: i.code,
      diagnostics: i.diagnostics,
      ...(i.expression ? { expression: [i.expression] } : {}),
    })),
  };
}
