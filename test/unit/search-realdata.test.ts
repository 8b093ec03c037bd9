/**
 * Index extraction over real resources: every example in ../shared/data/fhir-r4-examples (*.json and
 * official/*.json), every resource of the official example package hl7.fhir.r4.examples, and every
 * resource of a Synthea bundle extract without any parameter failing, and the fast path gives
 * exactly what fhirpath.js gives. Also reports the extraction throughput over the Synthea bundle.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { isDeepStrictEqual } from 'node:util';
import { rewriteReferences } from '../../src/fhir/references.js';
import { extractSearchIndex, type SearchIndex } from '../../src/search/extract.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const dataDir = path.resolve(repoRoot, '../shared/data');
const require = createRequire(import.meta.url);

function readDir(dir: string): { name: string; resource: fhir4.Resource }[] {
  return fs
    .readdirSync(dir)
    .filter((f) => f.endsWith('.json') && f !== 'package.json' && !f.startsWith('.'))
    .sort()
    .map((f) => ({ name: f, resource: JSON.parse(fs.readFileSync(path.join(dir, f), 'utf8')) as fhir4.Resource }))
    .filter((r) => typeof r.resource?.resourceType === 'string');
}

/** The entries of one Synthea transaction bundle, with urn:uuid references rewritten as the server stores them. */
function syntheaResources(file: string): fhir4.Resource[] {
  const bundle = JSON.parse(fs.readFileSync(path.join(dataDir, 'synthea', file), 'utf8')) as fhir4.Bundle;
  const map = new Map<string, string>();
  for (const e of bundle.entry ?? []) if (e.fullUrl && e.resource?.id) map.set(e.fullUrl, `${e.resource.resourceType}/${e.resource.id}`);
  const resources = (bundle.entry ?? []).map((e) => e.resource!);
  for (const r of resources) rewriteReferences(r, map);
  return resources;
}

function extractChecked(name: string, resource: fhir4.Resource): SearchIndex {
  const errors: string[] = [];
  const ix = extractSearchIndex(resource, { onError: (code, e) => errors.push(`${code}: ${String(e)}`) });
  assert.deepEqual(errors, [], `${name} (${resource.resourceType})`);
  const fhirpathErrors: string[] = [];
  const viaFhirpath = extractSearchIndex(resource, { engine: 'fhirpath', onError: (code, e) => fhirpathErrors.push(`${code}: ${String(e)}`) });
  assert.deepEqual(fhirpathErrors, [], `${name} (${resource.resourceType}), fhirpath.js`);
  if (!isDeepStrictEqual(ix, viaFhirpath)) {
    const codes = new Set([...ix.e, ...viaFhirpath.e].map((e) => e.p));
    const differing = [...codes].filter((p) => !isDeepStrictEqual(ix.e.filter((e) => e.p === p), viaFhirpath.e.filter((e) => e.p === p)));
    assert.fail(`${name} (${resource.resourceType}): fast path and fhirpath.js differ on ${differing.join(', ') || 'keys/sort'}`);
  }
  // JSON-safe: no null fields, and no ±Infinity / NaN (which JSON turns into null)
  assert.doesNotMatch(JSON.stringify(ix), /:null[,}\]]/, `${name}: null in the index`);
  return ix;
}

describe('search index on real resources', () => {
  it('every file of fhir-r4-examples/*.json and fhir-r4-examples/official/*.json', () => {
    const files = [...readDir(path.join(dataDir, 'fhir-r4-examples')), ...readDir(path.join(dataDir, 'fhir-r4-examples', 'official')).map((f) => ({ ...f, name: `official/${f.name}` }))];
    assert.equal(files.length, 135 + 166);
    let entries = 0;
    for (const { name, resource } of files) entries += extractChecked(name, resource).e.length;
    assert.ok(entries > 2500, `${entries} entries`);
  });

  it('every resource of the official example package hl7.fhir.r4.examples', (t) => {
    const dir = path.dirname(require.resolve('hl7.fhir.r4.examples/package.json'));
    const files = readDir(dir);
    assert.ok(files.length > 2000);
    const types = new Set<string>();
    for (const { name, resource } of files) {
      extractChecked(name, resource);
      types.add(resource.resourceType);
    }
    t.diagnostic(`${files.length} resources of ${types.size} types`);
  });

  it('every resource of the Synthea bundle patient-01.json, and the throughput', (t) => {
    const resources = syntheaResources('patient-01.json');
    assert.equal(resources.length, 311);
    for (const r of resources) extractChecked(`patient-01 ${r.id}`, r);
    const obs = resources.find((r) => r.resourceType === 'Observation')!;
    const ix = extractSearchIndex(obs);
    assert.ok(ix.e.some((e) => e.p === 'patient' && e.r?.startsWith('Patient/')), 'patient of a Synthea Observation');
    assert.ok(ix.e.some((e) => e.p === 'code' && e.sys === 'http://loinc.org'));

    let best = 0;
    let entries = 0;
    for (let round = 0; round < 5; round++) {
      const start = performance.now();
      for (const r of resources) entries = extractSearchIndex(r).e.length;
      const ms = performance.now() - start;
      best = Math.max(best, (resources.length / ms) * 1000);
    }
    let fhirpathOnly = 0;
    {
      const start = performance.now();
      for (const r of resources) extractSearchIndex(r, { engine: 'fhirpath' });
      fhirpathOnly = (resources.length / (performance.now() - start)) * 1000;
    }
    t.diagnostic(`extraction: ${best.toFixed(0)} resources/s (fhirpath.js only: ${fhirpathOnly.toFixed(0)}/s), last resource ${entries} entries`);
    assert.ok(best > 2000, `${best.toFixed(0)} resources/s`);
  });

  it('all 30 Synthea bundles', (t) => {
    const files = fs.readdirSync(path.join(dataDir, 'synthea')).filter((f) => f.endsWith('.json')).sort();
    let n = 0;
    let entries = 0;
    let keys = 0;
    const start = performance.now();
    for (const f of files) {
      for (const r of syntheaResources(f)) {
        const errors: string[] = [];
        const ix = extractSearchIndex(r, { onError: (code, e) => errors.push(`${code}: ${String(e)}`) });
        assert.deepEqual(errors, [], `${f} ${r.resourceType}/${r.id}`);
        n++;
        entries += ix.e.length;
        keys += ix.k.length;
      }
    }
    const ms = performance.now() - start;
    t.diagnostic(`${n} resources in ${ms.toFixed(0)} ms incl. reading (${((n / ms) * 1000).toFixed(0)}/s); ${(entries / n).toFixed(1)} entries and ${(keys / n).toFixed(1)} keys per resource`);
    assert.equal(n, 6878);
  });
});
