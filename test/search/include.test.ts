/**
 * _include and _revinclude (search.html#include): included resources have search.mode include,
 * appear once, are not counted in total nor in _count, go with the page of their matches;
 * :iterate follows included resources; targets that do not exist (or are deleted) are left out.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { allPages, deleteOk, entriesOf, key, page, putAll, sorted, type Json } from './_lib.js';

let t: TestApp;

const SYS = 'http://include.example';
const ref = (reference: string) => ({ reference });
const obs = (id: string, code: string, extra: Record<string, unknown>) => ({
  resourceType: 'Observation',
  id,
  status: 'final',
  code: { coding: [{ system: SYS, code }] },
  ...extra,
});

before(async () => {
  t = await createTestApp();
  await putAll(t, [
    { resourceType: 'Organization', id: 'io1', name: 'Performing Org' },
    { resourceType: 'Organization', id: 'io2', name: 'Managing Org' },
    { resourceType: 'Practitioner', id: 'ipr1' },
    { resourceType: 'Practitioner', id: 'ipr2' },
    { resourceType: 'Patient', id: 'ip1', managingOrganization: ref('Organization/io2') },
    { resourceType: 'Patient', id: 'ip2', generalPractitioner: [ref('Practitioner/ipr2')] },
    { resourceType: 'Patient', id: 'ip3' },
    { resourceType: 'Group', id: 'ig1', type: 'person', actual: true },
    obs('iobs1', 'inc', { subject: ref('Patient/ip1'), performer: [ref('Practitioner/ipr1')] }),
    obs('iobs2', 'inc', { subject: ref('Patient/ip1'), hasMember: [ref('Observation/iobs1')] }),
    obs('iobs3', 'inc', { subject: ref('Patient/ip2'), performer: [ref('Organization/io1')] }),
    obs('iobs4', 'inc', { subject: ref('Group/ig1') }),
    obs('iobs5', 'other', { subject: ref('Patient/ip2') }),
    obs('iobs6', 'dangling', { subject: ref('Patient/does-not-exist') }),
    obs('iobs7', 'deleted-target', { subject: ref('Patient/ip3') }),
    { resourceType: 'Patient', id: 'ip4' },
    obs('iobs8', 'abs', { subject: ref('http://localhost:8080/fhir/Patient/ip4') }),
    { resourceType: 'Patient', id: 'icyc-a', link: [{ other: ref('Patient/icyc-b'), type: 'seealso' }] },
    { resourceType: 'Patient', id: 'icyc-b', link: [{ other: ref('Patient/icyc-a'), type: 'seealso' }] },
    { resourceType: 'DiagnosticReport', id: 'idr1', status: 'final', code: { text: 'panel' }, subject: ref('Patient/ip1'), result: [ref('Observation/iobs1')] },
  ]);
  await deleteOk(t, 'Patient', 'ip3');
});
after(async () => {
  await t?.close();
});

const keysOf = (b: Json, mode: 'match' | 'include') => entriesOf(b, mode).map((e) => key(e.resource));
const INC = `code=${SYS}|inc`;
const INC_MATCHES = ['Observation/iobs1', 'Observation/iobs2', 'Observation/iobs3', 'Observation/iobs4'];

/** One page search; asserts the matches and the included resources exactly. */
async function expectIncluded(query: string, path: string, matches: string[], includes: string[]): Promise<Json> {
  const b = await page(t, path, query);
  assert.equal(b.link.find((l: Json) => l.relation === 'next'), undefined, `${query}: expected one page`);
  assert.deepEqual(sorted(keysOf(b, 'match')), sorted(matches), `${path}?${query}: matches`);
  assert.deepEqual(sorted(keysOf(b, 'include')), sorted(includes), `${path}?${query}: included resources`);
  if (b.total !== undefined) assert.equal(b.total, matches.length, `${path}?${query}: total must not count included resources`);
  return b;
}

describe('_include', () => {
  it('Observation:subject includes each subject once', async () => {
    await expectIncluded(`${INC}&_include=Observation:subject`, 'Observation', INC_MATCHES, ['Patient/ip1', 'Patient/ip2', 'Group/ig1']);
  });
  it('Observation:subject:Patient includes only Patient subjects', async () => {
    await expectIncluded(`${INC}&_include=Observation:subject:Patient`, 'Observation', INC_MATCHES, ['Patient/ip1', 'Patient/ip2']);
  });
  it('Observation:performer (Practitioner and Organization targets)', async () => {
    await expectIncluded(`${INC}&_include=Observation:performer`, 'Observation', INC_MATCHES, ['Practitioner/ipr1', 'Organization/io1']);
  });
  it('two _include parameters', async () => {
    await expectIncluded(`${INC}&_include=Observation:subject&_include=Observation:performer`, 'Observation', INC_MATCHES, [
      'Patient/ip1',
      'Patient/ip2',
      'Group/ig1',
      'Practitioner/ipr1',
      'Organization/io1',
    ]);
  });
  it('_include=* includes every reference of the matches', async () => {
    await expectIncluded(`${INC}&_include=*`, 'Observation', INC_MATCHES, ['Patient/ip1', 'Patient/ip2', 'Group/ig1', 'Practitioner/ipr1', 'Organization/io1']);
  });
  it('a resource that is both a match and referenced appears once, as a match', async () => {
    const b = await expectIncluded(`${INC}&_include=Observation:has-member`, 'Observation', INC_MATCHES, []);
    assert.equal((b.entry ?? []).filter((e: Json) => e.resource?.id === 'iobs1').length, 1);
  });
  it('without :iterate, Patient:organization is not applied to included Patients', async () => {
    const b = await page(t, 'Observation', `${INC}&_include=Observation:subject&_include=Patient:organization`);
    const inc = keysOf(b, 'include');
    for (const k of ['Patient/ip1', 'Patient/ip2', 'Group/ig1']) assert.ok(inc.includes(k), `${k} not included: ${inc}`);
    assert.ok(!inc.includes('Organization/io2'), `Organization/io2 included without :iterate: ${inc}`);
  });
  it('_include:iterate=Patient:organization follows the included Patients', async () => {
    await expectIncluded(`${INC}&_include=Observation:subject&_include:iterate=Patient:organization`, 'Observation', INC_MATCHES, [
      'Patient/ip1',
      'Patient/ip2',
      'Group/ig1',
      'Organization/io2',
    ]);
  });
  it('_include:iterate=Patient:general-practitioner', async () => {
    await expectIncluded(`${INC}&_include=Observation:subject:Patient&_include:iterate=Patient:general-practitioner`, 'Observation', INC_MATCHES, [
      'Patient/ip1',
      'Patient/ip2',
      'Practitioner/ipr2',
    ]);
  });
  it('a reference to a resource that does not exist is left out (no error)', async () => {
    await expectIncluded(`code=${SYS}|dangling&_include=Observation:subject`, 'Observation', ['Observation/iobs6'], []);
  });
  it('a deleted target is not included', async () => {
    await expectIncluded(`code=${SYS}|deleted-target&_include=Observation:subject`, 'Observation', ['Observation/iobs7'], []);
  });
  it('_total=accurate counts the matches only', async () => {
    const b = await page(t, 'Observation', `${INC}&_include=Observation:subject&_total=accurate`);
    assert.equal(b.total, 4);
  });
  it('paging: every page includes the subjects of its own matches, and only those', async () => {
    const r = await allPages(t, 'Observation', `${INC}&_include=Observation:subject&_count=1&_sort=_id`, { count: 1 });
    assert.deepEqual(r.matches, INC_MATCHES);
    const subjectOf: Record<string, string> = {
      'Observation/iobs1': 'Patient/ip1',
      'Observation/iobs2': 'Patient/ip1',
      'Observation/iobs3': 'Patient/ip2',
      'Observation/iobs4': 'Group/ig1',
    };
    for (const b of r.pages) {
      const [m] = keysOf(b, 'match');
      assert.deepEqual(keysOf(b, 'include'), [subjectOf[m]], `included resources on the page of ${m}`);
    }
  });
});

describe('absolute references on the server base', () => {
  it('_include resolves them', async () => {
    await expectIncluded(`code=${SYS}|abs&_include=Observation:subject`, 'Observation', ['Observation/iobs8'], ['Patient/ip4']);
  });
  it('_revinclude finds them', async () => {
    await expectIncluded('_id=ip4&_revinclude=Observation:subject', 'Patient', ['Patient/ip4'], ['Observation/iobs8']);
  });
});

describe('_include:iterate with a cycle', () => {
  it('Patient?_id=icyc-a&_include:iterate=Patient:link terminates, each resource once', async () => {
    await expectIncluded('_id=icyc-a&_include:iterate=Patient:link', 'Patient', ['Patient/icyc-a'], ['Patient/icyc-b']);
  });
});

describe('_revinclude', () => {
  it('Patient?_id=ip1,ip2&_revinclude=Observation:subject', async () => {
    await expectIncluded('_id=ip1,ip2&_revinclude=Observation:subject', 'Patient', ['Patient/ip1', 'Patient/ip2'], [
      'Observation/iobs1',
      'Observation/iobs2',
      'Observation/iobs3',
      'Observation/iobs5',
    ]);
  });
  it('_revinclude and _include together', async () => {
    await expectIncluded('_id=ip1&_revinclude=Observation:subject&_include=Patient:organization', 'Patient', ['Patient/ip1'], [
      'Observation/iobs1',
      'Observation/iobs2',
      'Organization/io2',
    ]);
  });
  it('_revinclude:iterate follows the reverse-included resources', async () => {
    await expectIncluded('_id=ip1&_revinclude=Observation:subject&_revinclude:iterate=DiagnosticReport:result', 'Patient', ['Patient/ip1'], [
      'Observation/iobs1',
      'Observation/iobs2',
      'DiagnosticReport/idr1',
    ]);
  });
  it('Practitioner?_revinclude=Observation:performer', async () => {
    await expectIncluded('_id=ipr1,ipr2&_revinclude=Observation:performer', 'Practitioner', ['Practitioner/ipr1', 'Practitioner/ipr2'], ['Observation/iobs1']);
  });
  it('a deleted referrer is not reverse-included', async () => {
    await putAll(t, [obs('iobs-gone', 'other', { subject: ref('Patient/ip2') })]);
    await deleteOk(t, 'Observation', 'iobs-gone');
    await expectIncluded('_id=ip2&_revinclude=Observation:subject', 'Patient', ['Patient/ip2'], ['Observation/iobs3', 'Observation/iobs5']);
  });
  it('_count limits the matches, not the included resources', async () => {
    const r = await allPages(t, 'Patient', '_id=ip1,ip2&_revinclude=Observation:subject&_count=1&_sort=_id', { count: 1 });
    assert.deepEqual(r.matches, ['Patient/ip1', 'Patient/ip2']);
    assert.deepEqual(sorted(keysOf(r.pages[0], 'include')), ['Observation/iobs1', 'Observation/iobs2']);
    assert.deepEqual(sorted(keysOf(r.pages[1], 'include')), ['Observation/iobs3', 'Observation/iobs5']);
  });
});
