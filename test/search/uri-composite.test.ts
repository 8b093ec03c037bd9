/**
 * uri parameters (search.html#uri): exact, :below (the url starts with the value), :above (the
 * url is the value or one of its parents), URNs; composite parameters (search.html#composite):
 * components joined by `$`, all matching on the same element (the Observation itself, or one
 * component).
 */
import { describe, it, before, after } from 'node:test';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { expectMatches, expectSome, putAll } from './_lib.js';

let t: TestApp;

const LOINC = 'http://loinc.org';
const UCUM = 'http://unitsofmeasure.org';
const SCT = 'http://snomed.info/sct';

const vs = (id: string, url: string) => ({ resourceType: 'ValueSet', id, url, status: 'active' });
const mmHg = (value: number) => ({ value, unit: 'mmHg', system: UCUM, code: 'mm[Hg]' });
const cc = (system: string, code: string) => ({ coding: [{ system, code }] });

before(async () => {
  t = await createTestApp();
  await putAll(t, [
    vs('vs1', 'http://acme.org/fhir/ValueSet/123'),
    vs('vs2', 'http://acme.org/fhir/ValueSet/1234'),
    vs('vs3', 'http://acme.org/fhir/ValueSet'),
    vs('vs4', 'http://acme.org/fhir'),
    vs('vs5', 'http://other.org/fhir/ValueSet/123'),
    vs('vs6', 'urn:oid:1.2.3.4.5'),
    vs('vs7', 'http://acme.org/fhir/ValueSet/123/sub'),
    { resourceType: 'ValueSet', id: 'vs8', status: 'draft' },

    { resourceType: 'Observation', id: 'c1', status: 'final', code: cc(LOINC, '8480-6'), valueQuantity: mmHg(120) },
    { resourceType: 'Observation', id: 'c2', status: 'final', code: cc(LOINC, '8480-6'), valueQuantity: mmHg(95) },
    { resourceType: 'Observation', id: 'c3', status: 'final', code: cc(LOINC, '8462-4'), valueQuantity: mmHg(130) },
    {
      resourceType: 'Observation',
      id: 'c4',
      status: 'final',
      code: cc(LOINC, '85354-9'),
      // systolic 90, diastolic 130: "8480-6 above 100" must not pair 8480-6 with 130
      component: [
        { code: cc(LOINC, '8480-6'), valueQuantity: mmHg(90) },
        { code: cc(LOINC, '8462-4'), valueQuantity: mmHg(130) },
      ],
    },
    {
      resourceType: 'Observation',
      id: 'c5',
      status: 'final',
      code: cc(LOINC, '85354-9'),
      component: [
        { code: cc(LOINC, '8480-6'), valueQuantity: mmHg(140) },
        { code: cc(LOINC, '8462-4'), valueQuantity: mmHg(85) },
      ],
    },
    { resourceType: 'Observation', id: 'c6', status: 'final', code: cc(LOINC, '72166-2'), valueCodeableConcept: cc(SCT, '8517006') },
    { resourceType: 'Observation', id: 'c7', status: 'final', code: cc(LOINC, '72166-2'), valueCodeableConcept: cc(SCT, '266919005') },
    { resourceType: 'Observation', id: 'c8', status: 'final', code: cc(LOINC, '8310-5'), valueString: 'fine' },
  ]);
});
after(async () => {
  await t?.close();
});

describe('uri', () => {
  it('exact: url=http://acme.org/fhir/ValueSet/123 (not /1234, not /123/sub)', async () => {
    await expectMatches(t, 'ValueSet', 'url=http://acme.org/fhir/ValueSet/123', ['vs1']);
  });
  it('exact is not case-insensitive', async () => {
    await expectMatches(t, 'ValueSet', 'url=http://acme.org/fhir/valueset/123', []);
  });
  it('URN: url=urn:oid:1.2.3.4.5', async () => {
    await expectMatches(t, 'ValueSet', 'url=urn:oid:1.2.3.4.5', ['vs6']);
  });
  it('comma is OR', async () => {
    await expectMatches(t, 'ValueSet', 'url=http://acme.org/fhir/ValueSet/123,urn:oid:1.2.3.4.5', ['vs1', 'vs6']);
  });
  it(':below=http://acme.org/fhir/ → every url starting with it', async () => {
    // vs4 (http://acme.org/fhir, without the slash) is left open
    await expectSome(t, 'ValueSet', 'url:below=http://acme.org/fhir/', ['vs1', 'vs2', 'vs3', 'vs7'], ['vs5', 'vs6', 'vs8']);
  });
  it(':below=http://acme.org/fhir/ValueSet/123 → itself and below it', async () => {
    // vs2 (…/1234) is left open: a plain prefix matches it, a path-segment match does not
    await expectSome(t, 'ValueSet', 'url:below=http://acme.org/fhir/ValueSet/123', ['vs1', 'vs7'], ['vs3', 'vs4', 'vs5', 'vs6']);
  });
  it(':above=http://acme.org/fhir/ValueSet/123/sub → itself and its parents', async () => {
    await expectMatches(t, 'ValueSet', 'url:above=http://acme.org/fhir/ValueSet/123/sub', ['vs7', 'vs1', 'vs3', 'vs4']);
  });
  it(':above=http://acme.org/fhir/ValueSet/123 (not its sibling 1234 or child /sub)', async () => {
    await expectMatches(t, 'ValueSet', 'url:above=http://acme.org/fhir/ValueSet/123', ['vs1', 'vs3', 'vs4']);
  });
  it('url:missing=true', async () => {
    await expectMatches(t, 'ValueSet', 'url:missing=true', ['vs8']);
  });
});

describe('composite: code-value-quantity', () => {
  it('http://loinc.org|8480-6$gt100', async () => {
    await expectMatches(t, 'Observation', `code-value-quantity=${LOINC}|8480-6$gt100`, ['c1']);
  });
  it('http://loinc.org|8480-6$lt100', async () => {
    await expectMatches(t, 'Observation', `code-value-quantity=${LOINC}|8480-6$lt100`, ['c2']);
  });
  it('code without system: 8480-6$gt100', async () => {
    await expectMatches(t, 'Observation', 'code-value-quantity=8480-6$gt100', ['c1']);
  });
  it('8462-4$gt100', async () => {
    await expectMatches(t, 'Observation', `code-value-quantity=${LOINC}|8462-4$gt100`, ['c3']);
  });
  it('with a unit: 8480-6$120|ucum|mm[Hg]', async () => {
    await expectMatches(t, 'Observation', `code-value-quantity=${LOINC}|8480-6$120|${UCUM}|mm[Hg]`, ['c1']);
    await expectMatches(t, 'Observation', `code-value-quantity=${LOINC}|8480-6$120|${UCUM}|kg`, []);
  });
  it('comma is OR of whole composite values', async () => {
    await expectMatches(t, 'Observation', `code-value-quantity=${LOINC}|8480-6$gt100,${LOINC}|8462-4$gt100`, ['c1', 'c3']);
  });
  it('repeated is AND', async () => {
    await expectMatches(t, 'Observation', `code-value-quantity=${LOINC}|8480-6$gt100&code-value-quantity=${LOINC}|8480-6$lt125`, ['c1']);
  });
});

describe('composite on components', () => {
  it('component-code-value-quantity: code and value on the SAME component', async () => {
    await expectMatches(t, 'Observation', `component-code-value-quantity=${LOINC}|8480-6$gt100`, ['c5']);
    await expectMatches(t, 'Observation', `component-code-value-quantity=${LOINC}|8462-4$gt100`, ['c4']);
    await expectMatches(t, 'Observation', `component-code-value-quantity=${LOINC}|8480-6$lt100`, ['c4']);
    await expectMatches(t, 'Observation', `component-code-value-quantity=${LOINC}|8462-4$lt100`, ['c5']);
  });
  it('component-code-value-quantity with a unit', async () => {
    await expectMatches(t, 'Observation', `component-code-value-quantity=${LOINC}|8480-6$140|${UCUM}|mm[Hg]`, ['c5']);
  });
  it('combo-code-value-quantity: the Observation or one of its components', async () => {
    await expectMatches(t, 'Observation', `combo-code-value-quantity=${LOINC}|8480-6$gt100`, ['c1', 'c5']);
  });
  it('components do not match the Observation-level composite and vice versa', async () => {
    await expectMatches(t, 'Observation', `code-value-quantity=${LOINC}|8480-6$140`, []);
    await expectMatches(t, 'Observation', `component-code-value-quantity=${LOINC}|8480-6$120`, []);
  });
  it('component-code and component-value-quantity alone (not composite) may pair different components', async () => {
    await expectMatches(t, 'Observation', `component-code=${LOINC}|8480-6&component-value-quantity=gt125`, ['c4', 'c5']);
  });
});

describe('composite: code-value-concept and code-value-string', () => {
  it('code-value-concept=loinc|72166-2$sct|8517006', async () => {
    await expectMatches(t, 'Observation', `code-value-concept=${LOINC}|72166-2$${SCT}|8517006`, ['c6']);
    await expectMatches(t, 'Observation', `code-value-concept=${LOINC}|72166-2$${SCT}|266919005`, ['c7']);
    await expectMatches(t, 'Observation', `code-value-concept=${LOINC}|8480-6$${SCT}|8517006`, []);
  });
  it('code-value-string=loinc|8310-5$fi', async () => {
    await expectMatches(t, 'Observation', `code-value-string=${LOINC}|8310-5$fi`, ['c8']);
  });
});
