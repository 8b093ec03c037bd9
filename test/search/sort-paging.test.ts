/**
 * _sort (search.html#sort), _count, _total, _summary, _elements (search.html#return) and paging
 * (http.html#paging): pages full and in order, next / previous links, every match exactly once
 * across pages even while another client writes matching resources between page fetches.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import request from 'supertest';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { hasSubsettedTag } from '../rest/_util.js';
import {
  BASE_URL, FHIR_JSON, ORIGIN, allPages, assertSearchset, entriesOf, get, key, linkOf, page, postOk, postSearch, putAll, putOk, sleep, sorted, type Json,
} from './_lib.js';

let t: TestApp;

const SORT = 'http://sort.example';
const PAGE = 'http://page.example';
const sortPatient = (id: string, family: string, birthDate: string) => ({
  resourceType: 'Patient',
  id,
  identifier: [{ system: SORT, value: id }],
  name: [{ family, given: ['Sorty'] }],
  birthDate,
  gender: 'unknown',
  communication: [{ language: { text: 'Esperanto' } }],
});

// ids in creation order; sp3/sp1 share a family, sp5/sp2 too
const SORTED = [
  sortPatient('sp1', 'Adams', '1990-01-01'),
  sortPatient('sp2', 'Baker', '1985-05-05'),
  sortPatient('sp3', 'Adams', '2000-02-02'),
  sortPatient('sp4', 'Clark', '1970-07-07'),
  sortPatient('sp5', 'Baker', '1999-09-09'),
];
const PAGED = 45;
const pagedIds = Array.from({ length: PAGED }, (_, i) => `pg-${10 + i}`);

before(async () => {
  t = await createTestApp();
  for (const p of SORTED) {
    await putOk(t, p);
    await sleep(5); // distinct lastUpdated
  }
  await putAll(
    t,
    pagedIds.map((id, i) => ({ resourceType: 'Patient', id, identifier: [{ system: PAGE, value: String(i) }], name: [{ family: 'Pager' }] })),
  );
});
after(async () => {
  await t?.close();
});

const ids = (r: { matches: string[] }) => r.matches.map((k) => k.split('/')[1]);
const S = `identifier=${SORT}|`;

describe('_sort', () => {
  it('_sort=family,-birthdate', async () => {
    assert.deepEqual(ids(await allPages(t, 'Patient', `${S}&_sort=family,-birthdate`)), ['sp3', 'sp1', 'sp5', 'sp2', 'sp4']);
  });
  it('_sort=-family,birthdate', async () => {
    assert.deepEqual(ids(await allPages(t, 'Patient', `${S}&_sort=-family,birthdate`)), ['sp4', 'sp2', 'sp5', 'sp1', 'sp3']);
  });
  it('_sort=birthdate and -birthdate', async () => {
    assert.deepEqual(ids(await allPages(t, 'Patient', `${S}&_sort=birthdate`)), ['sp4', 'sp2', 'sp1', 'sp5', 'sp3']);
    assert.deepEqual(ids(await allPages(t, 'Patient', `${S}&_sort=-birthdate`)), ['sp3', 'sp5', 'sp1', 'sp2', 'sp4']);
  });
  it('_sort=_id and -_id', async () => {
    assert.deepEqual(ids(await allPages(t, 'Patient', `${S}&_sort=_id`)), ['sp1', 'sp2', 'sp3', 'sp4', 'sp5']);
    assert.deepEqual(ids(await allPages(t, 'Patient', `${S}&_sort=-_id`)), ['sp5', 'sp4', 'sp3', 'sp2', 'sp1']);
  });
  it('_sort=_lastUpdated follows writes', async () => {
    assert.deepEqual(ids(await allPages(t, 'Patient', `${S}&_sort=_lastUpdated`)), ['sp1', 'sp2', 'sp3', 'sp4', 'sp5']);
    assert.deepEqual(ids(await allPages(t, 'Patient', `${S}&_sort=-_lastUpdated`)), ['sp5', 'sp4', 'sp3', 'sp2', 'sp1']);
    await sleep(5);
    await putOk(t, { ...SORTED[0], active: true }); // sp1 is now the most recently updated
    assert.deepEqual(ids(await allPages(t, 'Patient', `${S}&_sort=_lastUpdated`)), ['sp2', 'sp3', 'sp4', 'sp5', 'sp1']);
  });
  it('a sorted search across pages keeps the order: _sort=family,-birthdate&_count=2', async () => {
    const r = await allPages(t, 'Patient', `${S}&_sort=family,-birthdate&_count=2`, { count: 2 });
    assert.equal(r.pages.length, 3);
    assert.deepEqual(ids(r), ['sp3', 'sp1', 'sp5', 'sp2', 'sp4']);
  });
  it('the self link keeps _sort', async () => {
    const b = await page(t, 'Patient', `${S}&_sort=-birthdate`);
    assert.equal(new URL(linkOf(b, 'self')!).searchParams.get('_sort'), '-birthdate');
  });
});

describe('paging', () => {
  const P = `identifier=${PAGE}|`;

  it('_count=10: 5 pages (10,10,10,10,5), every match once, next links on the public base', async () => {
    const r = await allPages(t, 'Patient', `${P}&_count=10`, { count: 10 });
    assert.deepEqual(r.pages.map((b) => entriesOf(b, 'match').length), [10, 10, 10, 10, 5]);
    assert.deepEqual(sorted(ids(r)), sorted(pagedIds));
    assert.equal(linkOf(r.pages[4], 'next'), undefined, 'the last page has no next link');
  });
  it('the default page size is 20', async () => {
    const b = await page(t, 'Patient', P);
    assert.equal(entriesOf(b, 'match').length, 20);
    assert.ok(linkOf(b, 'next'), 'a next link');
  });
  it('previous links lead back to the previous page', async () => {
    const r = await allPages(t, 'Patient', `${P}&_count=10&_sort=_id`, { count: 10 });
    assert.equal(linkOf(r.pages[0], 'previous') ?? linkOf(r.pages[0], 'prev'), undefined, 'the first page has no previous link');
    for (let i = 1; i < r.pages.length; i++) {
      const prev = linkOf(r.pages[i], 'previous') ?? linkOf(r.pages[i], 'prev');
      assert.ok(prev && prev.startsWith(BASE_URL), `page ${i + 1} has no previous link on the base: ${JSON.stringify(r.pages[i].link)}`);
      const res = await request(t.app).get(prev.slice(ORIGIN.length)).set('Accept', FHIR_JSON);
      const b = assertSearchset(res, `previous of page ${i + 1}`);
      assert.deepEqual(entriesOf(b, 'match').map((e) => e.resource.id), entriesOf(r.pages[i - 1], 'match').map((e: Json) => e.resource.id));
    }
  });
  it('a sorted search pages in order: _sort=_id&_count=7', async () => {
    const r = await allPages(t, 'Patient', `${P}&_sort=_id&_count=7`, { count: 7 });
    assert.deepEqual(ids(r), [...pagedIds].sort());
  });
  it('_sort=-_id&_count=7', async () => {
    const r = await allPages(t, 'Patient', `${P}&_sort=-_id&_count=7`, { count: 7 });
    assert.deepEqual(ids(r), [...pagedIds].sort().reverse());
  });
  it('_count above the maximum (1000) is capped, not refused', async () => {
    const b = await page(t, 'Patient', `${P}&_count=5000`);
    assert.equal(entriesOf(b, 'match').length, PAGED);
    assert.equal(linkOf(b, 'next'), undefined);
  });
  it('a page fetched twice gives the same entries', async () => {
    const first = await page(t, 'Patient', `${P}&_count=10&_sort=_id`);
    const next = linkOf(first, 'next')!;
    const a = assertSearchset(await request(t.app).get(next.slice(ORIGIN.length)), 'next 1');
    const b = assertSearchset(await request(t.app).get(next.slice(ORIGIN.length)), 'next 2');
    assert.deepEqual(entriesOf(a, 'match').map((e) => e.resource.id), entriesOf(b, 'match').map((e) => e.resource.id));
  });
  it('POST _search pages too (the next link is a GET)', async () => {
    const first = await postSearch(t, 'Patient', `${P}&_count=20`);
    const r = await allPages(t, 'Patient', '', { first, count: 20 });
    assert.deepEqual(sorted(ids(r)), sorted(pagedIds));
  });

  for (const order of ['', '&_sort=_id', '&_sort=-_lastUpdated', '&_sort=family']) {
    it(`writes between page fetches cause no duplicates and no skipped pre-existing match${order ? ` (${order.slice(1)})` : ''}`, async () => {
      const query = `${P}&_count=10${order}`;
      let res = await get(t, 'Patient', query);
      const seen: string[] = [];
      const created: string[] = [];
      for (let i = 0; i < 20; i++) {
        const b = assertSearchset(res, `${query} page ${i + 1}`);
        for (const e of entriesOf(b, 'match')) {
          assert.ok(!seen.includes(e.resource.id), `${e.resource.id} appears twice (page ${i + 1}) of ${query}`);
          seen.push(e.resource.id);
        }
        // another client creates matching resources: ids sorting first, and a family sorting first
        for (let k = 0; k < 3; k++) {
          const id = `pg-0${i}${k}${order.length}`;
          await putOk(t, { resourceType: 'Patient', id, identifier: [{ system: PAGE, value: `new-${id}` }], name: [{ family: 'Aaa' }] });
          created.push(id);
        }
        const next = linkOf(b, 'next');
        if (!next) break;
        res = await request(t.app).get(next.slice(ORIGIN.length)).set('Accept', FHIR_JSON);
      }
      for (const id of pagedIds) assert.ok(seen.includes(id), `pre-existing match ${id} skipped while paging ${query}`);
      for (const id of seen) assert.ok(pagedIds.includes(id) || created.includes(id), `unexpected ${id}`);
      // clean up for the next variant
      for (const id of created) await request(t.app).delete(`/fhir/Patient/${id}`);
    });
  }
});

describe('paging while matches are updated', () => {
  const P = `identifier=${PAGE}|`;
  for (const order of ['&_sort=_id', '&_sort=family', '&_sort=-_id']) {
    it(`updates of other elements between page fetches: no duplicates, no skips (${order.slice(1)})`, async () => {
      const query = `${P}&_count=10${order}`;
      let res = await get(t, 'Patient', query);
      const seen: string[] = [];
      for (let i = 0; i < 20; i++) {
        const b = assertSearchset(res, `${query} page ${i + 1}`);
        for (const e of entriesOf(b, 'match')) {
          assert.ok(!seen.includes(e.resource.id), `${e.resource.id} appears twice (page ${i + 1}) of ${query}`);
          seen.push(e.resource.id);
        }
        // another client updates a seen and an unseen match (not the sort key)
        const unseen = pagedIds.find((id) => !seen.includes(id));
        for (const id of [seen[0], unseen].filter((x): x is string => x !== undefined)) {
          const n = pagedIds.indexOf(id);
          await putOk(t, { resourceType: 'Patient', id, identifier: [{ system: PAGE, value: String(n) }], name: [{ family: 'Pager' }], gender: i % 2 ? 'male' : 'female' });
        }
        const next = linkOf(b, 'next');
        if (!next) break;
        res = await request(t.app).get(next.slice(ORIGIN.length)).set('Accept', FHIR_JSON);
      }
      assert.deepEqual(sorted(seen), sorted(pagedIds), `every match exactly once while paging ${query}`);
    });
  }
  it('a tampered page link is a 4xx OperationOutcome, not a 5xx', async () => {
    const first = await page(t, 'Patient', `${P}&_count=10`);
    const next = new URL(linkOf(first, 'next')!);
    const self = new URL(linkOf(first, 'self')!);
    const added = [...next.searchParams.keys()].filter((k) => !self.searchParams.has(k));
    for (const bad of ['garbage', '', 'eyJ4IjoxfQ', '%%%', 'a'.repeat(5000)]) {
      const u = new URL(next.toString());
      for (const k of added) u.searchParams.set(k, bad);
      if (added.length === 0) u.searchParams.set('_count', 'x');
      const res = await request(t.app).get(u.pathname + u.search).set('Accept', FHIR_JSON);
      assert.ok(res.status < 500, `tampered next link ${u}: ${res.status} ${res.text.slice(0, 300)}`);
      if (res.status >= 400) assert.equal(res.body.resourceType, 'OperationOutcome');
    }
  });
});

describe('_total, _count=0, _summary', () => {
  const P = `identifier=${PAGE}|`;

  it('_total=accurate gives the total on the first page', async () => {
    const b = await page(t, 'Patient', `${P}&_count=10&_total=accurate`);
    assert.equal(b.total, PAGED);
  });
  it('_total=none: no total, or a correct one', async () => {
    const b = await page(t, 'Patient', `${P}&_count=10&_total=none`);
    if (b.total !== undefined) assert.equal(b.total, PAGED);
    assert.equal(entriesOf(b, 'match').length, 10);
  });
  it('_total=estimate: a non-negative total if any', async () => {
    const b = await page(t, 'Patient', `${P}&_count=10&_total=estimate`);
    if (b.total !== undefined) assert.ok(b.total >= 0);
    assert.equal(entriesOf(b, 'match').length, 10);
  });
  it('_count=0: no entries, but the total', async () => {
    const b = await page(t, 'Patient', `${P}&_count=0`);
    assert.equal(entriesOf(b, 'match').length, 0);
    assert.equal(b.total, PAGED);
  });
  it('_summary=count: the total and no entries', async () => {
    const b = await page(t, 'Patient', `${P}&_summary=count`);
    assert.equal(b.total, PAGED);
    assert.equal(entriesOf(b, 'match').length, 0);
    assert.equal(linkOf(b, 'next'), undefined, '_summary=count has nothing to page');
  });
  it('_summary=count on a search without matches: total 0', async () => {
    const b = await page(t, 'Patient', `identifier=${PAGE}|nothing&_summary=count`);
    assert.equal(b.total, 0);
  });
  it('_summary=true: summary elements only, marked SUBSETTED', async () => {
    const b = await page(t, 'Patient', `${S}&_summary=true`);
    const rs = entriesOf(b, 'match').map((e) => e.resource);
    assert.equal(rs.length, 5);
    for (const r of rs) {
      assert.ok(r.name && r.birthDate && r.identifier, `summary elements kept: ${JSON.stringify(r)}`);
      assert.equal(r.communication, undefined, `communication is not a summary element: ${JSON.stringify(r)}`);
      assert.ok(hasSubsettedTag(r), `SUBSETTED tag: ${JSON.stringify(r.meta)}`);
    }
  });
  it('_summary=false: whole resources', async () => {
    const b = await page(t, 'Patient', `${S}&_summary=false`);
    for (const e of entriesOf(b, 'match')) assert.ok(e.resource.communication, 'communication kept');
  });
  it('_elements=name: name (and id) only, marked SUBSETTED', async () => {
    const b = await page(t, 'Patient', `${S}&_elements=name`);
    const rs = entriesOf(b, 'match').map((e) => e.resource);
    assert.equal(rs.length, 5);
    for (const r of rs) {
      assert.equal(r.resourceType, 'Patient');
      assert.ok(r.id && r.name, `id and name: ${JSON.stringify(r)}`);
      for (const k of ['birthDate', 'identifier', 'gender', 'communication']) assert.equal(r[k], undefined, `${k} present with _elements=name`);
      assert.ok(hasSubsettedTag(r), `SUBSETTED tag: ${JSON.stringify(r.meta)}`);
    }
  });
  it('_elements does not change what matches, nor the stored resource', async () => {
    await page(t, 'Patient', `${S}&_elements=name`);
    const res = await request(t.app).get('/fhir/Patient/sp2');
    assert.equal(res.body.birthDate, '1985-05-05');
    assert.ok(!hasSubsettedTag(res.body));
  });
});

describe('searchset basics', () => {
  it('an empty result is a searchset with no entries (and total 0 when given)', async () => {
    const b = await page(t, 'Patient', 'family=nobodyhasthisname');
    assert.equal(entriesOf(b, 'match').length, 0);
    if (b.total !== undefined) assert.equal(b.total, 0);
  });
  it('a search without parameters returns every resource of the type', async () => {
    const created = await postOk(t, { resourceType: 'Basic', code: { text: 'only one' } });
    const b = await page(t, 'Basic');
    assert.deepEqual(entriesOf(b, 'match').map((e) => key(e.resource)), [`Basic/${created.id}`]);
  });
  it('_format=json is not a filter', async () => {
    const b = await page(t, 'Patient', `${S}&_format=json`);
    assert.equal(entriesOf(b, 'match').length, 5);
  });
});
