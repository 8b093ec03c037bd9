/**
 * Translates ajv errors for the schema built by build.ts into FHIR-style issues: a FHIRPath-like
 * expression and a plain-words message, dropping the errors that only restate another.
 */
import type { ErrorObject } from 'ajv';
import { escapePointer, pointerToSegments, showValue, type Segment } from './path.js';
import type { RequiredGroup } from './tables.js';

export interface SchemaIssue {
  /** JSON pointer of the element the issue is about (for a missing or unknown element: that element). */
  pointer: string;
  segments: Segment[];
  code: 'structure' | 'required' | 'value' | 'invalid';
  message: string;
  /** The ajv keyword, e.g. 'additionalProperties' for an unknown element. */
  keyword: string;
  /** JSON pointer of the value ajv was checking (the parent, for a missing or unknown element). */
  at: string;
}

const GROUP_MEMBER = /\/allOf\/\d+\/anyOf\/\d+\/required$/;
const GROUP = /\/allOf\/\d+\/anyOf$/;
/** Primitive definitions are always inlined, so their keyword errors keep this schema path. */
const PRIMITIVE = /#\/definitions\/([a-zA-Z]+)\/[a-zA-Z]+$/;

/** Required groups keyed by their names joined with '|'. */
export type GroupIndex = ReadonlyMap<string, RequiredGroup>;

export function indexGroups(groups: Iterable<RequiredGroup>): GroupIndex {
  const out = new Map<string, RequiredGroup>();
  for (const g of groups) out.set(g.names.join('|'), g);
  return out;
}

function valueAt(data: unknown, segments: readonly Segment[]): unknown {
  let node = data;
  for (const s of segments) node = node && typeof node === 'object' ? (node as Record<string, unknown>)[s] : undefined;
  return node;
}

function jsonType(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'object') return 'an object';
  if (typeof v === 'number') return Number.isInteger(v) ? 'an integer' : 'a number';
  return typeof v === 'string' ? 'a string' : `a ${typeof v}`;
}

const EXPECTED: Record<string, string> = {
  string: 'a string',
  array: 'an array',
  object: 'an object',
  integer: 'an integer',
  number: 'a number',
  boolean: 'a boolean (true or false)',
};

function primitiveOf(schemaPath: string): string | undefined {
  return PRIMITIVE.exec(schemaPath)?.[1];
}

export function translateAjvErrors(errors: readonly ErrorObject[], data: unknown, groups: GroupIndex): SchemaIssue[] {
  const out: SchemaIssue[] = [];
  // anyOf members for a group precede the anyOf error itself; collect their names.
  const members = new Map<string, string[]>();

  for (const e of errors) {
    const params = e.params as Record<string, unknown>;
    if (GROUP_MEMBER.test(e.schemaPath)) {
      const key = `${e.instancePath} ${e.schemaPath.replace(/\/anyOf\/\d+\/required$/, '')}`;
      members.set(key, [...(members.get(key) ?? []), String(params.missingProperty)]);
      continue;
    }
    const segments = pointerToSegments(data, e.instancePath);
    const value = valueAt(data, segments);
    const add = (code: SchemaIssue['code'], message: string, child?: string): void => {
      out.push({
        pointer: child === undefined ? e.instancePath : `${e.instancePath}/${escapePointer(child)}`,
        segments: child === undefined ? segments : [...segments, child],
        code,
        message,
        keyword: e.keyword,
        at: e.instancePath,
      });
    };
    const prim = primitiveOf(e.schemaPath);
    switch (e.keyword) {
      case 'additionalProperties':
        add('structure', `unknown element '${String(params.additionalProperty)}'`, String(params.additionalProperty));
        break;
      case 'required':
        add('required', 'missing required element', String(params.missingProperty));
        break;
      case 'anyOf': {
        if (!GROUP.test(e.schemaPath)) {
          add('invalid', 'does not match any allowed alternative');
          break;
        }
        const names = members.get(`${e.instancePath} ${e.schemaPath.replace(/\/anyOf$/, '')}`) ?? [];
        const group = groups.get(names.join('|'));
        add('required', 'missing required element', group?.element ?? names[0] ?? '?');
        break;
      }
      case 'type': {
        const expected = EXPECTED[String(params.type)] ?? String(params.type);
        const what = prim ? `${expected} (FHIR ${prim})` : expected;
        add('structure', `expected ${what}, got ${jsonType(value)}`);
        break;
      }
      case 'pattern':
        add('value', `value ${showValue(value)} does not match the FHIR ${prim ?? 'required'} format`);
        break;
      case 'enum': {
        const allowed = (params.allowedValues as unknown[]).map(String).join(', ');
        add('value', `value ${showValue(value)} is not one of ${allowed}`);
        break;
      }
      case 'const':
        add('value', `value ${showValue(value)} must be ${showValue(params.allowedValue)}`);
        break;
      case 'minimum':
      case 'maximum':
        add(
          'value',
          `value ${showValue(value)} is ${e.keyword === 'minimum' ? 'below the minimum' : 'above the maximum'} ` +
            `${String(params.limit)}${prim ? ` for FHIR ${prim}` : ''}`,
        );
        break;
      case 'discriminator':
        if (params.error === 'tag') {
          if (value && typeof value === 'object' && 'resourceType' in value) {
            add('structure', 'resourceType must be a string', 'resourceType');
          } else add('required', 'missing required element (every resource has a resourceType)', 'resourceType');
        } else {
          add('value', `unknown resource type ${showValue(params.tagValue)}`, 'resourceType');
        }
        break;
      default:
        add('invalid', `fails the schema rule '${e.keyword}'`);
    }
  }
  return out;
}
