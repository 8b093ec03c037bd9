/**
 * FHIR JSON rules (hl7.org/fhir/R4/json.html) that the JSON Schema does not express:
 *
 * - objects and arrays are never empty, strings are never empty;
 * - properties are never null; null appears only inside the paired arrays of a repeating
 *   primitive and its extensions (`given` / `_given`), to keep positions aligned, and never at the
 *   same position in both;
 * - such paired arrays have the same length.
 */
import { escapePointer, type Segment } from './path.js';

export interface JsonRuleIssue {
  pointer: string;
  segments: Segment[];
  code: 'structure' | 'value';
  message: string;
}

export interface JsonRuleResult {
  issues: JsonRuleIssue[];
  /** Pointers whose schema errors are redundant: reported here, or a null that is allowed. */
  suppress: Set<string>;
  /** Nesting beyond MAX_DEPTH was found (and not walked); schema validation should be skipped. */
  tooDeep: boolean;
}

/** Deepest element path walked; real resources stay far below (a guard against stack exhaustion). */
export const MAX_DEPTH = 200;

type Obj = Record<string, unknown>;

const isObject = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

function toPointer(segments: readonly Segment[]): string {
  let out = '';
  for (const s of segments) out += `/${typeof s === 'number' ? s : escapePointer(s)}`;
  return out;
}

export function checkJsonRules(resource: Obj): JsonRuleResult {
  const result: JsonRuleResult = { issues: [], suppress: new Set(), tooDeep: false };
  // The current path, mutated while walking; copied only when something is reported.
  const path: Segment[] = [];
  const report = (code: JsonRuleIssue['code'], message: string): void => {
    const pointer = toPointer(path);
    result.issues.push({ pointer, segments: [...path], code, message });
    result.suppress.add(pointer);
  };

  const visit = (value: unknown): void => {
    if (path.length > MAX_DEPTH && typeof value === 'object') {
      if (!result.tooDeep) report('structure', `elements are nested more than ${MAX_DEPTH} levels deep`);
      result.tooDeep = true;
    } else if (typeof value === 'string') {
      if (value === '') report('value', 'empty string is not allowed (omit the element instead)');
    } else if (Array.isArray(value)) {
      if (value.length === 0) report('structure', 'empty array is not allowed (omit the element instead)');
      for (let i = 0; i < value.length; i++) {
        path.push(i);
        if (value[i] === null) report('structure', 'null is not allowed here');
        else visit(value[i]);
        path.pop();
      }
    } else if (isObject(value)) {
      visitObject(value);
    }
  };

  const visitObject = (obj: Obj): void => {
    let empty = true;
    for (const key in obj) {
      if (!Object.prototype.hasOwnProperty.call(obj, key)) continue;
      empty = false;
      const value = obj[key];
      path.push(key);
      if (value === null) {
        report('structure', 'null is not allowed (omit the element instead)');
      } else {
        const twinKey = key.charCodeAt(0) === 95 /* _ */ ? key.slice(1) : `_${key}`;
        const twin = Array.isArray(value) && value.length > 0 ? obj[twinKey] : undefined;
        if (Array.isArray(twin)) visitPaired(value as unknown[], twin, key, twinKey);
        else visit(value);
      }
      path.pop();
    }
    if (empty) report('structure', 'empty object is not allowed (omit the element instead)');
  };

  /** A repeating primitive and its extension array (given / _given): nulls keep them aligned. */
  const visitPaired = (value: unknown[], twin: unknown[], key: string, twinKey: string): void => {
    const isValueArray = !key.startsWith('_');
    if (isValueArray && twin.length !== value.length && twin.length > 0) {
      report('structure', `'${key}' and '${twinKey}' must have the same length`);
    }
    for (let i = 0; i < value.length; i++) {
      path.push(i);
      if (value[i] !== null) visit(value[i]);
      else if ((twin[i] === null && isValueArray) || twin[i] === undefined) {
        report('structure', `null is not allowed unless '${twinKey}' has an entry at the same position`);
      } else {
        result.suppress.add(toPointer(path));
      }
      path.pop();
    }
  };

  visitObject(resource);
  return result;
}
