/**
 * REST core: create, read, vread, update, delete, patch (hl7.org/fhir/R4/http.html).
 */
import { describe, it, before } from 'node:test';
import assert from 'node:assert/strict';
import { useTestApp } from '../helpers/app.js';
import {
  api, BASE_URL, ID_RE, INSTANT_RE, R4_RESOURCE_TYPES, assertFhirJson, assertSameResource, assertNoServerKeys,
  create, expectOutcome, expectStatus, historyEntries, newId, patchResource, postResource, put, putResource, read,
  show, weak, sleep,
} from './_util.js';

const t = useTestApp();

const patientBody = () => ({
  resourceType: 'Patient',
  active: true,
  name: [{ family: 'Everyman', given: ['Adam'] }],
  gender: 'male',
  birthDate: '1970-01-01',
});

function assertLastModified(res: any, lastUpdated: string) {
  const lm = res.headers['last-modified'];
  assert.ok(lm, `Last-Modified header missing: ${show(res)}`);
  const lmMs = Date.parse(lm);
  assert.ok(!Number.isNaN(lmMs), `Last-Modified is not an HTTP-date: ${lm}`);
  assert.match(lm, /^[A-Z][a-z]{2}, \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} GMT$/, 'Last-Modified must be an IMF-fixdate');
  const luSec = Math.floor(Date.parse(lastUpdated) / 1000) * 1000;
  assert.equal(lmMs, luSec, `Last-Modified ${lm} does not match meta.lastUpdated ${lastUpdated}`);
}

describe('every R4 resource type is supported', () => {
  it('GET /fhir/{type}/_history is a history Bundle for every R4 resource type', async () => {
    const failures: string[] = [];
    for (const type of R4_RESOURCE_TYPES) {
      const res = await api(t).get(`/fhir/${type}/_history`);
      if (res.status !== 200 || res.body?.resourceType !== 'Bundle' || res.body?.type !== 'history') {
        failures.push(`${type}: ${res.status}`);
      }
    }
    assert.deepEqual(failures, [], `types not supported: ${failures.join(', ')}`);
  });

  it('GET /fhir/{type}/{missing-id} is 404 OperationOutcome for every R4 resource type', async () => {
    const failures: string[] = [];
    for (const type of R4_RESOURCE_TYPES) {
      const res = await api(t).get(`/fhir/${type}/does-not-exist`);
      if (res.status !== 404 || res.body?.resourceType !== 'OperationOutcome') failures.push(`${type}: ${res.status}`);
    }
    assert.deepEqual(failures, []);
  });

  it('creates resources of several types without required elements beyond resourceType (Organization, Bundle, Parameters, Basic)', async () => {
    await create(t, { resourceType: 'Organization', name: 'Acme' });
    await create(t, { resourceType: 'Bundle', type: 'collection' });
    await create(t, { resourceType: 'Parameters', parameter: [{ name: 'x', valueString: 'y' }] });
    await create(t, { resourceType: 'Basic', code: { text: 'thing' } });
  });

  it('unknown type /fhir/Foo is 404 OperationOutcome (GET type, GET instance, POST)', async () => {
    expectOutcome(await api(t).get('/fhir/Foo'), 404, 'GET /fhir/Foo');
    expectOutcome(await api(t).get('/fhir/Foo/1'), 404, 'GET /fhir/Foo/1');
    expectOutcome(await postResource(t, { resourceType: 'Foo' }, '/fhir/Foo'), 404, 'POST /fhir/Foo');
  });

  it('resource type names are case-sensitive: /fhir/patient/1 is 404', async () => {
    expectOutcome(await api(t).get('/fhir/patient/1'), 404);
  });
});

describe('create', () => {
  it('POST /fhir/Patient → 201 with id, Location, ETag, Last-Modified and meta', async () => {
    const body = patientBody();
    const res = await postResource(t, body);
    expectStatus(res, 201);
    assertFhirJson(res);
    const p = res.body;
    assert.equal(p.resourceType, 'Patient');
    assert.match(p.id, ID_RE);
    assert.equal(p.meta?.versionId, '1');
    assert.match(p.meta?.lastUpdated, INSTANT_RE);
    assert.equal(res.headers.location, `${BASE_URL}/Patient/${p.id}/_history/1`);
    assert.equal(res.headers.etag, weak(1));
    assertLastModified(res, p.meta.lastUpdated);
    assertSameResource(p, body, p.id);
  });

  it('ignores an id in the body and assigns its own', async () => {
    const res = await postResource(t, { ...patientBody(), id: 'client-chosen-id' });
    expectStatus(res, 201);
    assert.notEqual(res.body.id, 'client-chosen-id');
    assert.match(res.body.id, ID_RE);
    expectStatus(await read(t, 'Patient', 'client-chosen-id'), 404, 'the body id must not be used');
  });

  it('two creates get different ids', async () => {
    const a = await create(t, patientBody());
    const b = await create(t, patientBody());
    assert.notEqual(a.id, b.id);
  });

  it('ignores client meta.versionId and meta.lastUpdated, keeps meta.tag', async () => {
    const tag = [{ system: 'http://example.org/tags', code: 'keep-me' }];
    const res = await postResource(t, {
      ...patientBody(),
      meta: { versionId: '99', lastUpdated: '2001-01-01T00:00:00Z', tag },
    });
    expectStatus(res, 201);
    assert.equal(res.body.meta.versionId, '1');
    assert.notEqual(res.body.meta.lastUpdated, '2001-01-01T00:00:00Z');
    assert.ok(Date.parse(res.body.meta.lastUpdated) > Date.parse('2020-01-01T00:00:00Z'));
    assert.deepEqual(res.body.meta.tag, tag);
  });

  it('accepts Content-Type application/json', async () => {
    const res = await postResource(t, patientBody(), '/fhir/Patient', 'application/json');
    expectStatus(res, 201);
    assert.equal(res.body.meta.versionId, '1');
  });

  it('accepts Content-Type application/fhir+json; charset=utf-8 and fhirVersion parameter', async () => {
    expectStatus(await postResource(t, patientBody(), '/fhir/Patient', 'application/fhir+json; charset=utf-8'), 201);
    expectStatus(await postResource(t, patientBody(), '/fhir/Patient', 'application/fhir+json; fhirVersion=4.0'), 201);
  });

  it('keeps non-ASCII text intact', async () => {
    const body = { resourceType: 'Patient', name: [{ family: 'Müller-Łukasiewicz', given: ['Zoë', '李'] }] };
    const p = await create(t, body);
    const res = await read(t, 'Patient', p.id);
    assertSameResource(res.body, body, p.id);
  });

  it('POST to the resource type of a different resourceType is 400', async () => {
    const res = await postResource(t, { resourceType: 'Observation', status: 'final', code: { text: 'x' } }, '/fhir/Patient');
    expectOutcome(res, 400);
  });
});

describe('read / vread', () => {
  let posted: any;
  let created: any;
  before(async () => {
    posted = patientBody();
    created = await create(t, posted);
  });

  it('GET /fhir/Patient/{id} → 200 with ETag, Last-Modified, exact content', async () => {
    const res = await read(t, 'Patient', created.id);
    expectStatus(res, 200);
    assertFhirJson(res);
    assert.equal(res.headers.etag, weak(1));
    assertLastModified(res, res.body.meta.lastUpdated);
    assertSameResource(res.body, posted, created.id);
    assert.equal(res.body.meta.versionId, '1');
    assert.equal(res.body.meta.lastUpdated, created.meta.lastUpdated);
    assertNoServerKeys(res.body);
  });

  it('ids are case-sensitive', async () => {
    const id = newId('CaseId');
    await put(t, { ...patientBody(), id });
    expectStatus(await read(t, 'Patient', id.toLowerCase()), 404);
    expectStatus(await read(t, 'Patient', id), 200);
  });

  it('unknown query parameters on read are ignored', async () => {
    const res = await api(t).get(`/fhir/Patient/${created.id}?foo=bar&_baz=1`);
    expectStatus(res, 200);
    assert.equal(res.body.id, created.id);
  });

  it('missing id → 404 OperationOutcome', async () => {
    expectOutcome(await read(t, 'Patient', 'no-such-patient'), 404);
  });

  it('vread /_history/1 → 200 with version 1', async () => {
    const res = await api(t).get(`/fhir/Patient/${created.id}/_history/1`);
    expectStatus(res, 200);
    assertFhirJson(res);
    assert.equal(res.body.meta.versionId, '1');
    assert.equal(res.headers.etag, weak(1));
    assert.ok(res.headers['last-modified'], 'Last-Modified missing on vread');
    assertSameResource(res.body, posted, created.id);
  });

  it('unknown version → 404 OperationOutcome', async () => {
    expectOutcome(await api(t).get(`/fhir/Patient/${created.id}/_history/99`), 404);
  });

  it('a non-numeric or zero version id → 404 (or 400)', async () => {
    expectOutcome(await api(t).get(`/fhir/Patient/${created.id}/_history/abc`), [400, 404]);
    expectOutcome(await api(t).get(`/fhir/Patient/${created.id}/_history/0`), [400, 404]);
    expectOutcome(await api(t).get(`/fhir/Patient/${created.id}/_history/01`), [400, 404]);
  });

  it('vread of a version of a missing resource → 404', async () => {
    expectOutcome(await api(t).get(`/fhir/Patient/nobody-here/_history/1`), 404);
  });

  it('after an update, vread 1 still returns the old content and vread 2 the new', async () => {
    const p = await create(t, patientBody());
    await put(t, { ...patientBody(), id: p.id, gender: 'female' });
    const v1 = await api(t).get(`/fhir/Patient/${p.id}/_history/1`);
    const v2 = await api(t).get(`/fhir/Patient/${p.id}/_history/2`);
    expectStatus(v1, 200);
    expectStatus(v2, 200);
    assert.equal(v1.body.gender, 'male');
    assert.equal(v1.body.meta.versionId, '1');
    assert.equal(v2.body.gender, 'female');
    assert.equal(v2.body.meta.versionId, '2');
    assert.equal(v2.headers.etag, weak(2));
  });
});

describe('update', () => {
  it('PUT existing → 200, versionId 2, ETag W/"2", new content', async () => {
    const p = await create(t, patientBody());
    await sleep(5);
    const updated = { ...patientBody(), id: p.id, gender: 'other', name: [{ family: 'Updated' }] };
    const res = await putResource(t, updated);
    expectStatus(res, 200);
    assertFhirJson(res);
    assert.equal(res.body.meta.versionId, '2');
    assert.equal(res.headers.etag, weak(2));
    assert.ok(res.headers['last-modified'], 'Last-Modified missing');
    assert.ok(Date.parse(res.body.meta.lastUpdated) >= Date.parse(p.meta.lastUpdated));
    assertSameResource(res.body, updated, p.id);
    const r = await read(t, 'Patient', p.id);
    assert.equal(r.body.meta.versionId, '2');
    assertSameResource(r.body, updated, p.id);
  });

  it('update removes elements that are absent in the new body (replace, not merge)', async () => {
    const p = await create(t, patientBody());
    const res = await putResource(t, { resourceType: 'Patient', id: p.id, active: false });
    expectStatus(res, 200);
    const r = await read(t, 'Patient', p.id);
    assert.equal(r.body.active, false);
    assert.equal(r.body.name, undefined);
    assert.equal(r.body.birthDate, undefined);
  });

  it('update-as-create with a client id (PUT /fhir/Patient/my-id-1) → 201 with Location', async () => {
    const res = await putResource(t, { ...patientBody(), id: 'my-id-1' });
    expectStatus(res, 201);
    assertFhirJson(res);
    assert.equal(res.body.id, 'my-id-1');
    assert.equal(res.body.meta.versionId, '1');
    assert.equal(res.headers.location, `${BASE_URL}/Patient/my-id-1/_history/1`);
    assert.equal(res.headers.etag, weak(1));
    const r = await read(t, 'Patient', 'my-id-1');
    expectStatus(r, 200);
    const again = await putResource(t, { ...patientBody(), id: 'my-id-1', gender: 'female' });
    expectStatus(again, 200, 'second PUT is an update');
    assert.equal(again.body.meta.versionId, '2');
  });

  it('client meta.versionId in the body is ignored', async () => {
    const p = await create(t, patientBody());
    const res = await putResource(t, { ...patientBody(), id: p.id, meta: { versionId: '77' } });
    expectStatus(res, 200);
    assert.equal(res.body.meta.versionId, '2');
  });

  it('id in the body that differs from the URL → 400, nothing written', async () => {
    const p = await create(t, patientBody());
    const res = await putResource(t, { ...patientBody(), id: 'another-id', gender: 'female' }, `/fhir/Patient/${p.id}`);
    expectOutcome(res, 400);
    const r = await read(t, 'Patient', p.id);
    assert.equal(r.body.meta.versionId, '1');
    assert.equal(r.body.gender, 'male');
    expectStatus(await read(t, 'Patient', 'another-id'), 404);
  });

  it('missing id in the body → 400, nothing written', async () => {
    const p = await create(t, patientBody());
    const res = await putResource(t, { ...patientBody(), gender: 'female' }, `/fhir/Patient/${p.id}`);
    expectOutcome(res, 400);
    const r = await read(t, 'Patient', p.id);
    assert.equal(r.body.meta.versionId, '1');
  });

  it('missing id in the body on update-as-create → 400, nothing created', async () => {
    const res = await putResource(t, patientBody(), `/fhir/Patient/never-made-1`);
    expectOutcome(res, 400);
    expectStatus(await read(t, 'Patient', 'never-made-1'), 404);
  });

  for (const bad of ['a_b', 'with space', 'x'.repeat(65), 'semi;colon', 'ümlaut']) {
    it(`id violating FHIR id rules (${JSON.stringify(bad.length > 20 ? bad.slice(0, 8) + '…(' + bad.length + ')' : bad)}) → 400`, async () => {
      const res = await putResource(t, { ...patientBody(), id: bad }, `/fhir/Patient/${encodeURIComponent(bad)}`);
      expectOutcome(res, 400);
      const r = await api(t).get(`/fhir/Patient/${encodeURIComponent(bad)}`);
      assert.ok(r.status === 400 || r.status === 404, `read of invalid id should be 400/404, got ${show(r)}`);
    });
  }

  it('64-character id (the maximum) is accepted', async () => {
    const id = 'A1-.'.repeat(16);
    assert.equal(id.length, 64);
    const res = await putResource(t, { ...patientBody(), id });
    expectStatus(res, 201);
    expectStatus(await read(t, 'Patient', id), 200);
  });

  it('resourceType in the body different from the URL → 400', async () => {
    const res = await putResource(t, { resourceType: 'Observation', id: 'rt-mismatch', status: 'final', code: { text: 'x' } }, '/fhir/Patient/rt-mismatch');
    expectOutcome(res, 400);
    expectStatus(await read(t, 'Patient', 'rt-mismatch'), 404);
    expectStatus(await read(t, 'Observation', 'rt-mismatch'), 404);
  });

  it('PUT on an unknown type → 404', async () => {
    expectOutcome(await putResource(t, { resourceType: 'Foo', id: 'x' }, '/fhir/Foo/x'), 404);
  });
});

describe('delete', () => {
  it('DELETE → 200/204, then read → 410 Gone; vread of old version still works', async () => {
    const p = await create(t, patientBody());
    const del = await api(t).delete(`/fhir/Patient/${p.id}`);
    expectStatus(del, [200, 204]);
    if (del.status === 200 && del.text) assertFhirJson(del);
    const r = await read(t, 'Patient', p.id);
    expectOutcome(r, 410, 'read after delete');
    const v1 = await api(t).get(`/fhir/Patient/${p.id}/_history/1`);
    expectStatus(v1, 200, 'vread of a version before the delete');
    assert.equal(v1.body.meta.versionId, '1');
    assert.equal(v1.body.id, p.id);
  });

  it('history shows the delete entry first, with request.method DELETE and no resource', async () => {
    const p = await create(t, patientBody());
    expectStatus(await api(t).delete(`/fhir/Patient/${p.id}`), [200, 204]);
    const entries = await historyEntries(t, `/fhir/Patient/${p.id}/_history`);
    assert.equal(entries.length, 2, `expected 2 entries (create + delete), got ${entries.length}`);
    assert.equal(entries[0].request?.method, 'DELETE');
    assert.equal(entries[0].resource, undefined, 'a delete entry has no resource');
    assert.ok(String(entries[0].request?.url).includes(`Patient/${p.id}`));
    assert.ok(entries[0].response?.status, 'delete entry has response.status');
    assert.equal(entries[1].request?.method, 'POST');
    assert.equal(entries[1].resource?.meta?.versionId, '1');
  });

  it('vread of the version that is the deletion → 410 (if deletes get a version)', async () => {
    const p = await create(t, patientBody());
    const del = await api(t).delete(`/fhir/Patient/${p.id}`);
    expectStatus(del, [200, 204]);
    const entries = await historyEntries(t, `/fhir/Patient/${p.id}/_history`);
    const etag: string | undefined = entries[0]?.response?.etag ?? del.headers.etag;
    const m = /^W\/"(.+)"$/.exec(etag ?? '');
    if (m && m[1] !== '1') expectOutcome(await api(t).get(`/fhir/Patient/${p.id}/_history/${m[1]}`), 410);
  });

  it('deleting again is idempotent: 200/204', async () => {
    const p = await create(t, patientBody());
    expectStatus(await api(t).delete(`/fhir/Patient/${p.id}`), [200, 204]);
    expectStatus(await api(t).delete(`/fhir/Patient/${p.id}`), [200, 204], 'second delete');
    expectStatus(await read(t, 'Patient', p.id), 410);
  });

  it('delete of a never-existing id → 200/204 or 404 OperationOutcome, no 5xx', async () => {
    const res = await api(t).delete('/fhir/Patient/never-existed-xyz');
    expectStatus(res, [200, 204, 404]);
    if (res.status === 404) expectOutcome(res, 404);
    const r = await read(t, 'Patient', 'never-existed-xyz');
    expectStatus(r, [404, 410]);
  });

  it('after delete, PUT recreates the resource with the next version number', async () => {
    const id = newId('recreate');
    await put(t, { ...patientBody(), id });
    const del = await api(t).delete(`/fhir/Patient/${id}`);
    expectStatus(del, [200, 204]);
    const res = await putResource(t, { ...patientBody(), id, gender: 'female' });
    expectStatus(res, [200, 201]);
    const v = Number(res.body.meta.versionId);
    assert.ok(v >= 2, `recreated version must be after the deleted one, got ${res.body.meta.versionId}`);
    assert.equal(res.headers.etag, weak(res.body.meta.versionId));
    const r = await read(t, 'Patient', id);
    expectStatus(r, 200);
    assert.equal(r.body.gender, 'female');
    const entries = await historyEntries(t, `/fhir/Patient/${id}/_history`);
    assert.equal(entries.length, 3);
    // newest first: recreate, delete, first write (both writes were PUTs: update-as-create)
    assert.equal(entries[1].request?.method, 'DELETE');
    assert.equal(entries[1].resource, undefined);
    for (const i of [0, 2]) assert.ok(['PUT', 'POST'].includes(entries[i].request?.method), `entry ${i} method ${entries[i].request?.method}`);
    assert.equal(entries[0].resource?.meta?.versionId, res.body.meta.versionId);
    // the delete's version (if the server reports it) lies between
    const delTag = entries[1].response?.etag;
    if (delTag) assert.equal(delTag, weak(v - 1));
  });

  it('DELETE on an unknown type → 404', async () => {
    expectOutcome(await api(t).delete('/fhir/Foo/1'), 404);
  });
});

describe('patch (JSON Patch)', () => {
  it('applies RFC 6902 operations → 200 with a new version', async () => {
    const p = await create(t, { resourceType: 'Patient', active: false, name: [{ family: 'A', given: ['One', 'Two'] }] });
    const res = await patchResource(t, `/fhir/Patient/${p.id}`, [
      { op: 'replace', path: '/active', value: true },
      { op: 'add', path: '/birthDate', value: '1980-02-03' },
      { op: 'remove', path: '/name/0/given/1' },
      { op: 'add', path: '/name/-', value: { family: 'B' } },
      { op: 'test', path: '/name/0/family', value: 'A' },
    ]);
    expectStatus(res, 200);
    assertFhirJson(res);
    assert.equal(res.body.meta.versionId, '2');
    assert.equal(res.headers.etag, weak(2));
    const expected = { resourceType: 'Patient', active: true, name: [{ family: 'A', given: ['One'] }, { family: 'B' }], birthDate: '1980-02-03' };
    assertSameResource(res.body, expected, p.id);
    const r = await read(t, 'Patient', p.id);
    assert.equal(r.body.meta.versionId, '2');
    assertSameResource(r.body, expected, p.id);
  });

  it('a failing "test" op → 4xx (400/409/422), nothing written', async () => {
    const p = await create(t, { resourceType: 'Patient', active: false });
    const res = await patchResource(t, `/fhir/Patient/${p.id}`, [
      { op: 'test', path: '/active', value: true },
      { op: 'replace', path: '/active', value: true },
    ]);
    expectOutcome(res, [400, 409, 422]);
    const r = await read(t, 'Patient', p.id);
    assert.equal(r.body.meta.versionId, '1');
    assert.equal(r.body.active, false);
  });

  it('a patch producing an invalid resource → 400/422, nothing written', async () => {
    const p = await create(t, { resourceType: 'Patient', birthDate: '1990-01-01' });
    const res = await patchResource(t, `/fhir/Patient/${p.id}`, [{ op: 'replace', path: '/birthDate', value: 'not-a-date' }]);
    expectOutcome(res, [400, 422]);
    const r = await read(t, 'Patient', p.id);
    assert.equal(r.body.meta.versionId, '1');
    assert.equal(r.body.birthDate, '1990-01-01');
    const entries = await historyEntries(t, `/fhir/Patient/${p.id}/_history`);
    assert.equal(entries.length, 1);
  });

  it('a patch adding an unknown element → 400/422, nothing written', async () => {
    const p = await create(t, { resourceType: 'Patient', active: true });
    const res = await patchResource(t, `/fhir/Patient/${p.id}`, [{ op: 'add', path: '/notAnElement', value: 1 }]);
    expectOutcome(res, [400, 422]);
    assert.equal((await read(t, 'Patient', p.id)).body.meta.versionId, '1');
  });

  for (const [label, doc] of [
    ['not JSON', '[{"op": "replace", '],
    ['an object instead of an array', JSON.stringify({ op: 'replace', path: '/active', value: true })],
    ['an unknown op', JSON.stringify([{ op: 'frobnicate', path: '/active', value: true }])],
    ['an op without path', JSON.stringify([{ op: 'replace', value: true }])],
    ['a path that is not a JSON pointer', JSON.stringify([{ op: 'replace', path: 'active', value: true }])],
  ] as const) {
    it(`malformed patch document (${label}) → 400, nothing written`, async () => {
      const p = await create(t, { resourceType: 'Patient', active: false });
      const res = await patchResource(t, `/fhir/Patient/${p.id}`, doc);
      expectOutcome(res, 400);
      const r = await read(t, 'Patient', p.id);
      assert.equal(r.body.meta.versionId, '1');
      assert.equal(r.body.active, false);
    });
  }

  it('a patch that changes id → 400/422, nothing written', async () => {
    const p = await create(t, { resourceType: 'Patient', active: true });
    const res = await patchResource(t, `/fhir/Patient/${p.id}`, [{ op: 'replace', path: '/id', value: 'hijacked' }]);
    expectOutcome(res, [400, 422]);
    assert.equal((await read(t, 'Patient', p.id)).body.meta.versionId, '1');
    expectStatus(await read(t, 'Patient', 'hijacked'), 404);
  });

  it('a patch that removes id → 400/422', async () => {
    const p = await create(t, { resourceType: 'Patient', active: true });
    const res = await patchResource(t, `/fhir/Patient/${p.id}`, [{ op: 'remove', path: '/id' }]);
    expectOutcome(res, [400, 422]);
    assert.equal((await read(t, 'Patient', p.id)).body.meta.versionId, '1');
  });

  it('a patch that changes resourceType → 400/422, nothing written', async () => {
    const p = await create(t, { resourceType: 'Patient', active: true });
    const res = await patchResource(t, `/fhir/Patient/${p.id}`, [{ op: 'replace', path: '/resourceType', value: 'Practitioner' }]);
    expectOutcome(res, [400, 422]);
    const r = await read(t, 'Patient', p.id);
    assert.equal(r.body.meta.versionId, '1');
    assert.equal(r.body.resourceType, 'Patient');
    expectStatus(await read(t, 'Practitioner', p.id), 404);
  });

  it('a patch trying to set meta.versionId does not control the version', async () => {
    const p = await create(t, { resourceType: 'Patient', active: true });
    const res = await patchResource(t, `/fhir/Patient/${p.id}`, [
      { op: 'replace', path: '/active', value: false },
      { op: 'replace', path: '/meta/versionId', value: '42' },
    ]);
    if (res.status === 200) assert.equal(res.body.meta.versionId, '2');
    else expectOutcome(res, [400, 422]);
  });

  it('PATCH of a missing resource → 404', async () => {
    expectOutcome(await patchResource(t, '/fhir/Patient/nobody-patch', [{ op: 'add', path: '/active', value: true }]), 404);
  });

  it('PATCH of a deleted resource → 410 (or 404)', async () => {
    const p = await create(t, { resourceType: 'Patient', active: true });
    expectStatus(await api(t).delete(`/fhir/Patient/${p.id}`), [200, 204]);
    expectOutcome(await patchResource(t, `/fhir/Patient/${p.id}`, [{ op: 'add', path: '/active', value: false }]), [404, 410]);
  });

  it('PATCH with an unsupported patch Content-Type (text/plain) → 415', async () => {
    const p = await create(t, { resourceType: 'Patient', active: true });
    expectOutcome(await patchResource(t, `/fhir/Patient/${p.id}`, '[]', 'text/plain'), 415);
  });
});
