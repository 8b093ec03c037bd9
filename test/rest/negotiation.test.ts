/**
 * Content negotiation (_format, Accept, Content-Type), _pretty, Prefer: return=, _summary, _elements.
 * hl7.org/fhir/R4/http.html#mime-type, #ins-return, search.html#summary, search.html#elements
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createTestApp, type TestApp } from '../helpers/app.js';
import {
  api, BASE_URL, assertFhirJson, create, expectOutcome, expectStatus, hasSubsettedTag, postResource, putResource,
  read, show, typeHistoryCount,
} from './_util.js';

let t: TestApp;
let patient: any;
before(async () => {
  t = await createTestApp();
  patient = await create(t, fullPatient());
});
after(async () => {
  await t?.close();
});

function fullPatient() {
  return {
    resourceType: 'Patient',
    text: { status: 'generated', div: '<div xmlns="http://www.w3.org/1999/xhtml">Jane Roe</div>' },
    identifier: [{ system: 'http://example.org/mrn', value: '42' }],
    active: true,
    name: [{ family: 'Roe', given: ['Jane'] }],
    telecom: [{ system: 'phone', value: '555-0100' }],
    gender: 'female',
    birthDate: '1985-06-15',
    address: [{ city: 'Springfield' }],
    maritalStatus: { text: 'married' },
    photo: [{ contentType: 'image/png', data: 'iVBORw0KGgo=' }],
    contact: [{ name: { family: 'Roe', given: ['John'] } }],
    communication: [{ language: { text: 'English' } }],
  };
}

describe('response format', () => {
  for (const q of ['_format=json', '_format=application/fhir%2Bjson', '_format=application/json']) {
    it(`read with ${q} → 200 JSON`, async () => {
      const res = await api(t).get(`/fhir/Patient/${patient.id}?${q}`);
      expectStatus(res, 200);
      assert.match(res.headers['content-type'], /json/);
      assert.equal(JSON.parse(res.text).id, patient.id);
    });
  }

  for (const accept of ['application/fhir+json', 'application/json', '*/*', 'application/*', 'application/fhir+json; fhirVersion=4.0', 'application/fhir+xml;q=0.9, application/fhir+json;q=0.5']) {
    it(`read with Accept: ${accept} → 200 JSON`, async () => {
      const res = await api(t).get(`/fhir/Patient/${patient.id}`).set('Accept', accept);
      expectStatus(res, 200);
      assert.match(res.headers['content-type'], /json/);
      assert.equal(res.body.id, patient.id);
    });
  }

  it('Accept: application/fhir+json → Content-Type application/fhir+json', async () => {
    const res = await api(t).get(`/fhir/Patient/${patient.id}`).set('Accept', 'application/fhir+json');
    assertFhirJson(res);
  });

  for (const accept of ['application/xml', 'application/fhir+xml', 'text/turtle']) {
    it(`read with Accept: ${accept} → 406 OperationOutcome (JSON)`, async () => {
      expectOutcome(await api(t).get(`/fhir/Patient/${patient.id}`).set('Accept', accept), 406);
    });
  }

  for (const f of ['xml', 'application/fhir%2Bxml', 'ttl']) {
    it(`read with _format=${f} → 406`, async () => {
      expectOutcome(await api(t).get(`/fhir/Patient/${patient.id}?_format=${f}`), 406);
    });
  }

  it('_format overrides Accept (_format=json with Accept: application/xml → 200)', async () => {
    const res = await api(t).get(`/fhir/Patient/${patient.id}?_format=json`).set('Accept', 'application/xml');
    expectStatus(res, 200);
    assert.equal(JSON.parse(res.text).id, patient.id);
  });

  it('_format=xml on metadata → 406', async () => {
    expectOutcome(await api(t).get('/fhir/metadata?_format=xml'), 406);
  });

  it('_pretty=true produces indented JSON', async () => {
    const res = await api(t).get(`/fhir/Patient/${patient.id}?_pretty=true`);
    expectStatus(res, 200);
    assert.ok(res.text.includes('\n  '), `not indented: ${res.text.slice(0, 200)}`);
    assert.equal(JSON.parse(res.text).id, patient.id);
  });

  it('application/fhir+xml → 415', async () => {
    const res = await api(t)
      .post('/fhir/Practitioner')
      .set('Content-Type', 'application/fhir+xml')
      .send('<Practitioner xmlns="http://hl7.org/fhir"/>');
    expectOutcome(res, 415);
  });

  it('text/plain to a non-Binary type → 415 (POST and PUT)', async () => {
    expectOutcome(await api(t).post('/fhir/Practitioner').set('Content-Type', 'text/plain').send('{"resourceType":"Practitioner"}'), 415);
    expectOutcome(
      await api(t).put('/fhir/Practitioner/p-text').set('Content-Type', 'text/plain').send('{"resourceType":"Practitioner","id":"p-text"}'),
      415,
    );
    expectStatus(await read(t, 'Practitioner', 'p-text'), 404);
  });

  it('a JSON Patch Content-Type on create (POST) → 415', async () => {
    expectOutcome(await api(t).post('/fhir/Practitioner').set('Content-Type', 'application/json-patch+json').send('[]'), 415);
  });

  it('application/xml Bundle to the base → 415', async () => {
    expectOutcome(await api(t).post('/fhir').set('Content-Type', 'application/xml').send('<Bundle xmlns="http://hl7.org/fhir"/>'), 415);
  });
});

describe('Prefer: return=', () => {
  it('return=minimal on create → 201, empty body, Location and ETag still present', async () => {
    const res = await postResource(t, { resourceType: 'Patient', active: true }).set('Prefer', 'return=minimal');
    expectStatus(res, 201);
    assert.equal(res.text ?? '', '', `expected empty body, got ${res.text}`);
    assert.match(res.headers.location ?? '', new RegExp(`^${BASE_URL.replace(/[.]/g, '\\.')}/Patient/[A-Za-z0-9\\-.]{1,64}/_history/1$`));
    assert.equal(res.headers.etag, 'W/"1"');
  });

  it('return=minimal on update → 200, empty body', async () => {
    const p = await create(t, { resourceType: 'Patient', active: true });
    const res = await putResource(t, { resourceType: 'Patient', id: p.id, active: false }).set('Prefer', 'return=minimal');
    expectStatus(res, 200);
    assert.equal(res.text ?? '', '');
    assert.equal(res.headers.etag, 'W/"2"');
  });

  it('return=minimal on patch → 200, empty body', async () => {
    const p = await create(t, { resourceType: 'Patient', active: true });
    const res = await api(t)
      .patch(`/fhir/Patient/${p.id}`)
      .set('Content-Type', 'application/json-patch+json')
      .set('Prefer', 'return=minimal')
      .send(JSON.stringify([{ op: 'replace', path: '/active', value: false }]));
    expectStatus(res, 200);
    assert.equal(res.text ?? '', '');
    assert.equal(res.headers.etag, 'W/"2"');
  });

  it('return=representation → the resource', async () => {
    const res = await postResource(t, { resourceType: 'Patient', active: true }).set('Prefer', 'return=representation');
    expectStatus(res, 201);
    assert.equal(res.body.resourceType, 'Patient');
    assert.equal(res.body.active, true);
    assert.equal(res.body.meta.versionId, '1');
  });

  it('return=OperationOutcome → an OperationOutcome body on create', async () => {
    const res = await postResource(t, { resourceType: 'Patient', active: true }).set('Prefer', 'return=OperationOutcome');
    expectStatus(res, 201);
    assertFhirJson(res);
    assert.equal(res.body.resourceType, 'OperationOutcome', show(res));
    assert.ok(Array.isArray(res.body.issue) && res.body.issue.length > 0);
    assert.ok(res.headers.location, 'Location still present');
  });

  it('return=OperationOutcome on update → OperationOutcome', async () => {
    const p = await create(t, { resourceType: 'Patient', active: true });
    const res = await putResource(t, { resourceType: 'Patient', id: p.id, active: false }).set('Prefer', 'return=OperationOutcome');
    expectStatus(res, 200);
    assert.equal(res.body.resourceType, 'OperationOutcome');
  });

  it('Prefer: return=minimal in a transaction entry still yields the response entry status/location', async () => {
    const res = await postResource(
      t,
      { resourceType: 'Bundle', type: 'transaction', entry: [{ resource: { resourceType: 'Patient', active: true }, request: { method: 'POST', url: 'Patient' } }] },
      '/fhir',
    ).set('Prefer', 'return=minimal');
    expectStatus(res, 200);
    assert.ok(String(res.body.entry[0].response.status).startsWith('201'));
    assert.ok(res.body.entry[0].response.location);
  });
});

describe('_summary and _elements', () => {
  it('_summary=true keeps summary elements only and marks SUBSETTED', async () => {
    const res = await api(t).get(`/fhir/Patient/${patient.id}?_summary=true`);
    expectStatus(res, 200);
    const p = res.body;
    assert.equal(p.resourceType, 'Patient');
    assert.equal(p.id, patient.id);
    assert.ok(p.meta, 'meta kept');
    for (const k of ['identifier', 'active', 'name', 'telecom', 'gender', 'birthDate', 'address']) assert.ok(p[k] !== undefined, `summary element ${k} missing`);
    for (const k of ['text', 'maritalStatus', 'photo', 'contact', 'communication']) assert.equal(p[k], undefined, `non-summary element ${k} present`);
    assert.ok(hasSubsettedTag(p), `no SUBSETTED tag: ${JSON.stringify(p.meta)}`);
  });

  it('_summary=true does not modify the stored resource', async () => {
    const res = await read(t, 'Patient', patient.id);
    assert.ok(res.body.photo && res.body.contact && res.body.text);
    assert.ok(!hasSubsettedTag(res.body));
    assert.equal(res.body.meta.versionId, '1');
  });

  it('_summary=text → text, id, meta only (+ mandatory), SUBSETTED', async () => {
    const res = await api(t).get(`/fhir/Patient/${patient.id}?_summary=text`);
    expectStatus(res, 200);
    const p = res.body;
    assert.deepEqual(p.text, fullPatient().text);
    assert.equal(p.id, patient.id);
    assert.ok(p.meta);
    for (const k of ['name', 'gender', 'birthDate', 'photo', 'contact', 'identifier']) assert.equal(p[k], undefined, `${k} present with _summary=text`);
    assert.ok(hasSubsettedTag(p));
  });

  it('_summary=data → everything but text', async () => {
    const res = await api(t).get(`/fhir/Patient/${patient.id}?_summary=data`);
    expectStatus(res, 200);
    const p = res.body;
    assert.equal(p.text, undefined);
    for (const k of ['name', 'gender', 'birthDate', 'photo', 'contact', 'maritalStatus', 'communication']) assert.ok(p[k] !== undefined, `${k} missing with _summary=data`);
  });

  it('_summary=false → the full resource, no SUBSETTED', async () => {
    const res = await api(t).get(`/fhir/Patient/${patient.id}?_summary=false`);
    expectStatus(res, 200);
    assert.ok(res.body.photo && res.body.contact && res.body.text);
    assert.ok(!hasSubsettedTag(res.body));
  });

  it('_elements=name,gender keeps only id, meta, resourceType, name, gender (+SUBSETTED)', async () => {
    const res = await api(t).get(`/fhir/Patient/${patient.id}?_elements=name,gender`);
    expectStatus(res, 200);
    const p = res.body;
    assert.deepEqual(Object.keys(p).sort(), ['gender', 'id', 'meta', 'name', 'resourceType']);
    assert.deepEqual(p.name, fullPatient().name);
    assert.equal(p.gender, 'female');
    assert.ok(hasSubsettedTag(p));
  });

  it('_summary=true on vread also subsets', async () => {
    const res = await api(t).get(`/fhir/Patient/${patient.id}/_history/1?_summary=true`);
    expectStatus(res, 200);
    assert.equal(res.body.photo, undefined);
    assert.ok(res.body.name);
  });

  it('_summary=true on history entries subsets each resource', async () => {
    const res = await api(t).get(`/fhir/Patient/${patient.id}/_history?_summary=true`);
    expectStatus(res, 200);
    const r = res.body.entry[0].resource;
    assert.equal(r.photo, undefined);
    assert.equal(r.contact, undefined);
    assert.ok(r.name);
  });
});
