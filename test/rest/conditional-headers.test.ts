/**
 * Version-aware updates (If-Match) and conditional reads (If-None-Match, If-Modified-Since).
 * hl7.org/fhir/R4/http.html#concurrency, #cread
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { useTestApp } from '../helpers/app.js';
import {
  api, create, expectOutcome, expectStatus, historyEntries, patchResource, putResource, read, show, weak,
} from './_util.js';

const t = useTestApp();

/** A Patient at version 2. */
async function patientAtV2(): Promise<any> {
  const p = await create(t, { resourceType: 'Patient', name: [{ family: 'V1' }] });
  const res = await putResource(t, { resourceType: 'Patient', id: p.id, name: [{ family: 'V2' }] });
  expectStatus(res, 200);
  assert.equal(res.body.meta.versionId, '2');
  return res.body;
}

describe('If-Match on update', () => {
  it('W/"1" when current is 2 → 412 OperationOutcome, nothing written', async () => {
    const p = await patientAtV2();
    const res = await putResource(t, { resourceType: 'Patient', id: p.id, name: [{ family: 'Stale' }] }).set('If-Match', weak(1));
    expectOutcome(res, 412);
    const r = await read(t, 'Patient', p.id);
    assert.equal(r.body.meta.versionId, '2');
    assert.equal(r.body.name[0].family, 'V2');
    assert.equal((await historyEntries(t, `/fhir/Patient/${p.id}/_history`)).length, 2);
  });

  it('matching W/"2" → 200, version 3', async () => {
    const p = await patientAtV2();
    const res = await putResource(t, { resourceType: 'Patient', id: p.id, name: [{ family: 'V3' }] }).set('If-Match', weak(2));
    expectStatus(res, 200);
    assert.equal(res.body.meta.versionId, '3');
    assert.equal(res.headers.etag, weak(3));
    assert.equal((await read(t, 'Patient', p.id)).body.name[0].family, 'V3');
  });

  it('If-Match on a resource that does not exist → 404 or 412, nothing created', async () => {
    const res = await putResource(t, { resourceType: 'Patient', id: 'ifmatch-missing', active: true }).set('If-Match', weak(1));
    expectOutcome(res, [404, 409, 412]);
    expectStatus(await read(t, 'Patient', 'ifmatch-missing'), 404);
  });
});

describe('malformed If-Match', () => {
  it('an If-Match that is not an ETag → 400 or 412, nothing written', async () => {
    const p = await patientAtV2();
    const res = await putResource(t, { resourceType: 'Patient', id: p.id, name: [{ family: 'X' }] }).set('If-Match', 'garbage');
    expectOutcome(res, [400, 412]);
    assert.equal((await read(t, 'Patient', p.id)).body.meta.versionId, '2');
  });
});

describe('If-Match on patch', () => {
  it('W/"1" when current is 2 → 412, nothing written', async () => {
    const p = await patientAtV2();
    const res = await patchResource(t, `/fhir/Patient/${p.id}`, [{ op: 'add', path: '/active', value: true }]).set('If-Match', weak(1));
    expectOutcome(res, 412);
    const r = await read(t, 'Patient', p.id);
    assert.equal(r.body.meta.versionId, '2');
    assert.equal(r.body.active, undefined);
  });

  it('matching W/"2" → 200, version 3', async () => {
    const p = await patientAtV2();
    const res = await patchResource(t, `/fhir/Patient/${p.id}`, [{ op: 'add', path: '/active', value: true }]).set('If-Match', weak(2));
    expectStatus(res, 200);
    assert.equal(res.body.meta.versionId, '3');
    assert.equal(res.body.active, true);
  });
});

describe('If-Match on delete', () => {
  it('W/"1" when current is 2 → 412, resource still readable', async () => {
    const p = await patientAtV2();
    const res = await api(t).delete(`/fhir/Patient/${p.id}`).set('If-Match', weak(1));
    expectOutcome(res, 412);
    const r = await read(t, 'Patient', p.id);
    expectStatus(r, 200);
    assert.equal(r.body.meta.versionId, '2');
  });

  it('matching W/"2" → 200/204, then 410', async () => {
    const p = await patientAtV2();
    const res = await api(t).delete(`/fhir/Patient/${p.id}`).set('If-Match', weak(2));
    expectStatus(res, [200, 204]);
    expectStatus(await read(t, 'Patient', p.id), 410);
  });
});

describe('conditional read', () => {
  it('If-None-Match with the current ETag → 304 with no body', async () => {
    const p = await patientAtV2();
    const res = await api(t).get(`/fhir/Patient/${p.id}`).set('If-None-Match', weak(2));
    assert.equal(res.status, 304, `expected 304, got ${show(res)}`);
    assert.equal(res.text ?? '', '');
    assert.equal(res.headers.etag, weak(2), 'a 304 must carry the ETag (RFC 9110 15.4.5)');
  });

  it('If-None-Match with an older ETag → 200 with the current version', async () => {
    const p = await patientAtV2();
    const res = await api(t).get(`/fhir/Patient/${p.id}`).set('If-None-Match', weak(1));
    expectStatus(res, 200);
    assert.equal(res.body.meta.versionId, '2');
    assert.equal(res.headers.etag, weak(2));
  });

  it('If-Modified-Since a time after lastUpdated → 304', async () => {
    const p = await patientAtV2();
    const later = new Date(Date.parse(p.meta.lastUpdated) + 60_000).toUTCString();
    const res = await api(t).get(`/fhir/Patient/${p.id}`).set('If-Modified-Since', later);
    assert.equal(res.status, 304, `expected 304, got ${show(res)}`);
    assert.equal(res.text ?? '', '');
  });

  it('If-Modified-Since equal to Last-Modified → 304', async () => {
    const p = await patientAtV2();
    const r = await read(t, 'Patient', p.id);
    const res = await api(t).get(`/fhir/Patient/${p.id}`).set('If-Modified-Since', r.headers['last-modified']);
    assert.equal(res.status, 304, `expected 304, got ${show(res)}`);
  });

  it('If-Modified-Since a time before lastUpdated → 200', async () => {
    const p = await patientAtV2();
    const earlier = new Date(Date.parse(p.meta.lastUpdated) - 60_000).toUTCString();
    const res = await api(t).get(`/fhir/Patient/${p.id}`).set('If-Modified-Since', earlier);
    expectStatus(res, 200);
    assert.equal(res.body.meta.versionId, '2');
  });

  it('If-None-Match on a deleted resource is not 304 (410)', async () => {
    const p = await patientAtV2();
    expectStatus(await api(t).delete(`/fhir/Patient/${p.id}`), [200, 204]);
    const res = await api(t).get(`/fhir/Patient/${p.id}`).set('If-None-Match', weak(2));
    expectStatus(res, 410);
  });
});
