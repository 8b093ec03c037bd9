/**
 * Turns Medplum's fhir.schema.json into a strict FHIR R4 JSON Schema for ajv:
 *
 * - keeps only the definitions reachable from the 146 R4 resource types (drops Medplum's own
 *   Bot, Project, ... and the top-level oneOf/discriminator, which we never use: resources are
 *   validated against their own definition, chosen by resourceType);
 * - removes properties Medplum added to R4 types (Meta.project, Reference.resource, ...), listed in
 *   r4-tables.json;
 * - ResourceList (contained, Bundle.entry.resource, Parameters.parameter.resource) becomes an ajv
 *   `discriminator` on resourceType, so a bad contained resource reports its own errors instead of
 *   one failure per oneOf branch;
 * - every complex type gets `type: object` (the schema omits it, so `name: ["x"]` passed);
 * - integer/positiveInt/unsignedInt become JSON integers with their ranges (the schema said
 *   `number` plus a pattern, which JSON Schema never applies to numbers);
 * - string/markdown drop the `[ \r\n\t\S]+` pattern, which rejects legitimate Unicode whitespace
 *   such as U+00A0; the one hard rule, non-empty, is checked by json-rules.ts;
 * - xhtml must be a string starting with a <div> element; base64Binary gets a linear pattern;
 * - choice-type variants that repeat a primitive's schema inline ($ref-less) point to it instead;
 * - canonical-typed elements get their missing `_x` extension twins;
 * - required elements the schema leaves out (primitives, which may appear as `_x` only, and
 *   choice types `x[x]`) are added: one name goes to `required`, several become
 *   `allOf: [{anyOf: [{required: [name]}, ...]}]` (see requiredGroupsByPath).
 *
 * The top-level `id` is renamed to `$id`; the schema declares draft-06, whose meta-schema the
 * compiler adds to ajv.
 */
import type { R4Tables, RequiredGroup } from './tables.js';

export const SCHEMA_ID = 'http://hl7.org/fhir/json-schema/4.0';

type Json = Record<string, unknown>;
interface SourceSchema {
  id?: string;
  definitions: Record<string, Json>;
}
export interface BuiltSchema {
  $schema: string;
  $id: string;
  definitions: Record<string, Json>;
}

const INT32 = { minimum: -2147483648, maximum: 2147483647 };

function stripDescriptions(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(stripDescriptions);
  if (node && typeof node === 'object') {
    const out: Json = {};
    for (const [k, v] of Object.entries(node)) {
      // `description` is an annotation everywhere except as a property name inside `properties`.
      if (k === 'description' && typeof v === 'string') continue;
      out[k] = stripDescriptions(v);
    }
    return out;
  }
  return node;
}

/** Multi-name required groups by the schema path of their anyOf parent, e.g. 'MedicationRequest/allOf/2'. */
export function requiredGroupsByPath(tables: R4Tables): Map<string, RequiredGroup> {
  const out = new Map<string, RequiredGroup>();
  for (const [def, groups] of Object.entries(tables.required)) {
    groups.filter((g) => g.names.length > 1).forEach((g, i) => out.set(`${def}/allOf/${i}`, g));
  }
  return out;
}

function collectRefs(node: unknown, out: Set<string>): void {
  if (Array.isArray(node)) {
    for (const n of node) collectRefs(n, out);
  } else if (node && typeof node === 'object') {
    for (const [k, v] of Object.entries(node)) {
      if (k === '$ref' && typeof v === 'string') out.add(v.replace('#/definitions/', ''));
      else collectRefs(v, out);
    }
  }
}

const cap = (s: string): string => s[0].toUpperCase() + s.slice(1);

/**
 * Choice-type variants (valueInteger, deceasedBoolean, ...) repeat their primitive's schema
 * inline; point them at the primitive definition so the adjustments below apply to them too.
 */
function inlinePrimitiveRefs(defs: Record<string, Json>): void {
  const primitives = Object.keys(defs)
    .filter((n) => /^[a-z]/.test(n) && !defs[n].properties)
    .sort((a, b) => b.length - a.length);
  for (const [defName, def] of Object.entries(defs)) {
    for (const [key, prop] of Object.entries((def.properties as Record<string, Json> | undefined) ?? {})) {
      if (key.startsWith('_') || prop.$ref || prop.items || prop.enum || prop.const || !prop.type) continue;
      const prim = primitives.find((p) => key.endsWith(cap(p)));
      if (!prim) throw new Error(`fhir.schema.json: cannot tell the type of inline ${defName}.${key}`);
      (def.properties as Record<string, Json>)[key] = { $ref: `#/definitions/${prim}` };
    }
  }
}

/** The schema has no `_x` twin for canonical-typed elements (a generator bug); add them. */
function addCanonicalExtensions(defs: Record<string, Json>): void {
  for (const def of Object.values(defs)) {
    const properties = def.properties as Record<string, Json> | undefined;
    if (!properties) continue;
    for (const [key, prop] of Object.entries(properties)) {
      if (key.startsWith('_') || `_${key}` in properties) continue;
      const element = { $ref: '#/definitions/Element' };
      if (prop.$ref === '#/definitions/canonical') properties[`_${key}`] = element;
      else if ((prop.items as Json | undefined)?.$ref === '#/definitions/canonical') {
        properties[`_${key}`] = { type: 'array', items: element };
      }
    }
  }
}

export function buildR4Schema(source: SourceSchema, tables: R4Tables, resourceTypes: readonly string[]): BuiltSchema {
  const defs = stripDescriptions(source.definitions) as Record<string, Json>;

  for (const [def, props] of Object.entries(tables.remove)) {
    const properties = defs[def]?.properties as Json | undefined;
    if (!properties) throw new Error(`r4-tables.json: no definition ${def} in fhir.schema.json`);
    for (const p of props) delete properties[p];
  }

  inlinePrimitiveRefs(defs);
  addCanonicalExtensions(defs);

  defs.string = { type: 'string' };
  defs.markdown = { type: 'string' };
  defs.boolean = { type: 'boolean' };
  defs.decimal = { type: 'number' };
  defs.integer = { type: 'integer', ...INT32 };
  defs.positiveInt = { type: 'integer', ...INT32, minimum: 1 };
  defs.unsignedInt = { type: 'integer', ...INT32, minimum: 0 };
  defs.xhtml = { type: 'string', pattern: '^\\s*<div[\\s>]' };
  // Linear (ReDoS-safe) stand-in for the spec's (\s*([0-9a-zA-Z\+\=]){4}\s*)+
  defs.base64Binary = { type: 'string', pattern: '^[A-Za-z0-9+/=\\s]+$' };

  for (const def of Object.values(defs)) {
    if (def.properties) def.type = 'object';
  }

  defs.ResourceList = {
    type: 'object',
    discriminator: { propertyName: 'resourceType' },
    oneOf: resourceTypes.map((t) => ({ $ref: `#/definitions/${t}` })),
  };

  for (const [defName, groups] of Object.entries(tables.required)) {
    const def = defs[defName];
    if (!def?.properties) throw new Error(`r4-tables.json: no definition ${defName} in fhir.schema.json`);
    const required = new Set((def.required as string[] | undefined) ?? []);
    const allOf: Json[] = [];
    for (const g of groups) {
      if (g.names.length === 1) required.add(g.names[0]);
      else allOf.push({ anyOf: g.names.map((n) => ({ required: [n] })) });
    }
    if (required.size) def.required = [...required];
    if (allOf.length) def.allOf = allOf;
  }

  const reachable = new Set<string>();
  const queue = [...resourceTypes];
  while (queue.length) {
    const name = queue.pop()!;
    if (reachable.has(name)) continue;
    if (!defs[name]) throw new Error(`fhir.schema.json: missing definition ${name}`);
    reachable.add(name);
    const refs = new Set<string>();
    collectRefs(defs[name], refs);
    for (const r of refs) if (!reachable.has(r)) queue.push(r);
  }

  const definitions: Record<string, Json> = {};
  for (const name of Object.keys(defs).sort()) if (reachable.has(name)) definitions[name] = defs[name];
  return { $schema: 'http://json-schema.org/draft-06/schema#', $id: source.id ?? SCHEMA_ID, definitions };
}
