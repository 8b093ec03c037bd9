/**
 * The search parameter registry (src/search/parameters.ts): official R4 parameters only, one entry
 * per (type, code), type-specific union branches, the `as` -> `ofType` rewrite, project parameters,
 * the checked-in generated file being current, and the import cost.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { RESOURCE_TYPES } from '../../src/fhir/definitions.js';
import {
  addSearchParameters,
  branchesFor,
  getSearchParameter,
  getSearchParameterByUrl,
  loadProjectSearchParameters,
  rewriteAs,
  searchParametersOf,
  splitUnion,
} from '../../src/search/parameters.js';
import { GENERATED_FILE, buildSearchParameters, serialise } from '../../scripts/generate-search-parameters.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

describe('search parameter registry', () => {
  it('the checked-in generated file is current (node --import tsx scripts/generate-search-parameters.ts)', () => {
    const fresh = serialise(buildSearchParameters());
    assert.ok(fresh === fs.readFileSync(GENERATED_FILE, 'utf8'), 'src/search/generated/search-parameters.json is out of date: regenerate it');
  });

  it('holds only official R4 parameters (the Medplum bundle extras are dropped)', () => {
    const data = buildSearchParameters();
    assert.deepEqual(data.dropped, ['DetectedIssue-status', 'DeviceDefinition-classification', 'ServiceRequest-order-detail']);
    assert.equal(data.params.length, 1375);
    assert.ok(data.params.every((p) => p.url.startsWith('http://hl7.org/fhir/SearchParameter/')));
    assert.equal(getSearchParameter('DetectedIssue', 'status'), undefined);
    assert.equal(getSearchParameter('DeviceDefinition', 'classification'), undefined);
    // targets come from the official definitions (Medplum widens this one)
    assert.deepEqual(getSearchParameter('MeasureReport', 'subject')?.target, ['Practitioner', 'Group', 'Device', 'Patient', 'PractitionerRole', 'RelatedPerson', 'Location']);
  });

  it('gives every resource type the Resource-level parameters', () => {
    assert.equal(RESOURCE_TYPES.size, 146);
    for (const type of RESOURCE_TYPES) {
      for (const code of ['_id', '_lastUpdated', '_tag', '_profile', '_security', '_source']) {
        const def = getSearchParameter(type, code);
        assert.ok(def, `${type} ${code}`);
        assert.equal(def.resourceType, type);
      }
      assert.equal(getSearchParameter(type, '_text') !== undefined, !['Bundle', 'Binary', 'Parameters'].includes(type), `${type} _text`);
    }
    const id = getSearchParameter('Patient', '_id')!;
    assert.deepEqual([id.type, id.branches], ['token', ['Resource.id']]);
    assert.deepEqual(getSearchParameter('Binary', '_lastUpdated')?.branches, ['Resource.meta.lastUpdated']);
    assert.equal(getSearchParameter('Patient', '_content')?.expression, undefined, 'no expression: nothing to extract');
  });

  it('splits multi-base parameters into one entry per type with only that type\'s branches', () => {
    const obs = getSearchParameter('Observation', 'patient')!;
    assert.equal(obs.url, 'http://hl7.org/fhir/SearchParameter/clinical-patient');
    assert.deepEqual(obs.branches, ['Observation.subject.where(resolve() is Patient)']);
    assert.deepEqual(getSearchParameter('AllergyIntolerance', 'patient')?.branches, ['AllergyIntolerance.patient']);
    assert.deepEqual(getSearchParameter('MedicationRequest', 'code')?.branches, ['MedicationRequest.medication.ofType(CodeableConcept)']);
    assert.deepEqual(getSearchParameter('Patient', 'phone')?.branches, ["Patient.telecom.where(system='phone')"]);
    assert.ok(obs.base.length > 20);
    assert.equal(getSearchParameter('Patient', 'code'), undefined);
    assert.equal(getSearchParameter('NotAType', '_id'), undefined);
    assert.deepEqual(searchParametersOf('NotAType'), []);
    const codes = searchParametersOf('Observation').map((d) => d.code);
    assert.equal(new Set(codes).size, codes.length, 'one entry per code');
    for (const c of ['code', 'subject', 'patient', 'value-quantity', 'code-value-quantity', 'component-code-value-quantity', '_id']) assert.ok(codes.includes(c), c);
  });

  it('rewrites `as` to ofType()', () => {
    assert.equal(rewriteAs('(Observation.value as Quantity)'), 'Observation.value.ofType(Quantity)');
    assert.equal(rewriteAs('(Observation.value as CodeableConcept).text'), 'Observation.value.ofType(CodeableConcept).text');
    assert.equal(rewriteAs('Condition.onset.as(Age)'), 'Condition.onset.ofType(Age)');
    assert.equal(rewriteAs('value.as(DateTime)'), 'value.ofType(DateTime)');
    assert.equal(rewriteAs('Observation.value as Quantity'), 'Observation.value.ofType(Quantity)');
    assert.equal(rewriteAs('Group.characteristic.where(value as boolean)'), 'Group.characteristic.where(value.ofType(boolean))');
    assert.deepEqual(splitUnion("a.where(x='p|q') | (b as T) | c"), ["a.where(x='p|q')", '(b as T)', 'c']);
    assert.deepEqual(
      branchesFor('(Observation.value as Quantity) | (Observation.value as SampledData) | Patient.x | Resource.id | value', 'Observation'),
      ['Observation.value.ofType(Quantity)', 'Observation.value.ofType(SampledData)', 'Resource.id', 'value'],
    );
    assert.deepEqual(getSearchParameter('Observation', 'value-string')?.branches, ['Observation.value.ofType(string)', 'Observation.value.ofType(CodeableConcept).text']);
    // no `as` is left in any registry entry
    for (const type of RESOURCE_TYPES) {
      for (const def of searchParametersOf(type)) {
        for (const b of def.branches) assert.doesNotMatch(b, /\bas\b|\.as\(/, `${type}.${def.code}: ${b}`);
      }
    }
  });

  it('resolves composite components by URL', () => {
    const cvq = getSearchParameter('Observation', 'code-value-quantity')!;
    assert.equal(cvq.type, 'composite');
    assert.deepEqual(cvq.component, [
      { definition: 'http://hl7.org/fhir/SearchParameter/clinical-code', expression: 'code' },
      { definition: 'http://hl7.org/fhir/SearchParameter/Observation-value-quantity', expression: 'value.as(Quantity)' },
    ]);
    assert.equal(getSearchParameterByUrl(cvq.component![1].definition)?.type, 'quantity');
  });

  it('loads the project\'s own SearchParameters from a directory (none when it does not exist)', () => {
    assert.equal(loadProjectSearchParameters(path.join(os.tmpdir(), 'no-such-dir-search-params')), 0);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'search-params-'));
    try {
      const sp = {
        resourceType: 'SearchParameter',
        url: 'http://example.org/SearchParameter/patient-nickname',
        name: 'nickname',
        status: 'active',
        code: 'test-nickname',
        base: ['Patient'],
        type: 'string',
        expression: "Patient.name.where(use = 'nickname').given",
      };
      fs.writeFileSync(path.join(dir, 'nickname.json'), JSON.stringify(sp));
      fs.writeFileSync(path.join(dir, 'bundle.json'), JSON.stringify({ resourceType: 'Bundle', type: 'collection', entry: [{ resource: { ...sp, url: 'http://example.org/SearchParameter/b', code: 'test-b', base: ['Observation', 'Condition'], expression: 'Observation.status | Condition.id', type: 'token' } }] }));
      assert.equal(loadProjectSearchParameters(dir), 2);
      const def = getSearchParameter('Patient', 'test-nickname');
      assert.equal(def?.origin, 'project');
      assert.deepEqual(def?.branches, ["Patient.name.where(use = 'nickname').given"]);
      assert.deepEqual(getSearchParameter('Observation', 'test-b')?.branches, ['Observation.status']);
      assert.deepEqual(getSearchParameter('Condition', 'test-b')?.branches, ['Condition.id']);
      fs.writeFileSync(path.join(dir, 'bad.json'), JSON.stringify({ resourceType: 'SearchParameter', code: 'x', base: ['Patient'] }));
      assert.throws(() => loadProjectSearchParameters(dir), /bad\.json: invalid SearchParameter: type must be one of/);
      assert.throws(() => addSearchParameters([{ resourceType: 'Patient' }]), /resourceType must be SearchParameter/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('imports in well under a second (no large JSON parsed at start-up)', (t) => {
    const script = [
      'const t0 = performance.now();',
      "await import('./src/search/parameters.ts');",
      'const t1 = performance.now();',
      "await import('./src/search/extract.ts');",
      'const t2 = performance.now();',
      'console.log(JSON.stringify({ parameters: t1 - t0, extract: t2 - t0 }));',
    ].join('\n');
    const out = execFileSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: repoRoot, encoding: 'utf8' });
    const ms = JSON.parse(out.trim().split('\n').pop()!) as { parameters: number; extract: number };
    t.diagnostic(`import: parameters.ts ${ms.parameters.toFixed(0)} ms, extract.ts (with fhirpath) ${ms.extract.toFixed(0)} ms`);
    assert.ok(ms.extract < 1000, `import took ${ms.extract} ms`);
  });
});
