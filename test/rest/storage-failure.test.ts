/**
 * Writes refused by the disk (lmdb failing to commit its batch, as on a full disk) are answered
 * 503 transient, write nothing, and leave the server working once the disk is back. The failure is
 * made the way lmdb reports it: the queued transaction rejects with "Commit failed" and a second
 * rejected promise, `commitError`, holding the cause.
 */
import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import request from 'supertest';
import { useTestApp } from '../helpers/app.js';

interface LmdbEnv { transaction: (fn: () => unknown) => Promise<unknown> }

describe('a disk that refuses writes', () => {
  const t = useTestApp();
  let restore: (() => void) | undefined;
  after(() => restore?.());

  function failCommits(): void {
    const env = (t.db as unknown as { env: LmdbEnv }).env;
    const real = env.transaction.bind(env);
    env.transaction = () => {
      const commitError = Promise.reject(Object.assign(new Error('No space left on device'), { code: 28 }));
      return Promise.reject(Object.assign(new Error('Commit failed (see commitError for details)'), { commitError }));
    };
    restore = () => {
      env.transaction = real;
      restore = undefined;
    };
  }

  it('create, update and transaction: 503 transient with Retry-After, nothing written, then normal again', async () => {
    if (t.db.engine !== 'embedded') return; // MongoDB reports its own disk errors
    const kept = await request(t.app).post('/fhir/Patient').set('Content-Type', 'application/fhir+json').send({ resourceType: 'Patient', name: [{ family: 'Kept' }] });
    assert.equal(kept.status, 201);
    failCommits();
    const create = await request(t.app).post('/fhir/Patient').set('Content-Type', 'application/fhir+json').send({ resourceType: 'Patient', name: [{ family: 'Lost' }] });
    assert.equal(create.status, 503, create.text);
    assert.match(create.headers['content-type'], /application\/fhir\+json/);
    assert.equal(create.headers['retry-after'], '30');
    assert.equal(create.body.issue[0].code, 'transient');
    const update = await request(t.app).put(`/fhir/Patient/${kept.body.id}`).set('Content-Type', 'application/fhir+json').send({ resourceType: 'Patient', id: kept.body.id, name: [{ family: 'Changed' }] });
    assert.equal(update.status, 503, update.text);
    const bundle = await request(t.app).post('/fhir/').set('Content-Type', 'application/fhir+json').send({
      resourceType: 'Bundle', type: 'transaction', entry: [{ resource: { resourceType: 'Patient', name: [{ family: 'InBundle' }] }, request: { method: 'POST', url: 'Patient' } }],
    });
    assert.equal(bundle.status, 503, bundle.text);
    restore!();
    const search = await request(t.app).get('/fhir/Patient?_total=accurate');
    assert.equal(search.status, 200);
    assert.deepEqual(search.body.entry.map((e: { resource: fhir4.Patient }) => e.resource.name?.[0].family), ['Kept']);
    const read = await request(t.app).get(`/fhir/Patient/${kept.body.id}`);
    assert.equal(read.body.meta.versionId, '1');
    const again = await request(t.app).post('/fhir/Patient').set('Content-Type', 'application/fhir+json').send({ resourceType: 'Patient', name: [{ family: 'After' }] });
    assert.equal(again.status, 201);
  });
});
