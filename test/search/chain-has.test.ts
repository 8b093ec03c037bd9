/**
 * Chained parameters (search.html#chaining) and reverse chaining _has (search.html#has).
 *
 * Patients: cp1 Peter Parker, cp2 Mary Watson, cp3 Peter Quill (GP: Dr Strange);
 * Location cl1 "Peter Street Clinic"; Organization co1 Acme.
 * Encounters: ce1 → cp1, ce2 → cp2, ce3 → cp3 (service provider Acme).
 * Observations:
 *   ch1 subject cp1, encounter ce1, code 1234-5, performer cpr1
 *   ch2 subject cp2, encounter ce2, code 1234-5
 *   ch3 subject cp3, encounter ce3, code 9999-9
 *   ch4 subject Location cl1, code 1234-5
 *   ch5 subject cp1, encounter ce2, code 9999-9
 *   ch6 subject http://localhost:8080/fhir/Patient/cp4 (Zed Absolute), code 5555-5
 */
import { describe, it, before, after } from 'node:test';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { expectMatches, expectPostMatches, putAll } from './_lib.js';

let t: TestApp;

const L = 'http://loinc.org';
const ref = (reference: string) => ({ reference });
const obs = (id: string, code: string, extra: Record<string, unknown>) => ({
  resourceType: 'Observation',
  id,
  status: 'final',
  code: { coding: [{ system: L, code }] },
  ...extra,
});
const encounter = (id: string, subject: string, extra: Record<string, unknown> = {}) => ({
  resourceType: 'Encounter',
  id,
  status: 'finished',
  class: { code: 'AMB' },
  subject: ref(subject),
  ...extra,
});

before(async () => {
  t = await createTestApp();
  await putAll(t, [
    { resourceType: 'Practitioner', id: 'cpr1', name: [{ family: 'Strange', given: ['Stephen'] }] },
    { resourceType: 'Organization', id: 'co1', name: 'Acme' },
    { resourceType: 'Patient', id: 'cp1', name: [{ family: 'Parker', given: ['Peter'] }], identifier: [{ system: 'http://ids.example', value: 'cp1-id' }] },
    { resourceType: 'Patient', id: 'cp2', name: [{ family: 'Watson', given: ['Mary'] }] },
    { resourceType: 'Patient', id: 'cp3', name: [{ family: 'Quill', given: ['Peter'] }], generalPractitioner: [ref('Practitioner/cpr1')] },
    { resourceType: 'Location', id: 'cl1', name: 'Peter Street Clinic' },
    encounter('ce1', 'Patient/cp1'),
    encounter('ce2', 'Patient/cp2'),
    encounter('ce3', 'Patient/cp3', { serviceProvider: ref('Organization/co1') }),
    obs('ch1', '1234-5', { subject: ref('Patient/cp1'), encounter: ref('Encounter/ce1'), performer: [ref('Practitioner/cpr1')] }),
    obs('ch2', '1234-5', { subject: ref('Patient/cp2'), encounter: ref('Encounter/ce2') }),
    obs('ch3', '9999-9', { subject: ref('Patient/cp3'), encounter: ref('Encounter/ce3') }),
    obs('ch4', '1234-5', { subject: ref('Location/cl1') }),
    obs('ch5', '9999-9', { subject: ref('Patient/cp1'), encounter: ref('Encounter/ce2') }),
    { resourceType: 'Patient', id: 'cp4', name: [{ family: 'Absolute', given: ['Zed'] }] },
    obs('ch6', '5555-5', { subject: ref('http://localhost:8080/fhir/Patient/cp4') }),
  ]);
});
after(async () => {
  await t?.close();
});

describe('chaining', () => {
  it('subject:Patient.name=peter', async () => {
    await expectMatches(t, 'Observation', 'subject:Patient.name=peter', ['ch1', 'ch3', 'ch5']);
  });
  it('subject.name=peter searches every target type that has `name` (Patient and Location)', async () => {
    await expectMatches(t, 'Observation', 'subject.name=peter', ['ch1', 'ch3', 'ch4', 'ch5']);
  });
  it('subject:Location.name=peter', async () => {
    await expectMatches(t, 'Observation', 'subject:Location.name=peter', ['ch4']);
  });
  it('patient.name=peter', async () => {
    await expectMatches(t, 'Observation', 'patient.name=peter', ['ch1', 'ch3', 'ch5']);
  });
  it('chain ANDed with a plain parameter', async () => {
    await expectMatches(t, 'Observation', 'subject:Patient.name=peter&code=1234-5', ['ch1']);
  });
  it('comma in a chained value is OR', async () => {
    await expectMatches(t, 'Observation', 'subject:Patient.name=mary,quill', ['ch2', 'ch3']);
  });
  it('two chains are resolved separately and ANDed', async () => {
    await expectMatches(t, 'Observation', 'subject:Patient.given=peter&subject:Patient.family=quill', ['ch3']);
    await expectMatches(t, 'Observation', 'subject:Patient.given=mary&subject:Patient.family=quill', []);
  });
  it('a chained token: subject:Patient.identifier=system|value', async () => {
    await expectMatches(t, 'Observation', 'subject:Patient.identifier=http://ids.example|cp1-id', ['ch1', 'ch5']);
  });
  it('a chained modifier: subject:Patient.family:exact=Quill', async () => {
    await expectMatches(t, 'Observation', 'subject:Patient.family:exact=Quill', ['ch3']);
    await expectMatches(t, 'Observation', 'subject:Patient.family:exact=quill', []);
  });
  it('two links: encounter.subject.name=peter', async () => {
    await expectMatches(t, 'Observation', 'encounter.subject.name=peter', ['ch1', 'ch3']);
  });
  it('two links with a type: encounter.subject:Patient.name=mary', async () => {
    await expectMatches(t, 'Observation', 'encounter.subject:Patient.name=mary', ['ch2', 'ch5']);
  });
  it('two links to an Organization: encounter.service-provider.name=acme', async () => {
    await expectMatches(t, 'Observation', 'encounter.service-provider.name=acme', ['ch3']);
  });
  it('three links: encounter.subject:Patient.general-practitioner.name=strange', async () => {
    await expectMatches(t, 'Observation', 'encounter.subject:Patient.general-practitioner.name=strange', ['ch3']);
  });
  it('chaining to _id: subject:Patient._id=cp1', async () => {
    await expectMatches(t, 'Observation', 'subject:Patient._id=cp1', ['ch1', 'ch5']);
  });
  it('a chain through an absolute reference on the server base', async () => {
    await expectMatches(t, 'Observation', 'subject:Patient.name=zed', ['ch6']);
  });
  it('a chain that matches nothing', async () => {
    await expectMatches(t, 'Observation', 'subject:Patient.name=nobody', []);
  });
  it('Encounter?subject.name=peter', async () => {
    await expectMatches(t, 'Encounter', 'subject.name=peter', ['ce1', 'ce3']);
  });
  it('POST _search with a chain', async () => {
    await expectPostMatches(t, 'Observation', 'subject:Patient.name=peter', 'code=9999-9', ['ch3', 'ch5']);
  });
  it('a chain follows updates of the referenced resource', async () => {
    await putAll(t, [{ resourceType: 'Patient', id: 'cp2', name: [{ family: 'Watson', given: ['Maryanne'] }] }]);
    await expectMatches(t, 'Observation', 'subject:Patient.given=maryanne', ['ch2']);
    await putAll(t, [{ resourceType: 'Patient', id: 'cp2', name: [{ family: 'Watson', given: ['Mary'] }] }]);
    await expectMatches(t, 'Observation', 'subject:Patient.given=maryanne', []);
  });
});

describe('reverse chaining: _has', () => {
  it('Patient?_has:Observation:patient:code=1234-5', async () => {
    await expectMatches(t, 'Patient', '_has:Observation:patient:code=1234-5', ['cp1', 'cp2']);
  });
  it('Patient?_has:Observation:subject:code=9999-9', async () => {
    await expectMatches(t, 'Patient', '_has:Observation:subject:code=9999-9', ['cp1', 'cp3']);
  });
  it('with a system: _has:Observation:patient:code=http://loinc.org|9999-9', async () => {
    await expectMatches(t, 'Patient', `_has:Observation:patient:code=${L}|9999-9`, ['cp1', 'cp3']);
  });
  it('comma is OR: _has:Observation:patient:code=1234-5,9999-9', async () => {
    await expectMatches(t, 'Patient', '_has:Observation:patient:code=1234-5,9999-9', ['cp1', 'cp2', 'cp3']);
  });
  it('two _has are ANDed (each may be satisfied by a different Observation)', async () => {
    await expectMatches(t, 'Patient', '_has:Observation:patient:code=1234-5&_has:Observation:patient:code=9999-9', ['cp1']);
  });
  it('_has ANDed with a plain parameter', async () => {
    await expectMatches(t, 'Patient', '_has:Observation:patient:code=1234-5&family=watson', ['cp2']);
  });
  it('Location?_has:Observation:subject:code=1234-5', async () => {
    await expectMatches(t, 'Location', '_has:Observation:subject:code=1234-5', ['cl1']);
  });
  it('Practitioner?_has:Observation:performer:code=1234-5', async () => {
    await expectMatches(t, 'Practitioner', '_has:Observation:performer:code=1234-5', ['cpr1']);
  });
  it('_has on _id: Patient?_has:Observation:patient:_id=ch2', async () => {
    await expectMatches(t, 'Patient', '_has:Observation:patient:_id=ch2', ['cp2']);
  });
  it('_has through an absolute reference on the server base', async () => {
    await expectMatches(t, 'Patient', '_has:Observation:patient:code=5555-5', ['cp4']);
  });
  it('a _has that matches nothing', async () => {
    await expectMatches(t, 'Patient', '_has:Observation:patient:code=0000-0', []);
  });
  it('nested: Patient?_has:Encounter:subject:_has:Observation:encounter:code=9999-9', async () => {
    // Observations 9999-9: ch3 (encounter ce3 → cp3), ch5 (encounter ce2 → cp2)
    await expectMatches(t, 'Patient', '_has:Encounter:subject:_has:Observation:encounter:code=9999-9', ['cp2', 'cp3']);
  });
  it('_has with a chained parameter inside: Patient?_has:Observation:patient:encounter.service-provider.name=acme', async () => {
    await expectMatches(t, 'Patient', '_has:Observation:patient:encounter.service-provider.name=acme', ['cp3']);
  });
  it('POST _search with _has', async () => {
    await expectPostMatches(t, 'Patient', '_has:Observation:patient:code=9999-9', '', ['cp1', 'cp3']);
  });
});
