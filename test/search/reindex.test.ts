/**
 * A store whose search index was written by an older extraction (SEARCH_INDEX_FORMAT) is
 * re-extracted when the server starts on it: searches that rely on the newer index (string keys)
 * find the resources written before.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import request from 'supertest';
import { createApp } from '../../src/app.js';
import { createLogger } from '../../src/logger.js';
import { SEARCH_INDEX_FORMAT } from '../../src/search/index.js';
import { INDEX_FORMATS_COLLECTION, searchCollection } from '../../src/store/documents.js';
import { createTestApp, type TestApp } from '../helpers/app.js';

let t: TestApp;
before(async () => {
  t = await createTestApp();
});
after(() => t?.close());

describe('search index format', () => {
  it('a type indexed in an older format is re-extracted on start, and its format recorded', async () => {
    const created = await request(t.app).post('/fhir/Patient').set('Content-Type', 'application/fhir+json').send({ resourceType: 'Patient', name: [{ family: 'Reindexed', given: ['Ana'] }] });
    assert.equal(created.status, 201);
    const id = created.body.id as string;
    const formats = t.db.collection<{ _id: string; v: number }>(INDEX_FORMATS_COLLECTION);
    assert.equal((await formats.findOne({ _id: 'Patient' }))?.v, SEARCH_INDEX_FORMAT);

    // what format 1 wrote: no string keys, and no format recorded
    const idx = t.db.collection<{ _id: string; _idx: { k: string[] } }>(searchCollection('Patient'));
    const doc = (await idx.findOne({ _id: id }))!;
    await idx.updateOne({ _id: id }, { $set: { '_idx.k': doc._idx.k.filter((k) => !k.startsWith('family|') && !k.startsWith('name|') && !k.startsWith('given|')) } });
    await formats.deleteOne({ _id: 'Patient' });
    const before = await request(t.app).get('/fhir/Patient?family=reindex');
    assert.equal(before.body.total, 0, 'the stripped index no longer finds it');

    // a server started on that store
    const { app } = await createApp({ config: t.config, db: t.db, logger: createLogger(t.config) });
    const token = await t.token({ sub: 'test-system', client_id: 'test-system', scope: 'system/*.cruds', role: 'system', adm: true });
    const found = await request(app).get('/fhir/Patient?family=reindex').set('Authorization', `Bearer ${token}`);
    assert.equal(found.status, 200);
    assert.equal(found.body.total, 1);
    assert.equal(found.body.entry[0].resource.id, id);
    assert.equal((await formats.findOne({ _id: 'Patient' }))?.v, SEARCH_INDEX_FORMAT);
  });

  it('the single-field date indexes of earlier versions are dropped on start', async () => {
    const idx = t.db.collection(searchCollection('Encounter'));
    assert.equal(await idx.createIndex({ '_idx.sort.date.hi': 1 }), '_idx.sort.date.hi_1');
    assert.equal(await idx.createIndex({ '_idx.sort._lastUpdated.lo': 1 }), '_idx.sort._lastUpdated.lo_1');
    await createApp({ config: t.config, db: t.db, logger: createLogger(t.config) });
    for (const name of ['_idx.sort.date.hi_1', '_idx.sort._lastUpdated.lo_1']) {
      await assert.rejects(idx.dropIndex(name), (e: { code?: number }) => e.code === 27, `${name} is gone`);
    }
  });
});
