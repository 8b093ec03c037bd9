import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import { FHIR_VERSION, RESOURCE_TYPES, isResourceType } from '../../src/fhir/definitions.js';
import {
  MAX_ISSUES,
  issuesToOperationOutcome,
  loadValidator,
  validateResource,
  type ValidationIssue,
} from '../../src/fhir/validator.js';
import { computeR4Tables } from '../../src/fhir/schema/tables.js';
import { loadCompiledValidators } from '../../src/fhir/schema/compile.js';

const require = createRequire(import.meta.url);
const EXAMPLES = path.dirname(require.resolve('hl7.fhir.r4.examples/package.json'));
const SHARED = '/work/shared/data/fhir-r4-examples';

const FIRST_CLASS = new Set([
  'Patient', 'Practitioner', 'PractitionerRole', 'Schedule', 'Slot', 'Appointment', 'AppointmentResponse',
  'MedicationRequest', 'MedicationDispense', 'DocumentReference', 'Binary', 'Consent', 'Communication',
  'AuditEvent', 'Organization', 'Location',
]);

/**
 * Official examples that are invalid FHIR R4 themselves. Each issue they produce must match the
 * pattern, so the exception cannot hide a different (validator) problem.
 */
const LINK_ID = /\.item(\[\d+\]\.item)*\[\d+\]\.linkId: missing required element$/;
const SEARCH_PARAMETER_BASE = /^SearchParameter\.base: missing required element$/;
const KNOWN_INVALID: Record<string, { reason: string; issues: RegExp }> = {
  'Questionnaire-qs1.json': { reason: 'nested items lack linkId (1..1)', issues: LINK_ID },
  'medicinalproductcontraindication-questionnaire.json': { reason: 'items lack linkId (1..1)', issues: LINK_ID },
  'practitionerrole-questionnaire.json': { reason: 'items lack linkId (1..1)', issues: LINK_ID },
  'specimendefinition-questionnaire.json': { reason: 'items lack linkId (1..1)', issues: LINK_ID },
  'ImplementationGuide-fhir.json': {
    reason: 'no name and no status (both 1..1)',
    issues: /^ImplementationGuide\.(name|status): missing required element$/,
  },
  'ig-r4.json': {
    reason: 'no name and no status (both 1..1)',
    issues: /^ImplementationGuide\.(name|status): missing required element$/,
  },
  'CodeSystem-v2-0550.json': {
    reason: 'codes end in a (mis-encoded) non-breaking space, which the code type forbids',
    issues: /^CodeSystem\.concept\[\d+\]\.code: value '.*' does not match the FHIR code format$/,
  },
  'Bundle-v2-valuesets.json': {
    reason: 'contains CodeSystem v2-0550, see above',
    issues: /^Bundle\.entry\[\d+\]\.resource\.concept\[\d+\]\.code: value '.*' does not match the FHIR code format$/,
  },
  'SearchParameter-questionnaireresponse-extensions-QuestionnaireResponse-item-subject.json': {
    reason: 'id is longer than 64 characters',
    issues: /^SearchParameter\.id: value '.*' does not match the FHIR id format$/,
  },
};
for (const t of ['CodeSystem', 'ValueSet']) {
  for (const p of ['author', 'effective', 'end', 'keyword', 'workflow']) {
    KNOWN_INVALID[`SearchParameter-${t.toLowerCase()}-extensions-${t}-${p}.json`] = {
      reason: 'no base (1..*)',
      issues: SEARCH_PARAMETER_BASE,
    };
  }
}

interface Example {
  file: string;
  resource: { resourceType?: unknown };
}

function readExamples(dir: string): Example[] {
  return fs
    .readdirSync(dir)
    .filter((f) => f.endsWith('.json') && f !== 'package.json' && !f.startsWith('.'))
    .map((f) => ({ file: f, resource: JSON.parse(fs.readFileSync(path.join(dir, f), 'utf8')) as { resourceType?: unknown } }))
    .filter((e) => typeof e.resource.resourceType === 'string');
}

/** Validates examples; returns a description of every unexpected outcome. */
function checkExamples(examples: Example[]): string[] {
  const problems: string[] = [];
  for (const { file, resource } of examples) {
    const issues = validateResource(resource);
    const known = KNOWN_INVALID[file];
    if (!known) {
      if (issues.length) problems.push(`${file}: ${issues.map((i) => i.diagnostics).join('; ')}`);
    } else if (issues.length === 0) {
      problems.push(`${file}: listed as known invalid (${known.reason}) but now validates`);
    } else {
      for (const i of issues.filter((i) => !known.issues.test(i.diagnostics))) problems.push(`${file}: ${i.diagnostics}`);
    }
  }
  return problems;
}

const expressions = (issues: ValidationIssue[]): string[] => issues.map((i) => i.expression);

/** Validates and expects exactly one error issue, returning it. */
function single(resource: unknown): ValidationIssue {
  const issues = validateResource(resource);
  assert.equal(issues.length, 1, JSON.stringify(issues, null, 1));
  assert.equal(issues[0].severity, 'error');
  return issues[0];
}

before(async () => {
  const info = await loadValidator();
  assert.ok(['cache', 'generated', 'memory'].includes(info.source));
});

describe('definitions', () => {
  it('lists exactly the 146 R4 resource types', () => {
    assert.equal(RESOURCE_TYPES.size, 146);
    assert.equal(FHIR_VERSION, '4.0.1');
    for (const t of ['Patient', 'Observation', 'Bundle', 'Binary', 'VisionPrescription']) assert.ok(isResourceType(t), t);
    for (const t of ['Bot', 'Project', 'User', 'Resource', 'DomainResource', 'SubscriptionStatus', 'patient']) {
      assert.ok(!isResourceType(t), t);
    }
  });

  it('checked-in resource-types.json and r4-tables.json match the installed definitions', () => {
    const { resourceTypes, tables } = computeR4Tables();
    assert.deepEqual([...RESOURCE_TYPES], resourceTypes, 'run: node --import tsx scripts/generate-fhir-tables.ts');
    assert.deepEqual(require('../../src/fhir/schema/r4-tables.json'), tables, 'run: node --import tsx scripts/generate-fhir-tables.ts');
  });
});

describe('official examples', () => {
  const packaged = readExamples(EXAMPLES);

  for (const type of [...FIRST_CLASS].sort()) {
    it(`every official ${type} example validates`, () => {
      const examples = packaged.filter((e) => e.resource.resourceType === type);
      assert.ok(examples.length > 0);
      assert.deepEqual(checkExamples(examples), []);
    });
  }

  it(`every resource in ${SHARED}/official validates`, () => {
    const examples = readExamples(path.join(SHARED, 'official'));
    assert.ok(examples.length > 100);
    assert.deepEqual(checkExamples(examples), []);
  });

  it(`every resource in ${SHARED}/*.json validates, except known invalid examples`, () => {
    const examples = readExamples(SHARED);
    assert.ok(examples.length > 100);
    assert.deepEqual(checkExamples(examples), []);
  });

  it('all 5300 examples of the R4 package validate, except known invalid examples', () => {
    assert.ok(packaged.length > 5000);
    assert.deepEqual(checkExamples(packaged), []);
  });
});

describe('validateResource: invalid resources', () => {
  it('accepts a minimal valid resource', () => {
    assert.deepEqual(validateResource({ resourceType: 'Patient' }), []);
    assert.deepEqual(validateResource({ resourceType: 'Observation', status: 'final', code: { text: 'x' } }), []);
  });

  it('bad date', () => {
    assert.deepEqual(single({ resourceType: 'Patient', birthDate: '1990-13-45' }), {
      severity: 'error',
      code: 'value',
      expression: 'Patient.birthDate',
      diagnostics: "Patient.birthDate: value '1990-13-45' does not match the FHIR date format",
    });
    assert.equal(single({ resourceType: 'Patient', deceasedDateTime: '2020-01-01T10:00' }).expression, 'Patient.deceasedDateTime');
  });

  it('unknown element, also nested and Medplum-only elements', () => {
    const i = single({ resourceType: 'Patient', foo: { bar: '' } });
    assert.equal(i.expression, 'Patient.foo');
    assert.equal(i.code, 'structure');
    assert.equal(i.diagnostics, "Patient.foo: unknown element 'foo'");
    assert.equal(single({ resourceType: 'Patient', name: [{ family: 'x', nick: 'y' }] }).expression, 'Patient.name[0].nick');
    assert.equal(single({ resourceType: 'Patient', meta: { project: 'p1' } }).expression, 'Patient.meta.project');
    assert.equal(
      single({ resourceType: 'Patient', managingOrganization: { resource: { resourceType: 'Organization' } } }).expression,
      'Patient.managingOrganization.resource',
    );
  });

  it('wrong JSON type', () => {
    const i = single({ resourceType: 'Patient', name: 'x' });
    assert.equal(i.expression, 'Patient.name');
    assert.equal(i.code, 'structure');
    assert.equal(i.diagnostics, 'Patient.name: expected an array, got a string');
    assert.equal(single({ resourceType: 'Patient', name: [{ given: ['a', 5] }] }).expression, 'Patient.name[0].given[1]');
    assert.equal(single({ resourceType: 'Patient', maritalStatus: 'M' }).expression, 'Patient.maritalStatus');
    assert.equal(single({ resourceType: 'Patient', name: ['x'] }).expression, 'Patient.name[0]');
    assert.equal(single({ resourceType: 'Patient', active: 'true' }).diagnostics, 'Patient.active: expected a boolean (true or false) (FHIR boolean), got a string');
    assert.equal(single({ resourceType: 'Patient', multipleBirthInteger: 1.5 }).expression, 'Patient.multipleBirthInteger');
    assert.equal(
      single({ resourceType: 'Appointment', status: 'booked', participant: [{ status: 'accepted', type: [{ text: 'x' }] }], minutesDuration: 0 }).diagnostics,
      'Appointment.minutesDuration: value 0 is below the minimum 1 for FHIR positiveInt',
    );
    assert.equal(single({ resourceType: 'Patient', text: { status: 'generated', div: 'plain' } }).expression, 'Patient.text.div');
  });

  it('bad code for a required binding', () => {
    assert.deepEqual(single({ resourceType: 'Patient', gender: 'x' }), {
      severity: 'error',
      code: 'value',
      expression: 'Patient.gender',
      diagnostics: "Patient.gender: value 'x' is not one of male, female, other, unknown",
    });
  });

  it('missing required elements, including primitives and choice types', () => {
    const issues = validateResource({ resourceType: 'Observation' });
    assert.deepEqual(expressions(issues).sort(), ['Observation.code', 'Observation.status']);
    assert.ok(issues.every((i) => i.code === 'required'));
    assert.ok(issues.some((i) => i.diagnostics === 'Observation.status: missing required element'));
    // A primitive may be present as its extension only.
    const dar = { extension: [{ url: 'http://hl7.org/fhir/StructureDefinition/data-absent-reason', valueCode: 'unknown' }] };
    assert.deepEqual(validateResource({ resourceType: 'Observation', _status: dar, code: { text: 'x' } }), []);
    assert.deepEqual(expressions(validateResource({ resourceType: 'MedicationRequest', status: 'active', intent: 'order', subject: { reference: 'Patient/1' } })), [
      'MedicationRequest.medication[x]',
    ]);
    assert.equal(single({ resourceType: 'Patient', extension: [{ valueString: 'x' }] }).expression, 'Patient.extension[0].url');
  });

  it('empty string, reported once', () => {
    const i = single({ resourceType: 'Patient', name: [{ family: '' }] });
    assert.equal(i.expression, 'Patient.name[0].family');
    assert.equal(i.code, 'value');
    assert.equal(single({ resourceType: 'Patient', birthDate: '' }).expression, 'Patient.birthDate');
  });

  it('null values', () => {
    const i = single({ resourceType: 'Patient', active: null });
    assert.equal(i.expression, 'Patient.active');
    assert.equal(i.code, 'structure');
    assert.equal(single({ resourceType: 'Patient', name: [{ given: ['a', null] }] }).expression, 'Patient.name[0].given[1]');
    // null keeps a primitive array aligned with its extension array
    const ext = { extension: [{ url: 'http://example.org/x', valueString: 'y' }] };
    assert.deepEqual(validateResource({ resourceType: 'Patient', name: [{ given: ['a', null], _given: [null, ext] }] }), []);
    assert.equal(
      single({ resourceType: 'Patient', name: [{ given: ['a', null], _given: [null, null] }] }).expression,
      'Patient.name[0].given[1]',
    );
    assert.equal(single({ resourceType: 'Patient', name: [{ given: ['a'], _given: [null, ext] }] }).expression, 'Patient.name[0].given');
  });

  it('empty arrays and objects', () => {
    assert.equal(single({ resourceType: 'Patient', telecom: [] }).expression, 'Patient.telecom');
    assert.equal(single({ resourceType: 'Patient', meta: {} }).expression, 'Patient.meta');
    // the empty object is the issue, not the required elements it lacks
    assert.equal(single({ resourceType: 'Patient', link: [{}] }).expression, 'Patient.link[0]');
  });

  it('wrong, unknown or missing resourceType', () => {
    assert.deepEqual(single({ resourceType: 'Bot' }), {
      severity: 'error',
      code: 'value',
      expression: 'Resource.resourceType',
      diagnostics: "Resource.resourceType: unknown resource type 'Bot'",
    });
    assert.equal(single({ resourceType: 'patient' }).expression, 'Resource.resourceType');
    assert.equal(single({ resourceType: 5 }).expression, 'Resource.resourceType');
    const missing = single({ name: [{ family: 'x' }] });
    assert.equal(missing.expression, 'Resource.resourceType');
    assert.equal(missing.code, 'required');
  });

  it('non-object bodies', () => {
    for (const body of [null, [], [{ resourceType: 'Patient' }], 'Patient', 42, true, undefined]) {
      const i = single(body);
      assert.equal(i.expression, 'Resource');
      assert.equal(i.code, 'structure');
    }
  });

  it('contained and bundled resources are validated against their own type', () => {
    assert.equal(
      single({ resourceType: 'Patient', contained: [{ resourceType: 'Observation', id: 'o', status: 'final' }] }).expression,
      'Patient.contained[0].code',
    );
    assert.equal(single({ resourceType: 'Patient', contained: [{ resourceType: 'Bot', id: 'b' }] }).expression, 'Patient.contained[0].resourceType');
    assert.equal(single({ resourceType: 'Patient', contained: [{ id: 'x' }] }).expression, 'Patient.contained[0].resourceType');
    assert.equal(
      single({ resourceType: 'Bundle', type: 'collection', entry: [{ resource: { resourceType: 'Patient', gender: 'y' } }] }).expression,
      'Bundle.entry[0].resource.gender',
    );
  });

  it('rejects absurdly deep nesting without exhausting the stack', () => {
    let ext: Record<string, unknown> = { url: 'http://example.org/leaf', valueString: 'x' };
    for (let i = 0; i < 300; i++) ext = { url: 'http://example.org/x', extension: [ext] };
    assert.match(single({ resourceType: 'Patient', extension: [ext] }).diagnostics, /nested more than 200 levels deep/);
    let arr: unknown[] = [];
    for (let i = 0; i < 100_000; i++) arr = [arr];
    assert.equal(single({ resourceType: 'Patient', extension: arr }).code, 'structure');
  });

  it(`caps the number of issues at ${MAX_ISSUES}`, () => {
    const resource: Record<string, unknown> = { resourceType: 'Patient' };
    for (let i = 0; i < 150; i++) resource[`foo${i}`] = i;
    const issues = validateResource(resource);
    assert.equal(issues.length, MAX_ISSUES + 1);
    assert.equal(issues[MAX_ISSUES].severity, 'warning');
    assert.match(issues[MAX_ISSUES].diagnostics, /50 more issues not reported/);
  });
});

describe('issuesToOperationOutcome', () => {
  it('builds an OperationOutcome', () => {
    const outcome = issuesToOperationOutcome(validateResource({ resourceType: 'Patient', gender: 'x' }));
    assert.deepEqual(outcome, {
      resourceType: 'OperationOutcome',
      issue: [
        {
          severity: 'error',
          code: 'value',
          diagnostics: "Patient.gender: value 'x' is not one of male, female, other, unknown",
          expression: ['Patient.gender'],
        },
      ],
    });
    assert.deepEqual(validateResource(outcome), []);
    assert.deepEqual(validateResource(issuesToOperationOutcome([])), []);
  });
});

describe('compiled in memory (cache directory not writable)', () => {
  it('behaves like the cached validator', () => {
    const tables = require('../../src/fhir/schema/r4-tables.json');
    // A directory below a regular file can never be created.
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'fhir-validator-')), 'file');
    fs.writeFileSync(file, '');
    const compiled = loadCompiledValidators(tables, [...RESOURCE_TYPES], { cacheDir: path.join(file, 'cache') });
    fs.rmSync(path.dirname(file), { recursive: true });
    assert.equal(compiled.source, 'memory');
    const validate = compiled.byType.get('Patient')!;
    assert.equal(validate({ resourceType: 'Patient', gender: 'female' }), true);
    assert.equal(validate({ resourceType: 'Patient', gender: 'x', foo: 1 }), false);
    assert.deepEqual(validate.errors?.map((e) => e.keyword).sort(), ['additionalProperties', 'enum']);
  });
});
