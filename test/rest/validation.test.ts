/**
 * Resource validation on write, and the $validate operation.
 * hl7.org/fhir/R4/http.html#create (400/422), json.html, resource-operation-validate.html
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { useTestApp } from '../helpers/app.js';
import {
  api, assertSameResource, create, expectOutcome, expectStatus, issueText, postResource, putResource, read,
  show, typeHistoryCount,
} from './_util.js';

const t = useTestApp();

const EXAMPLES = path.resolve('node_modules/hl7.fhir.r4.examples');
function example(file: string): any {
  return JSON.parse(fs.readFileSync(path.join(EXAMPLES, file), 'utf8'));
}

/**
 * [label, resource, text the issue must name]. Each is invalid per the R4 definitions or the
 * JSON format rules (json.html: no empty values, no nulls, arrays non-empty, one choice type).
 */
const INVALID: Array<[string, any, RegExp]> = [
  ['bad birthDate', { resourceType: 'Patient', birthDate: '1990-13-45' }, /Patient\.birthDate/],
  ['impossible calendar date (2001-02-29)', { resourceType: 'Patient', birthDate: '2001-02-29' }, /Patient\.birthDate/],
  ['birthDate not a date at all', { resourceType: 'Patient', birthDate: 'yesterday' }, /Patient\.birthDate/],
  ['unknown element', { resourceType: 'Patient', favouriteColour: 'blue' }, /Patient\.favouriteColour/],
  ['wrong type: boolean as string', { resourceType: 'Patient', active: 'yes' }, /Patient\.active/],
  ['wrong type: number as code', { resourceType: 'Patient', gender: 5 }, /Patient\.gender/],
  ['code outside a required binding', { resourceType: 'Patient', gender: 'banana' }, /Patient\.gender/],
  ['object where an array is required', { resourceType: 'Patient', name: { family: 'X' } }, /Patient\.name/],
  ['nested: string where an array is required', { resourceType: 'Patient', name: [{ given: 'John' }] }, /Patient\.name(\[0\])?\.given/],
  ['nested unknown element', { resourceType: 'Patient', name: [{ family: 'X', nickname: 'Y' }] }, /Patient\.name(\[0\])?\.nickname/],
  ['empty string', { resourceType: 'Patient', name: [{ family: '' }] }, /Patient\.name(\[0\])?\.family/],
  ['null value', { resourceType: 'Patient', active: null }, /Patient\.active/],
  ['empty array', { resourceType: 'Patient', name: [] }, /Patient\.name/],
  ['empty object', { resourceType: 'Patient', maritalStatus: {} }, /Patient\.maritalStatus/],
  ['two choice types at once', { resourceType: 'Patient', deceasedBoolean: true, deceasedDateTime: '2020-01-01' }, /Patient\.deceased/],
  ['integer with a fraction', { resourceType: 'Patient', multipleBirthInteger: 1.5 }, /Patient\.multipleBirth/],
  ['missing required element (Observation.status)', { resourceType: 'Observation', code: { text: 'x' } }, /Observation\.status/],
  ['decimal given as a string', { resourceType: 'Observation', status: 'final', code: { text: 'x' }, valueQuantity: { value: '5' } }, /Observation\.value(Quantity)?\.value|valueQuantity/],
  ['bad dateTime in nested Period', { resourceType: 'Patient', name: [{ family: 'X', period: { start: '2020-02-30' } }] }, /Patient\.name(\[0\])?\.period\.start/],
  ['invalid contained resource', { resourceType: 'Patient', contained: [{ resourceType: 'Practitioner', id: 'c1', birthDate: 'bad' }], generalPractitioner: [{ reference: '#c1' }] }, /birthDate/],
  ['extension without url', { resourceType: 'Patient', extension: [{ valueString: 'x' }] }, /Patient\.extension/],
  ['primitive extension for an unknown element', { resourceType: 'Patient', _favouriteColour: { extension: [{ url: 'http://example.org/x', valueString: 'y' }] } }, /favouriteColour/],
  ['primitive extension holder that is not an object', { resourceType: 'Patient', birthDate: '2000-01-01', _birthDate: 'oops' }, /Patient\._?birthDate/],
  ['contained resource of an unknown type', { resourceType: 'Patient', contained: [{ resourceType: 'Foo', id: 'c1' }], generalPractitioner: [{ reference: '#c1' }] }, /contained|Foo/],
  ['missing resourceType', { name: [{ family: 'X' }] } as any, /resourceType/],
];

describe('validation on create', () => {
  for (const [label, resource, names] of INVALID) {
    it(`${label} → 400/422 OperationOutcome naming the element; nothing written`, async () => {
      const type = resource.resourceType ?? 'Patient';
      const before = await typeHistoryCount(t, type);
      const res = await postResource(t, resource, `/fhir/${type}`);
      const oo = expectOutcome(res, [400, 422], label);
      assert.match(issueText(oo), names, `issue does not name ${names}: ${issueText(oo)}`);
      assert.equal(await typeHistoryCount(t, type), before, 'nothing may be written');
    });
  }

  it('the invalid element is in issue.expression (FHIRPath) for a bad birthDate', async () => {
    const res = await postResource(t, { resourceType: 'Patient', birthDate: '1990-13-45' });
    const oo = expectOutcome(res, [400, 422]);
    const exprs = oo.issue.flatMap((i: any) => i.expression ?? []);
    const diags = oo.issue.map((i: any) => i.diagnostics ?? '').join(' ');
    assert.ok(exprs.includes('Patient.birthDate') || diags.includes('Patient.birthDate'), `expression/diagnostics: ${issueText(oo)}`);
  });

  it('an invalid RelatedPerson leaves the (so far unused) type history empty', async () => {
    const res = await postResource(t, { resourceType: 'RelatedPerson', patient: { reference: 'Patient/x' }, birthDate: 'nope' });
    expectOutcome(res, [400, 422]);
    const h = await api(t).get('/fhir/RelatedPerson/_history');
    expectStatus(h, 200);
    assert.equal((h.body.entry ?? []).length, 0);
  });

  it('invalid update → 400/422 and the resource keeps its version', async () => {
    const p = await create(t, { resourceType: 'Patient', birthDate: '2000-01-01' });
    const res = await putResource(t, { resourceType: 'Patient', id: p.id, birthDate: '2000-02-31' });
    expectOutcome(res, [400, 422]);
    const r = await read(t, 'Patient', p.id);
    assert.equal(r.body.meta.versionId, '1');
    assert.equal(r.body.birthDate, '2000-01-01');
  });

  it('invalid update-as-create → 400/422 and nothing created', async () => {
    const res = await putResource(t, { resourceType: 'Patient', id: 'never-valid', gender: 'banana' });
    expectOutcome(res, [400, 422]);
    expectStatus(await read(t, 'Patient', 'never-valid'), 404);
  });

  it('an unknown resourceType in the body of POST /fhir/Patient → 400', async () => {
    expectOutcome(await postResource(t, { resourceType: 'Foo' }, '/fhir/Patient'), [400, 422]);
  });
});

describe('valid resources are accepted', () => {
  it('extensions, primitive extensions (_birthDate), modifierExtension, partial dates', async () => {
    const body = {
      resourceType: 'Patient',
      extension: [{ url: 'http://example.org/fhir/StructureDefinition/x', valueString: 'y' }],
      modifierExtension: [{ url: 'http://example.org/fhir/StructureDefinition/m', valueBoolean: false }],
      identifier: [{ system: 'urn:oid:1.2.3', value: 'abc' }],
      name: [{ family: 'Ext', given: ['A', 'B'], _given: [null, { extension: [{ url: 'http://example.org/g', valueCode: 'x' }] }] }],
      birthDate: '1974-12',
      _birthDate: { extension: [{ url: 'http://hl7.org/fhir/StructureDefinition/patient-birthTime', valueDateTime: '1974-12-25T14:35:45-05:00' }] },
      deceasedBoolean: false,
      multipleBirthInteger: 2,
      address: [{ line: ['1 Main St'], city: 'Town', period: { start: '2001' } }],
    };
    const p = await create(t, body);
    const r = await read(t, 'Patient', p.id);
    assertSameResource(r.body, body, p.id);
  });

  for (const file of ['Patient-example.json', 'Observation-f001.json', 'Organization-hl7.json', 'Encounter-example.json', 'Condition-example.json']) {
    it(`the official R4 example ${file} is accepted and round-trips exactly`, async () => {
      const ex = example(file);
      const res = await postResource(t, ex);
      expectStatus(res, 201, file);
      const r = await read(t, ex.resourceType, res.body.id);
      expectStatus(r, 200);
      assertSameResource(r.body, ex, res.body.id);
    });
  }
});

describe('$validate', () => {
  it('POST /fhir/Patient/$validate with a valid resource → 200 OperationOutcome with an information issue', async () => {
    const before = await typeHistoryCount(t, 'Patient');
    const res = await postResource(t, { resourceType: 'Patient', name: [{ family: 'Valid' }] }, '/fhir/Patient/$validate');
    const oo = expectOutcome(res, 200);
    assert.ok(oo.issue.some((i: any) => i.severity === 'information'), `no information issue: ${show(res)}`);
    assert.ok(!oo.issue.some((i: any) => i.severity === 'error' || i.severity === 'fatal'));
    assert.equal(await typeHistoryCount(t, 'Patient'), before, '$validate must not write');
  });

  it('POST /fhir/Patient/$validate with an invalid resource → 200 OperationOutcome with errors naming the element', async () => {
    const before = await typeHistoryCount(t, 'Patient');
    const res = await postResource(t, { resourceType: 'Patient', birthDate: '1990-13-45' }, '/fhir/Patient/$validate');
    const oo = expectOutcome(res, 200);
    assert.ok(oo.issue.some((i: any) => i.severity === 'error' || i.severity === 'fatal'), `no error issue: ${show(res)}`);
    assert.match(issueText(oo), /Patient\.birthDate/);
    assert.equal(await typeHistoryCount(t, 'Patient'), before);
  });

  it('$validate with a Parameters body carrying resource → 200 information', async () => {
    const res = await postResource(
      t,
      { resourceType: 'Parameters', parameter: [{ name: 'resource', resource: { resourceType: 'Patient', active: true } }] },
      '/fhir/Patient/$validate',
    );
    const oo = expectOutcome(res, 200);
    assert.ok(oo.issue.some((i: any) => i.severity === 'information'));
    assert.ok(!oo.issue.some((i: any) => i.severity === 'error'));
  });

  it('$validate with a Parameters body carrying an invalid resource → 200 with errors', async () => {
    const res = await postResource(
      t,
      { resourceType: 'Parameters', parameter: [{ name: 'resource', resource: { resourceType: 'Patient', active: 'maybe' } }] },
      '/fhir/Patient/$validate',
    );
    const oo = expectOutcome(res, 200);
    assert.ok(oo.issue.some((i: any) => i.severity === 'error'));
    assert.match(issueText(oo), /Patient\.active/);
  });

  it('instance level POST /fhir/Patient/{id}/$validate → 200 OperationOutcome', async () => {
    const p = await create(t, { resourceType: 'Patient', active: true });
    const res = await postResource(t, { resourceType: 'Patient', id: p.id, active: false }, `/fhir/Patient/${p.id}/$validate`);
    const oo = expectOutcome(res, 200);
    assert.ok(!oo.issue.some((i: any) => i.severity === 'error'), show(res));
    const r = await read(t, 'Patient', p.id);
    assert.equal(r.body.meta.versionId, '1', '$validate must not update');
    assert.equal(r.body.active, true);
  });

  it('instance level $validate with an invalid resource → 200 with errors', async () => {
    const p = await create(t, { resourceType: 'Patient', active: true });
    const res = await postResource(t, { resourceType: 'Patient', id: p.id, gender: 'banana' }, `/fhir/Patient/${p.id}/$validate`);
    const oo = expectOutcome(res, 200);
    assert.ok(oo.issue.some((i: any) => i.severity === 'error'));
    assert.match(issueText(oo), /Patient\.gender/);
  });

  it('$validate of a resource of another type than the URL → error (200 with errors, or 400)', async () => {
    const res = await postResource(t, { resourceType: 'Observation', status: 'final', code: { text: 'x' } }, '/fhir/Patient/$validate');
    const oo = expectOutcome(res, [200, 400]);
    assert.ok(oo.issue.some((i: any) => i.severity === 'error' || i.severity === 'fatal'), show(res));
  });

  it('$validate with malformed JSON → 400', async () => {
    expectOutcome(await postResource(t, '{"resourceType": "Patient",', '/fhir/Patient/$validate'), 400);
  });
});
