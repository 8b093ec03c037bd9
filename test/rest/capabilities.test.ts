/**
 * capabilities: GET [base]/metadata, and consistency between what is declared and what works.
 * hl7.org/fhir/R4/http.html#capabilities, capabilitystatement.html
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createTestApp, type TestApp } from '../helpers/app.js';
import {
  api, BASE_URL, R4_RESOURCE_TYPES, assertFhirJson, assertNoServerKeys, create, expectStatus, patchResource,
  postResource, putResource, read, show,
} from './_util.js';

let t: TestApp;
let cs: any;
before(async () => {
  t = await createTestApp();
  const res = await api(t).get('/fhir/metadata');
  expectStatus(res, 200);
  cs = res.body;
});
after(async () => {
  await t?.close();
});

const codes = (list: any[] | undefined) => (list ?? []).map((i: any) => i.code);
const patientEntry = () => cs.rest?.[0]?.resource?.find((r: any) => r.type === 'Patient');

describe('GET /fhir/metadata', () => {
  it('is a CapabilityStatement in application/fhir+json', async () => {
    const res = await api(t).get('/fhir/metadata');
    expectStatus(res, 200);
    assertFhirJson(res);
    assert.equal(res.body.resourceType, 'CapabilityStatement');
    assertNoServerKeys(res.body);
  });

  it('has the required elements: status, date, kind, fhirVersion 4.0.1, format incl. json', () => {
    assert.ok(['draft', 'active', 'retired', 'unknown'].includes(cs.status), `status ${cs.status}`);
    assert.equal(typeof cs.date, 'string');
    assert.ok(!Number.isNaN(Date.parse(cs.date)), `date ${cs.date}`);
    assert.ok(['instance', 'capability'].includes(cs.kind), `kind ${cs.kind}`);
    assert.equal(cs.fhirVersion, '4.0.1');
    assert.ok(Array.isArray(cs.format));
    assert.ok(cs.format.includes('json') || cs.format.includes('application/fhir+json'), `format ${cs.format}`);
    assert.ok(!cs.format.some((f: string) => /xml|turtle|ttl/.test(f)), `declares a format it does not support: ${cs.format}`);
  });

  it('satisfies the kind invariants (cpb-2, cpb-14, cpb-15)', () => {
    assert.ok(cs.description || cs.software || cs.implementation, 'cpb-2');
    if (cs.kind === 'instance') {
      assert.ok(cs.implementation, 'cpb-14: kind=instance needs implementation');
      assert.equal(typeof cs.implementation.description, 'string');
      if (cs.implementation.url) assert.equal(cs.implementation.url.replace(/\/$/, ''), BASE_URL);
    }
    if (cs.kind === 'capability') {
      assert.equal(cs.implementation, undefined, 'cpb-15');
      assert.equal(typeof cs.software?.name, 'string', 'cpb-15: software.name');
    }
    if (cs.software) assert.equal(typeof cs.software.name, 'string');
  });

  it('rest[0].mode is server, with transaction, batch and history-system', () => {
    assert.ok(cs.rest?.length >= 1, 'rest missing');
    assert.equal(cs.rest[0].mode, 'server');
    const sys = codes(cs.rest[0].interaction);
    for (const c of ['transaction', 'batch', 'history-system']) assert.ok(sys.includes(c), `system interaction ${c} missing: ${sys}`);
    for (const c of sys) assert.ok(['transaction', 'batch', 'search-system', 'history-system'].includes(c), `unknown system interaction ${c}`);
  });

  it('lists every R4 resource type exactly once', () => {
    const types = cs.rest[0].resource.map((r: any) => r.type);
    const missing = R4_RESOURCE_TYPES.filter((x) => !types.includes(x));
    assert.deepEqual(missing, [], `types missing from the CapabilityStatement: ${missing}`);
    assert.equal(new Set(types).size, types.length, 'cpb-9: a type is described twice');
  });

  it('Patient declares read, vread, update, patch, delete, history-instance, history-type, create', () => {
    const ia = codes(patientEntry()?.interaction);
    for (const c of ['read', 'vread', 'update', 'patch', 'delete', 'history-instance', 'history-type', 'create']) {
      assert.ok(ia.includes(c), `Patient interaction ${c} missing: ${ia}`);
    }
    const valid = ['read', 'vread', 'update', 'patch', 'delete', 'history-instance', 'history-type', 'create', 'search-type'];
    for (const c of ia) assert.ok(valid.includes(c), `unknown type interaction ${c}`);
  });

  it('declares update-as-create (updateCreate) consistently with PUT to a new id', async () => {
    const p = patientEntry();
    const res = await putResource(t, { resourceType: 'Patient', id: 'cap-update-create', active: true });
    if (p?.updateCreate === false) expectStatus(res, [400, 405, 404, 422]);
    else expectStatus(res, 201);
  });

  it('declares JSON Patch among patchFormat if present', () => {
    const pf = cs.patchFormat;
    if (pf !== undefined) assert.ok(pf.includes('application/json-patch+json'), `patchFormat ${pf}`);
  });

  it('Binary is listed', () => {
    assert.ok(cs.rest[0].resource.some((r: any) => r.type === 'Binary'));
  });

  it('_format=json on metadata works', async () => {
    const res = await api(t).get('/fhir/metadata?_format=json');
    expectStatus(res, 200);
    assert.equal(JSON.parse(res.text).resourceType, 'CapabilityStatement');
  });

  it('GET /fhir/metadata with Accept: application/fhir+json works', async () => {
    const res = await api(t).get('/fhir/metadata').set('Accept', 'application/fhir+json');
    expectStatus(res, 200);
    assertFhirJson(res);
  });
});

describe('every declared interaction works', () => {
  it('each Patient interaction listed is actually served', async () => {
    const ia: string[] = codes(patientEntry()?.interaction);
    assert.ok(ia.length > 0);
    const p = await create(t, { resourceType: 'Patient', name: [{ family: 'Cap' }] });
    const failures: string[] = [];
    const check = (code: string, res: any, ok: (r: any) => boolean) => {
      if (!ok(res)) failures.push(`${code}: ${show(res).slice(0, 300)}`);
    };
    for (const code of ia) {
      switch (code) {
        case 'create':
          check(code, await postResource(t, { resourceType: 'Patient', active: true }), (r) => r.status === 201);
          break;
        case 'read':
          check(code, await read(t, 'Patient', p.id), (r) => r.status === 200 && r.body.id === p.id);
          break;
        case 'vread':
          check(code, await api(t).get(`/fhir/Patient/${p.id}/_history/1`), (r) => r.status === 200 && r.body.meta?.versionId === '1');
          break;
        case 'update':
          check(code, await putResource(t, { resourceType: 'Patient', id: p.id, name: [{ family: 'Cap2' }] }), (r) => r.status === 200);
          break;
        case 'patch':
          check(code, await patchResource(t, `/fhir/Patient/${p.id}`, [{ op: 'add', path: '/active', value: true }]), (r) => r.status === 200 && r.body.active === true);
          break;
        case 'history-instance':
          check(code, await api(t).get(`/fhir/Patient/${p.id}/_history`), (r) => r.status === 200 && r.body.type === 'history' && r.body.entry?.length >= 1);
          break;
        case 'history-type':
          check(code, await api(t).get('/fhir/Patient/_history'), (r) => r.status === 200 && r.body.type === 'history' && r.body.entry?.length >= 1);
          break;
        case 'search-type':
          check(code, await api(t).get('/fhir/Patient'), (r) => r.status === 200 && r.body.resourceType === 'Bundle' && r.body.type === 'searchset');
          break;
        case 'delete': {
          const d = await create(t, { resourceType: 'Patient', active: true });
          const res = await api(t).delete(`/fhir/Patient/${d.id}`);
          check(code, res, (r) => r.status === 200 || r.status === 204);
          check('delete (then read)', await read(t, 'Patient', d.id), (r) => r.status === 410);
          break;
        }
        default:
          failures.push(`${code}: unknown interaction code`);
      }
    }
    assert.deepEqual(failures, []);
  });

  it('search-type is not listed for Patient unless GET /fhir/Patient works', async () => {
    const listed = codes(patientEntry()?.interaction).includes('search-type');
    const res = await api(t).get('/fhir/Patient');
    const works = res.status === 200 && res.body?.resourceType === 'Bundle' && res.body?.type === 'searchset';
    if (listed) assert.ok(works, `search-type declared but GET /fhir/Patient gives ${show(res)}`);
    if (!works) {
      assert.ok(!listed);
      assert.ok(res.status >= 400 && res.status < 500, `GET /fhir/Patient without search must be a 4xx, got ${res.status}`);
      assert.equal(res.body?.resourceType, 'OperationOutcome');
    }
  });

  it('conditional interactions are not declared unless search-type is (they need search)', () => {
    for (const r of cs.rest[0].resource) {
      if (codes(r.interaction).includes('search-type')) continue;
      assert.ok(r.conditionalCreate !== true, `${r.type}: conditionalCreate without search`);
      assert.ok(r.conditionalUpdate !== true, `${r.type}: conditionalUpdate without search`);
      assert.ok(r.conditionalDelete === undefined || r.conditionalDelete === 'not-supported', `${r.type}: conditionalDelete ${r.conditionalDelete}`);
      assert.equal((r.searchParam ?? []).length, 0, `${r.type}: searchParam declared without search-type`);
    }
  });

  it('search-system is not listed unless GET /fhir?… works', async () => {
    const listed = codes(cs.rest[0].interaction).includes('search-system');
    if (listed) {
      const res = await api(t).get('/fhir?_type=Patient');
      expectStatus(res, 200);
      assert.equal(res.body.type, 'searchset');
    }
  });

  it('every type declaring history-type serves GET /fhir/{type}/_history, and read serves a 404 for a missing id', async () => {
    const failures: string[] = [];
    for (const r of cs.rest[0].resource) {
      const ia = codes(r.interaction);
      if (ia.includes('history-type')) {
        const res = await api(t).get(`/fhir/${r.type}/_history`);
        if (res.status !== 200 || res.body?.type !== 'history') failures.push(`${r.type} history-type: ${res.status}`);
      }
      if (ia.includes('read')) {
        const res = await api(t).get(`/fhir/${r.type}/cap-missing-id`);
        if (res.status !== 404) failures.push(`${r.type} read: ${res.status}`);
      }
    }
    assert.deepEqual(failures, []);
  });

  it('declared system interactions work: transaction, batch, history-system', async () => {
    const sys = codes(cs.rest[0].interaction);
    if (sys.includes('transaction')) {
      const res = await postResource(t, { resourceType: 'Bundle', type: 'transaction', entry: [] }, '/fhir');
      expectStatus(res, 200, 'empty transaction');
      assert.equal(res.body.type, 'transaction-response');
    }
    if (sys.includes('batch')) {
      const res = await postResource(t, { resourceType: 'Bundle', type: 'batch', entry: [] }, '/fhir');
      expectStatus(res, 200, 'empty batch');
      assert.equal(res.body.type, 'batch-response');
    }
    if (sys.includes('history-system')) {
      const res = await api(t).get('/fhir/_history');
      expectStatus(res, 200);
      assert.equal(res.body.type, 'history');
    }
  });

  it('declared operations (if any) have a name and a definition', () => {
    for (const r of cs.rest[0].resource) {
      for (const op of r.operation ?? []) {
        assert.equal(typeof op.name, 'string', `${r.type} operation without name`);
        assert.equal(typeof op.definition, 'string', `${r.type} operation ${op.name} without definition`);
      }
    }
    for (const op of cs.rest[0].operation ?? []) {
      assert.equal(typeof op.name, 'string');
      assert.equal(typeof op.definition, 'string');
    }
  });

  it('a declared $validate operation on Patient works', async () => {
    const ops = [...(patientEntry()?.operation ?? []), ...(cs.rest[0].operation ?? [])].map((o: any) => o.name.replace(/^\$/, ''));
    if (ops.includes('validate')) {
      const res = await postResource(t, { resourceType: 'Patient', active: true }, '/fhir/Patient/$validate');
      expectStatus(res, 200);
      assert.equal(res.body.resourceType, 'OperationOutcome');
    }
  });
});
