/**
 * System search (search.html#all: GET [base]?_type=...&_id=..., _lastUpdated) and compartment
 * search (GET [base]/Patient/[id]/[type], R4 patient CompartmentDefinition: Observation via
 * subject / performer, Encounter via patient, Condition via patient / asserter).
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createTestApp, type TestApp } from '../helpers/app.js';
import {
  allPages, assertSearchset, entriesOf, expectMatches, expectSome, get, linkOf, page, postSearch, putAll, putOk, sleep, sorted, BASE_URL,
} from './_lib.js';

let t: TestApp;

const ref = (reference: string) => ({ reference });
const obs = (id: string, code: string, extra: Record<string, unknown>) => ({
  resourceType: 'Observation',
  id,
  status: 'final',
  code: { coding: [{ system: 'http://cmp.example', code }] },
  ...extra,
});

let before1: string; // an instant after the first batch of writes
let before2: string; // an instant after the second batch

before(async () => {
  t = await createTestApp();
  await putAll(t, [
    { resourceType: 'Patient', id: 'x1' },
    obs('x2', 'sys', {}),
    { resourceType: 'Encounter', id: 'x3', status: 'planned', class: { code: 'AMB' } },

    { resourceType: 'Patient', id: 'cmp1' },
    { resourceType: 'Patient', id: 'cmp2' },
    { resourceType: 'Practitioner', id: 'cprac' },
    obs('a1', 'X', { subject: ref('Patient/cmp1') }),
    obs('a2', 'X', { subject: ref('Patient/cmp2'), performer: [ref('Patient/cmp1')] }),
    obs('a3', 'X', { subject: ref('Patient/cmp2') }),
    obs('a4', 'Y', { subject: ref('Patient/cmp1') }),
    obs('a5', 'Y', { subject: ref('Patient/cmp2'), performer: [ref('Practitioner/cprac')] }),
    { resourceType: 'Encounter', id: 'ce1', status: 'finished', class: { code: 'AMB' }, subject: ref('Patient/cmp1') },
    { resourceType: 'Encounter', id: 'ce2', status: 'finished', class: { code: 'AMB' }, subject: ref('Patient/cmp2') },
    { resourceType: 'Condition', id: 'cc1', subject: ref('Patient/cmp1') },
    { resourceType: 'Condition', id: 'cc2', subject: ref('Patient/cmp2'), asserter: ref('Patient/cmp1') },
    { resourceType: 'Organization', id: 'corg' },
  ]);
  await sleep(20);
  before1 = new Date().toISOString();
  await sleep(20);
  await putAll(t, [
    { resourceType: 'Patient', id: 'new-p' },
    obs('new-o', 'sys', {}),
    { resourceType: 'Encounter', id: 'new-e', status: 'planned', class: { code: 'AMB' } },
  ]);
  await sleep(20);
  before2 = new Date().toISOString();
});
after(async () => {
  await t?.close();
});

describe('system search', () => {
  it('GET [base]?_type=Patient,Observation&_id=x1,x2,x3 → only the listed types', async () => {
    await expectMatches(t, '', '_type=Patient,Observation&_id=x1,x2,x3', ['Patient/x1', 'Observation/x2']);
  });
  it('GET [base]?_id=x3 searches every type', async () => {
    await expectMatches(t, '', '_id=x3', ['Encounter/x3']);
  });
  it('GET [base]?_id=x1,cmp1 (two Patients, any type)', async () => {
    await expectMatches(t, '', '_id=x1,cmp1', ['Patient/x1', 'Patient/cmp1']);
  });
  it('GET [base]?_type=Organization (no other parameter)', async () => {
    await expectMatches(t, '', '_type=Organization', ['Organization/corg']);
  });
  it('GET [base]?_lastUpdated=gt… across types', async () => {
    await expectMatches(t, '', `_lastUpdated=gt${before1}`, ['Patient/new-p', 'Observation/new-o', 'Encounter/new-e']);
  });
  it('GET [base]?_type=Patient,Observation&_lastUpdated=gt…', async () => {
    await expectMatches(t, '', `_type=Patient,Observation&_lastUpdated=gt${before1}`, ['Patient/new-p', 'Observation/new-o']);
  });
  it('_lastUpdated on a type: gt and le', async () => {
    await expectMatches(t, 'Patient', `_lastUpdated=gt${before1}`, ['new-p']);
    await expectMatches(t, 'Patient', `_lastUpdated=le${before1}`, ['x1', 'cmp1', 'cmp2']);
    await expectMatches(t, 'Patient', `_lastUpdated=gt${before2}`, []);
  });
  it('system search entries have the fullUrl of their own type, and the self link is on the base', async () => {
    const b = await page(t, '', '_type=Patient,Observation,Encounter&_id=x1,x2,x3');
    assert.deepEqual(sorted(entriesOf(b, 'match').map((e) => e.fullUrl)), sorted([`${BASE_URL}/Patient/x1`, `${BASE_URL}/Observation/x2`, `${BASE_URL}/Encounter/x3`]));
    const self = new URL(linkOf(b, 'self')!);
    assert.equal(self.pathname, '/fhir', `self link of a system search: ${self}`);
  });
  it('system search pages: _lastUpdated=le…&_count=4 covers every resource of the first batch once', async () => {
    const r = await allPages(t, '', `_lastUpdated=le${before1}&_count=4`, { count: 4 });
    assert.equal(r.matches.length, 16, `matches: ${r.matches}`);
    for (const k of ['Patient/x1', 'Observation/a5', 'Condition/cc2', 'Organization/corg']) assert.ok(r.matches.includes(k), `${k} missing`);
  });
  it('POST [base]/_search with a form body', async () => {
    const first = await postSearch(t, '', '_type=Patient&_id=x1,x2');
    const r = await allPages(t, '', '', { first });
    assert.deepEqual(r.matches, ['Patient/x1']);
  });
  it('_type with an unknown resource type is a 400', async () => {
    const res = await get(t, '', '_type=Patient,NotAType&_id=x1');
    assert.equal(res.status, 400, `status ${res.status}`);
  });
});

describe('compartment search', () => {
  it('Patient/cmp1/Observation: subject or performer', async () => {
    await expectMatches(t, 'Patient/cmp1/Observation', '', ['a1', 'a2', 'a4']);
  });
  it('Patient/cmp1/Observation?code=X', async () => {
    await expectMatches(t, 'Patient/cmp1/Observation', 'code=http://cmp.example|X', ['a1', 'a2']);
  });
  it('Patient/cmp2/Observation', async () => {
    await expectMatches(t, 'Patient/cmp2/Observation', '', ['a2', 'a3', 'a5']);
  });
  it('Patient/cmp1/Encounter (via patient)', async () => {
    await expectMatches(t, 'Patient/cmp1/Encounter', '', ['ce1']);
  });
  it('Patient/cmp1/Condition (via patient and asserter)', async () => {
    await expectMatches(t, 'Patient/cmp1/Condition', '', ['cc1', 'cc2']);
  });
  it('Practitioner/cprac/Observation (via performer)', async () => {
    await expectMatches(t, 'Practitioner/cprac/Observation', '', ['a5']);
  });
  it('Patient/cmp1/* returns every type in the compartment', async () => {
    const got = await expectSome(
      t,
      'Patient/cmp1/*',
      '',
      ['Observation/a1', 'Observation/a2', 'Observation/a4', 'Encounter/ce1', 'Condition/cc1', 'Condition/cc2'],
      ['Observation/a3', 'Observation/a5', 'Encounter/ce2', 'Patient/cmp2', 'Organization/corg'],
    );
    for (const k of got) assert.ok(!k.startsWith('Observation/x'), `${k} is in no compartment`);
  });
  it('the self link is the compartment URL', async () => {
    const b = await page(t, 'Patient/cmp1/Observation', 'code=http://cmp.example|X');
    const self = new URL(linkOf(b, 'self')!);
    assert.equal(self.pathname, '/fhir/Patient/cmp1/Observation');
  });
  it('compartment search pages', async () => {
    const r = await allPages(t, 'Patient/cmp1/Observation', '_count=1', { count: 1 });
    assert.deepEqual(sorted(r.matches), ['Observation/a1', 'Observation/a2', 'Observation/a4']);
    assert.equal(r.pages.length, 3);
  });
  it('POST [base]/Patient/cmp1/Observation/_search', async () => {
    const first = await postSearch(t, 'Patient/cmp1/Observation', 'code=http://cmp.example|Y');
    const r = await allPages(t, 'Patient/cmp1/Observation', '', { first });
    assert.deepEqual(r.matches, ['Observation/a4']);
  });
  it('POST [base]/Patient/cmp1/_search: every type in the compartment', async () => {
    const first = await postSearch(t, 'Patient/cmp1', '_lastUpdated=le' + before1);
    const r = await allPages(t, 'Patient/cmp1', '', { first });
    for (const k of ['Observation/a1', 'Observation/a2', 'Observation/a4', 'Encounter/ce1', 'Condition/cc1', 'Condition/cc2']) assert.ok(r.matches.includes(k), `${k} missing: ${r.matches}`);
    for (const k of ['Observation/a3', 'Observation/a5', 'Encounter/ce2', 'Patient/cmp2']) assert.ok(!r.matches.includes(k), `${k} is not in the compartment`);
  });
  it('an unknown compartment owner: no matches (or 404)', async () => {
    const res = await get(t, 'Patient/nobody/Observation');
    if (res.status === 200) assert.equal(entriesOf(assertSearchset(res, 'unknown owner'), 'match').length, 0);
    else assert.equal(res.status, 404, `status ${res.status}`);
  });
  it('a type outside the compartment: no matches or a 4xx', async () => {
    const res = await get(t, 'Patient/cmp1/Organization');
    if (res.status === 200) assert.equal(entriesOf(assertSearchset(res, 'Organization in the Patient compartment'), 'match').length, 0);
    else assert.ok([400, 404].includes(res.status), `status ${res.status}`);
  });
  it('a compartment follows updates: a1 moved to cmp2 leaves cmp1', async () => {
    await putOk(t, obs('a1', 'X', { subject: ref('Patient/cmp2') }));
    await expectMatches(t, 'Patient/cmp1/Observation', '', ['a2', 'a4']);
    await putOk(t, obs('a1', 'X', { subject: ref('Patient/cmp1') }));
    const r = await allPages(t, 'Patient/cmp1/Observation', '');
    assert.deepEqual(sorted(r.matches), ['Observation/a1', 'Observation/a2', 'Observation/a4']);
  });
});
