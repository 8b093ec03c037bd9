/**
 * Conditional interactions, which are searches (http.html#ccreate, #cond-update, #3.1.0.7.1
 * conditional delete, #patch, and conditional references in transactions, #trules):
 *   create  If-None-Exist: 0 matches → 201; 1 → 200, nothing created; several → 412
 *   update  PUT [type]?search: 0 → create (201); 1 → update it (id in the body must match); several → 412
 *   delete  DELETE [type]?search: 0 → 200/204/404; 1 → deleted; several → 412, or all deleted
 *   patch   PATCH [type]?search: 1 → patched; 0 → 404; several → 412
 *   a reference "Patient?identifier=..." in a transaction becomes Patient/{id} of its one match;
 *   0 or several matches fail the whole transaction.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import request from 'supertest';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { idFromLocation } from '../rest/_util.js';
import { FHIR_JSON, allPages, enc, expectError, expectStatus, postBundle, show, type Json } from './_lib.js';

let t: TestApp;
const CS = 'http://cond.example';

before(async () => {
  t = await createTestApp();
});
after(async () => {
  await t?.close();
});

const patient = (value: string, extra: Record<string, unknown> = {}) => ({ resourceType: 'Patient', identifier: [{ system: CS, value }], ...extra });

/** ids of the Patients with identifier CS|value */
async function withIdentifier(value: string): Promise<string[]> {
  const r = await allPages(t, 'Patient', `identifier=${CS}|${value}`);
  return r.matches.map((k) => k.split('/')[1]).sort();
}

function post(resource: Json, ifNoneExist?: string) {
  let r = request(t.app).post(`/fhir/${resource.resourceType}`).set('Content-Type', FHIR_JSON);
  if (ifNoneExist !== undefined) r = r.set('If-None-Exist', ifNoneExist);
  return r.send(JSON.stringify(resource));
}

async function created(resource: Json): Promise<string> {
  const res = await post(resource);
  expectStatus(res, 201, 'create');
  return res.body.id;
}

function condPut(type: string, query: string, resource: Json) {
  return request(t.app).put(`/fhir/${type}?${enc(query)}`).set('Content-Type', FHIR_JSON).send(JSON.stringify(resource));
}

const read = (type: string, id: string) => request(t.app).get(`/fhir/${type}/${id}`);

describe('conditional create (If-None-Exist)', () => {
  it('no match → 201 created', async () => {
    const res = await post(patient('ine-1'), `identifier=${CS}|ine-1`);
    expectStatus(res, 201, 'If-None-Exist, 0 matches');
    assert.deepEqual(await withIdentifier('ine-1'), [res.body.id]);
  });
  it('one match → 200, nothing created, the existing resource untouched', async () => {
    const [existing] = await withIdentifier('ine-1');
    const res = await post(patient('ine-1', { gender: 'female' }), `identifier=${CS}|ine-1`);
    expectStatus(res, 200, 'If-None-Exist, 1 match');
    if (res.body?.resourceType === 'Patient') assert.equal(res.body.id, existing, 'the body is the existing resource');
    if (res.headers.location) assert.equal(idFromLocation(res.headers.location, 'Patient'), existing);
    assert.deepEqual(await withIdentifier('ine-1'), [existing]);
    const cur = await read('Patient', existing);
    assert.equal(cur.body.meta.versionId, '1', 'not updated');
    assert.equal(cur.body.gender, undefined, 'not updated');
  });
  it('the header value may be percent-encoded like any query string', async () => {
    const [existing] = await withIdentifier('ine-1');
    const res = await post(patient('ine-1'), `identifier=${encodeURIComponent(`${CS}|ine-1`)}`);
    expectStatus(res, 200, 'If-None-Exist encoded, 1 match');
    assert.deepEqual(await withIdentifier('ine-1'), [existing]);
  });
  it('several criteria are ANDed', async () => {
    const res = await post(patient('ine-1'), `identifier=${CS}|ine-1&gender=male`);
    expectStatus(res, 201, 'If-None-Exist identifier AND gender: no match');
    assert.equal((await withIdentifier('ine-1')).length, 2);
  });
  it('several matches → 412, nothing created', async () => {
    const res = await post(patient('ine-1'), `identifier=${CS}|ine-1`);
    expectError(res, [412], 'If-None-Exist, 2 matches');
    assert.equal((await withIdentifier('ine-1')).length, 2);
  });
  it('a malformed criterion → 400, nothing created', async () => {
    const res = await post(patient('ine-bad'), 'birthdate=notadate');
    expectError(res, [400], 'If-None-Exist malformed');
    assert.deepEqual(await withIdentifier('ine-bad'), []);
  });
});

describe('conditional update (PUT [type]?criteria)', () => {
  let id: string;
  it('no match, no id in the body → 201 created with a server id', async () => {
    const res = await condPut('Patient', `identifier=${CS}|cu-1`, patient('cu-1'));
    expectStatus(res, 201, 'conditional update, 0 matches');
    id = res.body?.id ?? idFromLocation(res.headers.location, 'Patient');
    assert.deepEqual(await withIdentifier('cu-1'), [id]);
  });
  it('one match → that resource is updated (version 2)', async () => {
    const res = await condPut('Patient', `identifier=${CS}|cu-1`, patient('cu-1', { gender: 'female' }));
    expectStatus(res, 200, 'conditional update, 1 match');
    const cur = await read('Patient', id);
    assert.equal(cur.body.gender, 'female');
    assert.equal(cur.body.meta.versionId, '2');
    assert.deepEqual(await withIdentifier('cu-1'), [id]);
  });
  it('one match, the same id in the body → updated', async () => {
    const res = await condPut('Patient', `identifier=${CS}|cu-1`, { ...patient('cu-1', { gender: 'male' }), id });
    expectStatus(res, 200, 'conditional update, 1 match, same id');
    assert.equal((await read('Patient', id)).body.gender, 'male');
  });
  it('one match, another id in the body → 400, nothing changed', async () => {
    const res = await condPut('Patient', `identifier=${CS}|cu-1`, { ...patient('cu-1', { gender: 'other' }), id: 'not-the-match' });
    expectError(res, [400], 'conditional update, 1 match, other id');
    assert.equal((await read('Patient', id)).body.gender, 'male');
    assert.equal((await read('Patient', 'not-the-match')).status, 404);
  });
  it('no match, an id in the body → created with that id (update as create)', async () => {
    const res = await condPut('Patient', `identifier=${CS}|cu-2`, { ...patient('cu-2'), id: 'cu-client' });
    expectStatus(res, 201, 'conditional update, 0 matches, client id');
    assert.equal((await read('Patient', 'cu-client')).status, 200);
    assert.deepEqual(await withIdentifier('cu-2'), ['cu-client']);
  });
  it('several matches → 412, nothing changed', async () => {
    await created(patient('cu-many'));
    await created(patient('cu-many'));
    const res = await condPut('Patient', `identifier=${CS}|cu-many`, patient('cu-many', { gender: 'female' }));
    expectError(res, [412], 'conditional update, 2 matches');
    const r = await allPages(t, 'Patient', `identifier=${CS}|cu-many&gender=female`);
    assert.equal(r.matches.length, 0);
  });
  it('a malformed criterion → 400', async () => {
    const res = await condPut('Patient', 'birthdate=notadate', patient('cu-bad'));
    expectError(res, [400], 'conditional update malformed');
  });
});

describe('conditional delete (DELETE [type]?criteria)', () => {
  it('no match → 200, 204 or 404', async () => {
    const res = await request(t.app).delete(`/fhir/Patient?${enc(`identifier=${CS}|cd-none`)}`);
    expectStatus(res, [200, 204, 404], 'conditional delete, 0 matches');
  });
  it('one match → deleted', async () => {
    const id = await created(patient('cd-1'));
    const other = await created(patient('cd-other'));
    const res = await request(t.app).delete(`/fhir/Patient?${enc(`identifier=${CS}|cd-1`)}`);
    expectStatus(res, [200, 204], 'conditional delete, 1 match');
    assert.equal((await read('Patient', id)).status, 410);
    assert.equal((await read('Patient', other)).status, 200, 'other resources untouched');
    assert.deepEqual(await withIdentifier('cd-1'), []);
  });
  it('several matches → 412 (nothing deleted) or all deleted', async () => {
    const a = await created(patient('cd-many'));
    const b = await created(patient('cd-many'));
    const res = await request(t.app).delete(`/fhir/Patient?${enc(`identifier=${CS}|cd-many`)}`);
    expectStatus(res, [200, 204, 412], 'conditional delete, 2 matches');
    const statuses = [(await read('Patient', a)).status, (await read('Patient', b)).status];
    if (res.status === 412) assert.deepEqual(statuses, [200, 200], 'a 412 deletes nothing');
    else assert.deepEqual(statuses, [410, 410], 'a multiple delete deletes every match');
  });
  it('without any criteria the type is not deleted wholesale', async () => {
    const id = await created(patient('cd-keep'));
    const res = await request(t.app).delete('/fhir/Patient');
    assert.ok(res.status >= 400 && res.status < 500, `DELETE /fhir/Patient: ${show(res)}`);
    assert.equal((await read('Patient', id)).status, 200);
  });
});

describe('conditional patch (PATCH [type]?criteria)', () => {
  const patch = (query: string, ops: unknown) =>
    request(t.app).patch(`/fhir/Patient?${enc(query)}`).set('Content-Type', 'application/json-patch+json').send(JSON.stringify(ops));
  const ops = [{ op: 'add', path: '/gender', value: 'other' }];

  it('one match → patched', async () => {
    const id = await created(patient('cp-1'));
    const res = await patch(`identifier=${CS}|cp-1`, ops);
    expectStatus(res, 200, 'conditional patch, 1 match');
    const cur = await read('Patient', id);
    assert.equal(cur.body.gender, 'other');
    assert.equal(cur.body.meta.versionId, '2');
  });
  it('no match → 404', async () => {
    const res = await patch(`identifier=${CS}|cp-none`, ops);
    expectError(res, [404], 'conditional patch, 0 matches');
  });
  it('several matches → 412, nothing patched', async () => {
    const a = await created(patient('cp-many'));
    await created(patient('cp-many'));
    const res = await patch(`identifier=${CS}|cp-many`, ops);
    expectError(res, [412], 'conditional patch, 2 matches');
    assert.equal((await read('Patient', a)).body.gender, undefined);
  });
});

describe('conditional references and requests in transactions', () => {
  const tx = (entry: Json[]) => ({ resourceType: 'Bundle', type: 'transaction', entry });
  const obsEntry = (subject: string, fullUrl?: string) => ({
    ...(fullUrl ? { fullUrl } : {}),
    resource: { resourceType: 'Observation', status: 'final', code: { text: 'conditional ref' }, subject: { reference: subject } },
    request: { method: 'POST', url: 'Observation' },
  });
  const marker = (value: string) => ({ resource: patient(value), request: { method: 'POST', url: 'Patient' } });
  const locationOf = (e: Json, type: string): string => {
    if (e?.response?.location) return idFromLocation(e.response.location, type);
    assert.equal(e?.resource?.resourceType, type, `no location and no ${type} in ${JSON.stringify(e)}`);
    return e.resource.id;
  };

  it('"Patient?identifier=…" with one match becomes Patient/{id}', async () => {
    const pid = await created(patient('ref-1'));
    const res = await postBundle(t, tx([obsEntry(`Patient?identifier=${CS}|ref-1`)]));
    expectStatus(res, 200, 'transaction with a conditional reference');
    const oid = locationOf(res.body.entry[0], 'Observation');
    const o = await read('Observation', oid);
    assert.equal(o.body.subject.reference, `Patient/${pid}`);
  });
  it('no match → the transaction fails and writes nothing', async () => {
    const res = await postBundle(t, tx([marker('tx-none-marker'), obsEntry(`Patient?identifier=${CS}|nobody-has-this`)]));
    expectError(res, [400, 404, 412], 'conditional reference, 0 matches');
    assert.deepEqual(await withIdentifier('tx-none-marker'), []);
  });
  it('several matches → the transaction fails and writes nothing', async () => {
    await created(patient('ref-dup'));
    await created(patient('ref-dup'));
    const res = await postBundle(t, tx([marker('tx-dup-marker'), obsEntry(`Patient?identifier=${CS}|ref-dup`)]));
    expectError(res, [400, 409, 412], 'conditional reference, 2 matches');
    assert.deepEqual(await withIdentifier('tx-dup-marker'), []);
  });
  it('ifNoneExist: created the first time; the second time the existing one is used, also for urn:uuid references to it', async () => {
    const urn = 'urn:uuid:0b9b2d0c-2b4e-4b8a-9d59-6b1f3b5c7a01';
    const bundle = tx([
      { fullUrl: urn, resource: patient('txi'), request: { method: 'POST', url: 'Patient', ifNoneExist: `identifier=${CS}|txi` } },
      obsEntry(urn),
    ]);
    const first = await postBundle(t, bundle);
    expectStatus(first, 200, 'transaction 1');
    assert.match(String(first.body.entry[0].response.status), /^201/);
    const pid = locationOf(first.body.entry[0], 'Patient');
    const second = await postBundle(t, bundle);
    expectStatus(second, 200, 'transaction 2');
    assert.match(String(second.body.entry[0].response.status), /^200/, `ifNoneExist with a match: ${JSON.stringify(second.body.entry[0].response)}`);
    assert.equal(locationOf(second.body.entry[0], 'Patient'), pid);
    assert.deepEqual(await withIdentifier('txi'), [pid]);
    const o = await read('Observation', locationOf(second.body.entry[1], 'Observation'));
    assert.equal(o.body.subject.reference, `Patient/${pid}`);
  });
  it('a conditional PUT url: created, then updated', async () => {
    const entry = (gender: string) => ({ resource: patient('txu', { gender }), request: { method: 'PUT', url: `Patient?identifier=${CS}|txu` } });
    const first = await postBundle(t, tx([entry('male')]));
    expectStatus(first, 200, 'transaction conditional PUT 1');
    assert.match(String(first.body.entry[0].response.status), /^201/);
    const pid = locationOf(first.body.entry[0], 'Patient');
    const second = await postBundle(t, tx([entry('female')]));
    expectStatus(second, 200, 'transaction conditional PUT 2');
    assert.match(String(second.body.entry[0].response.status), /^200/);
    assert.equal(locationOf(second.body.entry[0], 'Patient'), pid);
    const cur = await read('Patient', pid);
    assert.equal(cur.body.gender, 'female');
    assert.equal(cur.body.meta.versionId, '2');
  });
  it('a conditional DELETE url', async () => {
    const pid = await created(patient('txd'));
    const res = await postBundle(t, tx([{ request: { method: 'DELETE', url: `Patient?identifier=${CS}|txd` } }]));
    expectStatus(res, 200, 'transaction conditional DELETE');
    assert.equal((await read('Patient', pid)).status, 410);
  });
  it('ifNoneExist in a batch: the existing resource is used', async () => {
    const pid = await created(patient('batch-ine'));
    const res = await postBundle(t, {
      resourceType: 'Bundle',
      type: 'batch',
      entry: [{ resource: patient('batch-ine'), request: { method: 'POST', url: 'Patient', ifNoneExist: `identifier=${CS}|batch-ine` } }],
    });
    expectStatus(res, 200, 'batch ifNoneExist');
    assert.match(String(res.body.entry[0].response.status), /^200/);
    assert.deepEqual(await withIdentifier('batch-ine'), [pid]);
  });
  it('a conditional PUT with several matches fails the transaction', async () => {
    await created(patient('txu-dup'));
    await created(patient('txu-dup'));
    const res = await postBundle(t, tx([marker('txu-dup-marker'), { resource: patient('txu-dup'), request: { method: 'PUT', url: `Patient?identifier=${CS}|txu-dup` } }]));
    expectError(res, [400, 409, 412], 'transaction conditional PUT, 2 matches');
    assert.deepEqual(await withIdentifier('txu-dup-marker'), []);
  });
});

describe('the CapabilityStatement declares conditional support', () => {
  it('conditionalCreate, conditionalUpdate, conditionalDelete on Patient', async () => {
    const res = await request(t.app).get('/fhir/metadata');
    expectStatus(res, 200, 'metadata');
    const p = res.body.rest[0].resource.find((r: Json) => r.type === 'Patient');
    assert.equal(p.conditionalCreate, true);
    assert.equal(p.conditionalUpdate, true);
    assert.ok(['single', 'multiple'].includes(p.conditionalDelete), `conditionalDelete ${p.conditionalDelete}`);
  });
});
