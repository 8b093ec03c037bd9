/**
 * The common searches use an index (README "Storage and indexes"): on the embedded engine the
 * documents examined by a search stay near its matches instead of the whole collection.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import request from 'supertest';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { embeddedStats, EmbeddedDatabase } from '../../src/store/embedded/index.js';

let t: TestApp;
const N = 300;

before(async () => {
  t = await createTestApp();
  const entry: fhir4.BundleEntry[] = [];
  for (let i = 0; i < 3; i++) entry.push({ fullUrl: `urn:uuid:00000000-0000-4000-8000-00000000000${i}`, resource: { resourceType: 'Patient', id: undefined, name: [{ family: `Idx${i}` }] } as fhir4.Patient, request: { method: 'POST', url: 'Patient' } });
  for (let i = 0; i < N; i++) {
    const year = i < 270 ? 2000 + (i % 19) : 2021; // 30 encounters in 2021, the rest before 2019
    entry.push({ resource: { resourceType: 'Encounter', status: 'finished', class: { code: 'AMB' }, subject: { reference: `urn:uuid:00000000-0000-4000-8000-00000000000${i % 3}` }, period: { start: `${year}-03-01T10:00:00Z`, end: `${year}-03-01T11:00:00Z` } } as fhir4.Encounter, request: { method: 'POST', url: 'Encounter' } });
    entry.push({ resource: { resourceType: 'Observation', status: 'final', code: { coding: [{ system: 'http://loinc.org', code: i % 10 === 0 ? '8302-2' : '29463-7' }] }, subject: { reference: `urn:uuid:00000000-0000-4000-8000-00000000000${i % 3}` } } as fhir4.Observation, request: { method: 'POST', url: 'Observation' } });
  }
  const res = await request(t.app).post('/fhir').set('Content-Type', 'application/fhir+json').send({ resourceType: 'Bundle', type: 'transaction', entry });
  assert.equal(res.status, 200);
});
after(() => t?.close());

async function examined(url: string): Promise<{ examined: number; total: number }> {
  const stats = embeddedStats(t.db)!;
  const before = stats.docsExamined;
  const res = await request(t.app).get(url);
  assert.equal(res.status, 200, JSON.stringify(res.body).slice(0, 300));
  return { examined: embeddedStats(t.db)!.docsExamined - before, total: res.body.total };
}

describe('searches that use an index', { skip: process.env.MONGODB_URI ? 'engine counters exist on the embedded engine only' : false }, () => {
  it('the store is the embedded engine here', () => {
    assert.ok(t.db instanceof EmbeddedDatabase);
  });

  it('Encounter?date=ge2020-01-01 examines the candidates of the date index, not every Encounter', async () => {
    const r = await examined('/fhir/Encounter?date=ge2020-01-01&_count=20');
    assert.equal(r.total, 30);
    assert.ok(r.examined <= 2 * 30 + 20, `examined ${r.examined} documents for 30 matches of ${N}`);
  });

  it('Encounter.date is single-valued: the date index alone counts the matches and orders the page', async () => {
    // read: the page's 20 index documents and its 20 resources, not the other 10 matches (and
    // the token's revocation lookup, one get)
    const r = await examined('/fhir/Encounter?date=ge2020-01-01&_count=20');
    assert.equal(r.total, 30);
    assert.equal(r.examined, 2 * 20 + 1);
    const count = await examined('/fhir/Encounter?date=ge2020-01-01&_summary=count');
    assert.deepEqual(count, { examined: 1, total: 30 });
    const lt = await examined('/fhir/Encounter?date=lt2019-01-01&_summary=count');
    assert.deepEqual(lt, { examined: 1, total: 270 });
    const next = await request(t.app).get('/fhir/Encounter?date=ge2020-01-01&_count=20');
    const page2 = await request(t.app).get(new URL(next.body.link.find((l: { relation: string }) => l.relation === 'next').url).pathname + new URL(next.body.link.find((l: { relation: string }) => l.relation === 'next').url).search);
    assert.equal(page2.body.entry.length, 10);
    const ids = new Set([...next.body.entry, ...page2.body.entry].map((e: { resource: { id: string } }) => e.resource.id));
    assert.equal(ids.size, 30);
  });

  it('Observation?patient=X&code=Y scans the most selective key', async () => {
    const patients = await request(t.app).get('/fhir/Patient?name=idx0');
    const pid = patients.body.entry[0].resource.id;
    const r = await examined(`/fhir/Observation?patient=${pid}&code=http://loinc.org|8302-2`);
    assert.equal(r.total, 10);
    assert.ok(r.examined <= 2 * 30 + 20, `examined ${r.examined} documents for ${r.total} matches of ${N}`);
  });

  it('_content reads only the compartment it searches, not every Observation', async () => {
    const patients = await request(t.app).get('/fhir/Patient?name=idx0');
    const pid = patients.body.entry[0].resource.id;
    const r = await examined(`/fhir/Patient/${pid}/Observation?_content=final&_count=5`);
    assert.equal(r.total, N / 3);
    assert.ok(r.examined < 2 * N, `examined ${r.examined} documents for ${r.total} matches of ${N} (906 when it read them all)`);
  });

  it('_lastUpdated uses its index', async () => {
    const future = new Date(Date.now() + 86_400_000).toISOString();
    const r = await examined(`/fhir/Observation?_lastUpdated=gt${encodeURIComponent(future)}`);
    assert.equal(r.total, 0);
    assert.ok(r.examined < 5, `examined ${r.examined}`);
  });
});
