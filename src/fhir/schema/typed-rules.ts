/**
 * Rules that need each element's FHIR type, which the JSON Schema cannot express:
 * - date, dateTime and instant values are real calendar dates and times (no 2001-02-29);
 * - at most one type of a choice element is present (deceasedBoolean or deceasedDateTime).
 */
import { parseDateRange } from '../datetime.js';
import { childStep, choiceElements, ownTypePath } from '../model.js';

export interface TypedRuleIssue {
  /** FHIRPath-style element path, e.g. Patient.name[0].period.start */
  expression: string;
  code: 'value' | 'structure';
  message: string;
}

const DATE_TYPES = new Set(['date', 'dateTime', 'instant']);

export function checkTypedRules(resource: Record<string, unknown>): TypedRuleIssue[] {
  const issues: TypedRuleIssue[] = [];
  const walk = (value: unknown, typePath: string, expr: string, depth: number): void => {
    if (depth > 200 || !value || typeof value !== 'object') return;
    if (Array.isArray(value)) {
      value.forEach((v, i) => walkElement(v, typePath, `${expr}[${i}]`, depth + 1));
      return;
    }
    walkElement(value, typePath, expr, depth);
  };
  const walkElement = (value: unknown, typePath: string, expr: string, depth: number): void => {
    if (!value || typeof value !== 'object' || Array.isArray(value)) return;
    const obj = value as Record<string, unknown>;
    const own = ownTypePath(obj, typePath);
    for (const choice of choiceElements(own)) {
      const present = choice.keys.filter((k) => k in obj || `_${k}` in obj);
      if (present.length > 1) {
        issues.push({ expression: `${expr}.${choice.name}[x]`, code: 'structure', message: `only one of ${present.join(', ')} may be present (${choice.name}[x] is a choice)` });
      }
    }
    for (const key of Object.keys(obj)) {
      if (key === 'resourceType' || key.startsWith('_')) continue;
      const { type, next } = childStep(own, key);
      if (type === undefined) continue;
      const v = obj[key];
      if (DATE_TYPES.has(type)) {
        const values = Array.isArray(v) ? v : [v];
        values.forEach((d, i) => {
          if (typeof d === 'string' && parseDateRange(d) === undefined) {
            const at = Array.isArray(v) ? `${expr}.${key}[${i}]` : `${expr}.${key}`;
            issues.push({ expression: at, code: 'value', message: `'${d.slice(0, 40)}' is not a valid ${type} (no such calendar date or time)` });
          }
        });
      } else if (v && typeof v === 'object') {
        walk(v, next, `${expr}.${key}`, depth + 1);
      }
    }
  };
  walkElement(resource, String(resource.resourceType), String(resource.resourceType), 0);
  return issues;
}
