/**
 * history interactions: instance, type, system; _count paging, _since, _at.
 * hl7.org/fhir/R4/http.html#history
 */
import { describe, it, before } from 'node:test';
import assert from 'node:assert/strict';
import { useTestApp } from '../helpers/app.js';
import {
  api, BASE_URL, INSTANT_RE, assertFhirJson, assertNoServerKeys, create, expectOutcome, expectStatus,
  historyEntries, pathOf, putResource, sleep, weak,
} from './_util.js';

const t = useTestApp();

/** Creates a Patient and updates it until it has `n` versions. */
async function patientWithVersions(n: number): Promise<any> {
  const p = await create(t, { resourceType: 'Patient', name: [{ family: 'v1' }] });
  let last = p;
  for (let v = 2; v <= n; v++) {
    const res = await putResource(t, { resourceType: 'Patient', id: p.id, name: [{ family: `v${v}` }] });
    expectStatus(res, 200);
    last = res.body;
  }
  return last;
}

function midpoint(a: string, b: string): string {
  return new Date((Date.parse(a) + Date.parse(b)) / 2).toISOString();
}

function checkEntryShape(e: any, type: string) {
  assert.equal(typeof e.fullUrl, 'string', `entry without fullUrl: ${JSON.stringify(e)}`);
  assert.ok(e.fullUrl.startsWith(`${BASE_URL}/${type}/`), `fullUrl not absolute on the base: ${e.fullUrl}`);
  assert.ok(['POST', 'PUT', 'DELETE', 'PATCH'].includes(e.request?.method), `request.method: ${JSON.stringify(e.request)}`);
  assert.equal(typeof e.request?.url, 'string');
  assert.ok(e.request.url.includes(type), `request.url ${e.request.url}`);
  assert.equal(typeof e.response?.status, 'string', `response.status must be a string: ${JSON.stringify(e.response)}`);
  assert.match(e.response.status, /^\d{3}/);
  if (e.response.lastModified !== undefined) assert.match(e.response.lastModified, INSTANT_RE);
  if (e.resource) {
    assert.equal(e.resource.resourceType, type);
    assert.ok(e.fullUrl.includes(`/${type}/${e.resource.id}`), `fullUrl ${e.fullUrl} vs id ${e.resource.id}`);
    if (e.response.etag !== undefined) assert.equal(e.response.etag, weak(e.resource.meta.versionId));
  }
}

describe('instance history', () => {
  it('GET /fhir/Patient/{id}/_history → Bundle history, newest first, with fullUrl/request/response', async () => {
    const p = await patientWithVersions(3);
    const res = await api(t).get(`/fhir/Patient/${p.id}/_history`);
    expectStatus(res, 200);
    assertFhirJson(res);
    assert.equal(res.body.resourceType, 'Bundle');
    assert.equal(res.body.type, 'history');
    assertNoServerKeys(res.body);
    if (res.body.total !== undefined) assert.equal(res.body.total, 3);
    const entries = res.body.entry;
    assert.equal(entries.length, 3);
    assert.deepEqual(entries.map((e: any) => e.resource.meta.versionId), ['3', '2', '1']);
    assert.deepEqual(entries.map((e: any) => e.resource.name[0].family), ['v3', 'v2', 'v1']);
    assert.deepEqual(entries.map((e: any) => e.request.method), ['PUT', 'PUT', 'POST']);
    for (const e of entries) checkEntryShape(e, 'Patient');
    assert.equal(entries[0].request.url, `Patient/${p.id}`);
    assert.ok(entries[2].response.status.startsWith('201'), `create entry status ${entries[2].response.status}`);
    assert.ok(entries[0].response.status.startsWith('200'), `update entry status ${entries[0].response.status}`);
  });

  it('history of a never-existing id → 404 OperationOutcome (or an empty history Bundle)', async () => {
    const res = await api(t).get('/fhir/Patient/never-had-history/_history');
    if (res.status === 200) {
      assert.equal(res.body.type, 'history');
      assert.equal((res.body.entry ?? []).length, 0);
    } else expectOutcome(res, 404);
  });

  it('history of an unknown type → 404', async () => {
    expectOutcome(await api(t).get('/fhir/Foo/1/_history'), 404);
    expectOutcome(await api(t).get('/fhir/Foo/_history'), 404);
  });
});

describe('type history', () => {
  it('GET /fhir/Organization/_history → all versions of the type, newest first', async () => {
    const a = await create(t, { resourceType: 'Organization', name: 'A' });
    await sleep(5);
    const b = await create(t, { resourceType: 'Organization', name: 'B' });
    await sleep(5);
    expectStatus(await putResource(t, { resourceType: 'Organization', id: a.id, name: 'A2' }), 200);
    const res = await api(t).get('/fhir/Organization/_history');
    expectStatus(res, 200);
    assertFhirJson(res);
    assert.equal(res.body.type, 'history');
    const entries = res.body.entry;
    assert.equal(entries.length, 3);
    for (const e of entries) checkEntryShape(e, 'Organization');
    assert.deepEqual(entries.map((e: any) => e.resource.name), ['A2', 'B', 'A']);
    assert.deepEqual(entries.map((e: any) => e.resource.id), [a.id, b.id, a.id]);
    const times = entries.map((e: any) => Date.parse(e.resource.meta.lastUpdated));
    for (let i = 1; i < times.length; i++) assert.ok(times[i - 1] >= times[i], 'entries must be newest first');
  });

  it('an empty type history is a Bundle with no entries', async () => {
    const res = await api(t).get('/fhir/VisionPrescription/_history');
    expectStatus(res, 200);
    assert.equal(res.body.type, 'history');
    assert.equal((res.body.entry ?? []).length, 0);
    if (res.body.total !== undefined) assert.equal(res.body.total, 0);
  });
});

describe('system history', () => {
  it('GET /fhir/_history → entries of several types, newest first', async () => {
    const pr = await create(t, { resourceType: 'Practitioner', name: [{ family: 'Sys' }] });
    await sleep(5);
    const dev = await create(t, { resourceType: 'Device', status: 'active' });
    const res = await api(t).get('/fhir/_history');
    expectStatus(res, 200);
    assertFhirJson(res);
    assert.equal(res.body.resourceType, 'Bundle');
    assert.equal(res.body.type, 'history');
    assertNoServerKeys(res.body);
    const entries = res.body.entry ?? [];
    assert.ok(entries.length >= 2);
    assert.equal(entries[0].resource?.resourceType, 'Device');
    assert.equal(entries[0].resource?.id, dev.id);
    assert.equal(entries[1].resource?.resourceType, 'Practitioner');
    assert.equal(entries[1].resource?.id, pr.id);
    for (const e of entries) {
      assert.ok(e.fullUrl?.startsWith(`${BASE_URL}/`), `fullUrl ${e.fullUrl}`);
      assert.ok(e.request?.method && e.request?.url, 'entry.request');
      assert.ok(e.response?.status, 'entry.response.status');
    }
    const times = entries.filter((e: any) => e.resource).map((e: any) => Date.parse(e.resource.meta.lastUpdated));
    for (let i = 1; i < times.length; i++) assert.ok(times[i - 1] >= times[i], 'system history must be newest first');
  });
});

describe('_count paging', () => {
  it('instance history: _count=2 gives 2 entries and next links that return the rest, in order, without duplicates', async () => {
    const p = await patientWithVersions(5);
    const first = await api(t).get(`/fhir/Patient/${p.id}/_history?_count=2`);
    expectStatus(first, 200);
    assert.equal(first.body.entry.length, 2);
    const next = first.body.link?.find((l: any) => l.relation === 'next');
    assert.ok(next, `no next link: ${JSON.stringify(first.body.link)}`);
    assert.ok(next.url.startsWith(BASE_URL), `next link must be absolute: ${next.url}`);
    const self = first.body.link?.find((l: any) => l.relation === 'self');
    assert.ok(self, 'no self link');
    const versions: string[] = first.body.entry.map((e: any) => e.resource.meta.versionId);
    let url: string | undefined = pathOf(next.url);
    let pages = 1;
    while (url && pages < 10) {
      const page = await api(t).get(url);
      expectStatus(page, 200, `GET ${url}`);
      assert.equal(page.body.type, 'history');
      assert.ok(page.body.entry.length <= 2, 'a page exceeds _count');
      versions.push(...page.body.entry.map((e: any) => e.resource.meta.versionId));
      const n = page.body.link?.find((l: any) => l.relation === 'next');
      url = n ? pathOf(n.url) : undefined;
      pages++;
    }
    assert.deepEqual(versions, ['5', '4', '3', '2', '1']);
    assert.equal(pages, 3);
  });

  it('type history: _count=1 pages through every version exactly once', async () => {
    const l1 = await create(t, { resourceType: 'Location', name: 'L1' });
    const l2 = await create(t, { resourceType: 'Location', name: 'L2' });
    expectStatus(await putResource(t, { resourceType: 'Location', id: l1.id, name: 'L1b' }), 200);
    const first = await api(t).get('/fhir/Location/_history?_count=1');
    expectStatus(first, 200);
    assert.equal(first.body.entry.length, 1);
    const all = await historyEntries(t, '/fhir/Location/_history?_count=1');
    assert.deepEqual(all.map((e) => `${e.resource.id}/${e.resource.meta.versionId}`), [`${l1.id}/2`, `${l2.id}/1`, `${l1.id}/1`]);
  });

  it('system history: _count=1 returns 1 entry with a next link', async () => {
    await create(t, { resourceType: 'Basic', code: { text: 'a' } });
    await create(t, { resourceType: 'Basic', code: { text: 'b' } });
    const res = await api(t).get('/fhir/_history?_count=1');
    expectStatus(res, 200);
    assert.equal(res.body.entry.length, 1);
    const next = res.body.link?.find((l: any) => l.relation === 'next');
    assert.ok(next, 'no next link');
    const page2 = await api(t).get(pathOf(next.url));
    expectStatus(page2, 200);
    assert.equal(page2.body.entry.length, 1);
    assert.notEqual(
      `${page2.body.entry[0].fullUrl}|${page2.body.entry[0].resource?.meta?.versionId}`,
      `${res.body.entry[0].fullUrl}|${res.body.entry[0].resource?.meta?.versionId}`,
      'page 2 repeats page 1',
    );
  });

  it('the last page has no next link', async () => {
    const p = await patientWithVersions(2);
    const res = await api(t).get(`/fhir/Patient/${p.id}/_history?_count=10`);
    expectStatus(res, 200);
    assert.equal(res.body.entry.length, 2);
    assert.equal(res.body.link?.find((l: any) => l.relation === 'next'), undefined);
  });
});

describe('_since and _at', () => {
  let id: string;
  let v1: any;
  let v2: any;
  let v3: any;
  let between12: string;
  before(async () => {
    v1 = await create(t, { resourceType: 'Patient', name: [{ family: 'since-1' }] });
    id = v1.id;
    await sleep(1100);
    v2 = (await putResource(t, { resourceType: 'Patient', id, name: [{ family: 'since-2' }] })).body;
    await sleep(1100);
    v3 = (await putResource(t, { resourceType: 'Patient', id, name: [{ family: 'since-3' }] })).body;
    assert.equal(v3.meta.versionId, '3');
    between12 = midpoint(v1.meta.lastUpdated, v2.meta.lastUpdated);
  });

  it('_since excludes versions older than the instant', async () => {
    const res = await api(t).get(`/fhir/Patient/${id}/_history?_since=${encodeURIComponent(between12)}`);
    expectStatus(res, 200);
    assert.deepEqual(res.body.entry.map((e: any) => e.resource.meta.versionId), ['3', '2']);
  });

  it('_since after the last change → no entries', async () => {
    const after3 = new Date(Date.parse(v3.meta.lastUpdated) + 5000).toISOString();
    const res = await api(t).get(`/fhir/Patient/${id}/_history?_since=${encodeURIComponent(after3)}`);
    expectStatus(res, 200);
    assert.equal((res.body.entry ?? []).length, 0);
  });

  it('_since with a timezone offset is honoured', async () => {
    // same instant as between12, written as +02:00
    const d = new Date(Date.parse(between12) + 2 * 3600_000).toISOString().replace('Z', '+02:00');
    const res = await api(t).get(`/fhir/Patient/${id}/_history?_since=${encodeURIComponent(d)}`);
    expectStatus(res, 200);
    assert.deepEqual(res.body.entry.map((e: any) => e.resource.meta.versionId), ['3', '2']);
  });

  it('_since is kept across _count pages (next links)', async () => {
    const entries = await historyEntries(t, `/fhir/Patient/${id}/_history?_count=1&_since=${encodeURIComponent(between12)}`);
    assert.deepEqual(entries.map((e) => e.resource.meta.versionId), ['3', '2']);
  });

  it('_since on type history excludes older resources', async () => {
    const res = await api(t).get(`/fhir/Patient/_history?_since=${encodeURIComponent(between12)}&_count=100`);
    expectStatus(res, 200);
    for (const e of res.body.entry ?? []) {
      assert.ok(Date.parse(e.resource?.meta?.lastUpdated ?? e.response?.lastModified) >= Date.parse(between12), `entry older than _since: ${JSON.stringify(e.resource?.meta)}`);
    }
    const mine = (res.body.entry ?? []).filter((e: any) => e.resource?.id === id).map((e: any) => e.resource.meta.versionId);
    assert.deepEqual(mine, ['3', '2']);
  });

  it('_at gives the version current at that time', async () => {
    const res = await api(t).get(`/fhir/Patient/${id}/_history?_at=${encodeURIComponent(between12)}`);
    expectStatus(res, 200);
    assert.deepEqual(res.body.entry.map((e: any) => e.resource.meta.versionId), ['1']);
    const between23 = midpoint(v2.meta.lastUpdated, v3.meta.lastUpdated);
    const res2 = await api(t).get(`/fhir/Patient/${id}/_history?_at=${encodeURIComponent(between23)}`);
    expectStatus(res2, 200);
    assert.deepEqual(res2.body.entry.map((e: any) => e.resource.meta.versionId), ['2']);
  });

  it('_at before the resource existed → no entries', async () => {
    const before1 = new Date(Date.parse(v1.meta.lastUpdated) - 60_000).toISOString();
    const res = await api(t).get(`/fhir/Patient/${id}/_history?_at=${encodeURIComponent(before1)}`);
    expectStatus(res, 200);
    assert.equal((res.body.entry ?? []).length, 0);
  });

  for (const bad of ['not-a-date', '2020-13-45T00:00:00Z', 'yesterday']) {
    it(`bad _since value ${JSON.stringify(bad)} → 400`, async () => {
      expectOutcome(await api(t).get(`/fhir/Patient/${id}/_history?_since=${encodeURIComponent(bad)}`), 400);
      expectOutcome(await api(t).get(`/fhir/Patient/_history?_since=${encodeURIComponent(bad)}`), 400);
      expectOutcome(await api(t).get(`/fhir/_history?_since=${encodeURIComponent(bad)}`), 400);
    });
  }

  it('bad _at value → 400', async () => {
    expectOutcome(await api(t).get(`/fhir/Patient/${id}/_history?_at=garbage`), 400);
  });

  it('bad _count value (not a number) → 400, or ignored with 200', async () => {
    const res = await api(t).get(`/fhir/Patient/${id}/_history?_count=abc`);
    if (res.status !== 200) expectOutcome(res, 400);
  });
});
