/**
 * The access decision over every interaction, for patient, practitioner (user/) and system tokens:
 * read, vread, search (type, compartment, system), _include, _revinclude, _has, chains, history
 * (instance, type, system), create, update, patch, delete, conditional interactions, batch and
 * transaction entries, Binary, operations, and the 401 cases (none, malformed, expired, revoked).
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import request from 'supertest';
import { createTestApp, type TestApp } from '../helpers/app.js';

const FHIR = 'application/fhir+json';
type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

let t: TestApp;
const ids: Record<string, string> = {};
const tok: Record<string, string> = {};

async function seed(type: string, body: Json): Promise<string> {
  const r = await request(t.app).post(`/fhir/${type}`).set('Content-Type', FHIR).send({ resourceType: type, ...body });
  assert.equal(r.status, 201, JSON.stringify(r.body));
  return r.body.id as string;
}

function as(token: string | undefined) {
  const agent = request(t.rawApp);
  const auth = (r: request.Test) => (token ? r.set('Authorization', `Bearer ${token}`) : r);
  return {
    get: (url: string) => auth(agent.get(url).set('Accept', FHIR)),
    post: (url: string, body: unknown, type = FHIR) => auth(agent.post(url).set('Content-Type', type).send(body as object)),
    put: (url: string, body: unknown) => auth(agent.put(url).set('Content-Type', FHIR).send(body as object)),
    patch: (url: string, body: unknown) => auth(agent.patch(url).set('Content-Type', 'application/json-patch+json').send(JSON.stringify(body))),
    delete: (url: string) => auth(agent.delete(url)),
  };
}

const idsOf = (bundle: Json, mode = 'match') => ((bundle.entry ?? []) as Json[]).filter((e) => e.search?.mode === mode).map((e) => `${e.resource.resourceType}/${e.resource.id}`).sort();

after(async () => t?.close());

before(async () => {
  t = await createTestApp();
  ids.prX = await seed('Practitioner', { name: [{ family: 'Xavier' }] });
  ids.prY = await seed('Practitioner', { name: [{ family: 'Yara' }] });
  ids.pA = await seed('Patient', { name: [{ family: 'Alves' }], generalPractitioner: [{ reference: `Practitioner/${ids.prX}` }] });
  ids.pB = await seed('Patient', { name: [{ family: 'Barros' }] });
  const obs = (p: string, performer: string, cat: string, code: string) => ({
    status: 'final',
    category: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/observation-category', code: cat }] }],
    code: { coding: [{ system: 'http://loinc.org', code }] },
    subject: { reference: `Patient/${p}` },
    performer: [{ reference: `Practitioner/${performer}` }],
  });
  ids.oA1 = await seed('Observation', obs(ids.pA, ids.prX, 'laboratory', '2345-7'));
  ids.oA2 = await seed('Observation', obs(ids.pA, ids.prY, 'vital-signs', '8480-6'));
  ids.oB1 = await seed('Observation', obs(ids.pB, ids.prY, 'laboratory', '2345-7'));
  ids.loc = await seed('Location', { name: 'Clinic' });
  ids.binA = await seed('Binary', { contentType: 'text/plain', data: Buffer.from('a').toString('base64'), securityContext: { reference: `Observation/${ids.oA1}` } });
  ids.binB = await seed('Binary', { contentType: 'text/plain', data: Buffer.from('b').toString('base64'), securityContext: { reference: `Observation/${ids.oB1}` } });
  // a second version of oA1, for vread and history
  const cur = (await request(t.app).get(`/fhir/Observation/${ids.oA1}`)).body;
  assert.equal((await request(t.app).put(`/fhir/Observation/${ids.oA1}`).set('Content-Type', FHIR).send({ ...cur, status: 'amended' })).status, 200);

  const patient = (scope: string) => t.token({ sub: 'acc-a', client_id: 'app', scope, role: 'patient', patient: ids.pA, fhirUser: `Patient/${ids.pA}` });
  tok.patient = await patient('launch/patient patient/*.cruds');
  tok.patientObsRead = await patient('patient/Observation.rs');
  tok.patientV1 = await patient('patient/*.read');
  tok.patientLab = await patient('patient/Observation.rs?category=laboratory');
  tok.userPatient = await t.token({ sub: 'acc-a', client_id: 'app', scope: 'user/*.cruds', role: 'patient', fhirUser: `Patient/${ids.pA}` });
  tok.practitioner = await t.token({ sub: 'acc-x', client_id: 'app', scope: 'user/*.cruds', role: 'practitioner', fhirUser: `Practitioner/${ids.prX}` });
  tok.systemPatientRead = await t.token({ sub: 'svc', client_id: 'svc', scope: 'system/Patient.rs', role: 'system' }, 300);
  tok.system = await t.token({ sub: 'svc', client_id: 'svc', scope: 'system/*.cruds', role: 'system' }, 300);
  tok.noFhir = await t.token({ sub: 'acc-a', client_id: 'app', scope: 'openid fhirUser', role: 'patient', fhirUser: `Patient/${ids.pA}` });
});

describe('authentication', () => {
  it('metadata is public; every other FHIR request without a token is 401 with WWW-Authenticate', async () => {
    assert.equal((await as(undefined).get('/fhir/metadata')).status, 200);
    for (const url of ['/fhir/Patient', `/fhir/Patient/${ids.pA}`, '/fhir/_history', '/fhir']) {
      const r = await as(undefined).get(url);
      assert.equal(r.status, 401, url);
      assert.match(r.headers['www-authenticate'], /^Bearer/);
      assert.equal(r.body.resourceType, 'OperationOutcome');
    }
  });
  it('a malformed, forged, expired or revoked token is 401 invalid_token', async () => {
    const forged = tok.system.slice(0, -4) + (tok.system.endsWith('AAAA') ? 'BBBB' : 'AAAA');
    const expired = await t.token({ sub: 'svc', client_id: 'svc', scope: 'system/*.cruds', role: 'system' }, -10);
    for (const bad of ['not-a-jwt', forged, expired]) {
      const r = await as(bad).get('/fhir/Patient');
      assert.equal(r.status, 401);
      assert.match(r.headers['www-authenticate'], /error="invalid_token"/);
    }
    const r = await request(t.rawApp).get('/fhir/Patient').set('Authorization', 'Basic abc');
    assert.equal(r.status, 401);
    const revoked = await t.token({ sub: 'svc', client_id: 'svc', scope: 'system/*.cruds', role: 'system' }, 300);
    assert.equal((await as(revoked).get('/fhir/Patient')).status, 200);
    const claims = await t.auth.deps.tokens.decode(revoked);
    await t.auth.deps.tokens.revoke(claims!);
    assert.equal((await as(revoked).get('/fhir/Patient')).status, 401);
  });
  it('an anonymous request is refused before its body is read', async () => {
    const r = await request(t.rawApp).post('/fhir/Patient').set('Content-Type', FHIR).send('{not json');
    assert.equal(r.status, 401);
  });
  it('a token without FHIR scopes is 403', async () => {
    assert.equal((await as(tok.noFhir).get('/fhir/Patient')).status, 403);
  });
  it('refused requests are audited', async () => {
    await as('garbage').get('/fhir/Observation');
    await new Promise((r) => setTimeout(r, 50));
    const r = await request(t.app).get('/fhir/AuditEvent?_count=100');
    const descs = ((r.body.entry ?? []) as Json[]).map((e) => e.resource.outcomeDesc as string);
    assert.ok(descs.some((d) => d?.startsWith('401 GET /Observation')), JSON.stringify(descs));
  });
});

describe('patient/ scopes: the patient compartment', () => {
  it('read: own resources 200, other patient\'s 404, types outside the compartment 404', async () => {
    assert.equal((await as(tok.patient).get(`/fhir/Patient/${ids.pA}`)).status, 200);
    assert.equal((await as(tok.patient).get(`/fhir/Observation/${ids.oA1}`)).status, 200);
    assert.equal((await as(tok.patient).get(`/fhir/Patient/${ids.pB}`)).status, 404);
    assert.equal((await as(tok.patient).get(`/fhir/Observation/${ids.oB1}`)).status, 404);
    assert.equal((await as(tok.patient).get(`/fhir/Location/${ids.loc}`)).status, 404);
  });
  it('vread and instance history follow the same rule', async () => {
    assert.equal((await as(tok.patient).get(`/fhir/Observation/${ids.oA1}/_history/1`)).status, 200);
    assert.equal((await as(tok.patient).get(`/fhir/Observation/${ids.oB1}/_history/1`)).status, 404);
    const h = await as(tok.patient).get(`/fhir/Observation/${ids.oA1}/_history`);
    assert.equal(h.status, 200);
    assert.equal(h.body.entry.length, 2);
    const hb = await as(tok.patient).get(`/fhir/Observation/${ids.oB1}/_history`);
    assert.equal(hb.body.entry?.length ?? 0, 0);
  });
  it('search is limited in the query: totals and pages count only the compartment', async () => {
    const r = await as(tok.patient).get('/fhir/Observation?_count=1');
    assert.equal(r.status, 200);
    assert.equal(r.body.total, 2);
    assert.equal(r.body.entry.length, 1);
    const next = r.body.link.find((l: Json) => l.relation === 'next').url.replace('http://localhost:8080', '');
    const r2 = await as(tok.patient).get(next);
    assert.equal(r2.body.entry.length, 1);
    assert.deepEqual([...idsOf(r.body), ...idsOf(r2.body)].sort(), [`Observation/${ids.oA1}`, `Observation/${ids.oA2}`].sort());
    const pats = await as(tok.patient).get('/fhir/Patient');
    assert.deepEqual(idsOf(pats.body), [`Patient/${ids.pA}`]);
    const other = await as(tok.patient).get(`/fhir/Patient/${ids.pB}/Observation`);
    assert.equal(other.body.total, 0);
    const sys = await as(tok.patient).get('/fhir?_type=Observation,Patient,Location');
    assert.deepEqual(idsOf(sys.body), [`Observation/${ids.oA1}`, `Observation/${ids.oA2}`, `Patient/${ids.pA}`].sort());
  });
  it('_include, _revinclude, _has and chains never reach outside the compartment', async () => {
    const inc = await as(tok.patient).get('/fhir/Observation?_include=Observation:performer&_include=Observation:subject');
    assert.deepEqual(idsOf(inc.body, 'include'), [`Patient/${ids.pA}`]);
    const rev = await as(tok.system).get(`/fhir/Practitioner?_id=${ids.prY}&_revinclude=Observation:performer`);
    assert.equal(idsOf(rev.body, 'include').length, 2); // the system token sees both
    const revP = await as(tok.patient).get(`/fhir/Patient?_revinclude=Observation:subject`);
    assert.deepEqual(idsOf(revP.body, 'include'), [`Observation/${ids.oA1}`, `Observation/${ids.oA2}`].sort());
    const has = await as(tok.patient).get('/fhir/Patient?_has:Observation:subject:code=2345-7');
    assert.deepEqual(idsOf(has.body), [`Patient/${ids.pA}`]);
    const chain = await as(tok.patient).get('/fhir/Observation?subject.name=Barros');
    assert.equal(chain.body.total, 0);
    const chainOwn = await as(tok.patient).get('/fhir/Observation?subject.name=Alves');
    assert.equal(chainOwn.body.total, 2);
  });
  it('type and system history show only compartment resources', async () => {
    const h = await as(tok.patient).get('/fhir/Observation/_history');
    const seen = new Set(((h.body.entry ?? []) as Json[]).map((e) => e.resource?.id));
    assert.ok(seen.has(ids.oA1) && seen.has(ids.oA2) && !seen.has(ids.oB1));
    const all = await as(tok.patient).get('/fhir/_history?_count=1000');
    const refs = new Set(((all.body.entry ?? []) as Json[]).map((e) => `${e.resource?.resourceType}/${e.resource?.id}`));
    assert.ok(!refs.has(`Patient/${ids.pB}`) && !refs.has(`Location/${ids.loc}`) && refs.has(`Patient/${ids.pA}`));
  });
  it('writes inside the compartment succeed, outside are 403 and write nothing', async () => {
    const mine = { resourceType: 'Observation', status: 'final', code: { text: 'x' }, subject: { reference: `Patient/${ids.pA}` } };
    const c = await as(tok.patient).post('/fhir/Observation', mine);
    assert.equal(c.status, 201);
    const theirs = { ...mine, subject: { reference: `Patient/${ids.pB}` } };
    const before = (await as(tok.system).get(`/fhir/Observation?subject=Patient/${ids.pB}&_summary=count`)).body.total;
    assert.equal((await as(tok.patient).post('/fhir/Observation', theirs)).status, 403);
    // moving an own resource to another patient, and updating another patient's resource
    assert.equal((await as(tok.patient).put(`/fhir/Observation/${c.body.id}`, { ...theirs, id: c.body.id })).status, 403);
    const bObs = (await as(tok.system).get(`/fhir/Observation/${ids.oB1}`)).body;
    assert.equal((await as(tok.patient).put(`/fhir/Observation/${ids.oB1}`, { ...bObs, subject: { reference: `Patient/${ids.pA}` } })).status, 404);
    assert.equal((await as(tok.patient).patch(`/fhir/Observation/${ids.oB1}`, [{ op: 'replace', path: '/status', value: 'cancelled' }])).status, 404);
    assert.equal((await as(tok.patient).patch(`/fhir/Observation/${c.body.id}`, [{ op: 'replace', path: '/subject/reference', value: `Patient/${ids.pB}` }])).status, 403);
    assert.equal((await as(tok.patient).delete(`/fhir/Observation/${ids.oB1}`)).status, 404);
    assert.equal((await as(tok.system).get(`/fhir/Observation/${ids.oB1}`)).body.status, 'final');
    assert.equal((await as(tok.system).get(`/fhir/Observation?subject=Patient/${ids.pB}&_summary=count`)).body.total, before);
    assert.equal((await as(tok.patient).patch(`/fhir/Observation/${c.body.id}`, [{ op: 'replace', path: '/status', value: 'amended' }])).status, 200);
    assert.equal((await as(tok.patient).delete(`/fhir/Observation/${c.body.id}`)).status, 200);
  });
  it('conditional interactions search only the compartment', async () => {
    // another patient's Observation matches the condition, but is not visible: a new one is created for A
    const body = { resourceType: 'Observation', status: 'final', code: { text: 'cond' }, subject: { reference: `Patient/${ids.pA}` } };
    const r = await as(tok.patient).post('/fhir/Observation', body).set('If-None-Exist', `_id=${ids.oB1}`);
    assert.equal(r.status, 201);
    const d = await as(tok.patient).delete(`/fhir/Observation?_id=${ids.oB1}`);
    assert.equal(d.status, 200);
    assert.equal((await as(tok.system).get(`/fhir/Observation/${ids.oB1}`)).status, 200);
  });
  it('batch entries are decided one by one; one refused entry fails a transaction', async () => {
    const batch = {
      resourceType: 'Bundle', type: 'batch',
      entry: [
        { request: { method: 'GET', url: `Patient/${ids.pA}` } },
        { request: { method: 'GET', url: `Patient/${ids.pB}` } },
        { request: { method: 'GET', url: 'Observation?_summary=count' } },
      ],
    };
    const b = await as(tok.patient).post('/fhir', batch);
    assert.equal(b.status, 200);
    assert.deepEqual(b.body.entry.map((e: Json) => e.response.status.slice(0, 3)), ['200', '404', '200']);
    assert.equal(b.body.entry[2].resource.total, 3);
    const tx = {
      resourceType: 'Bundle', type: 'transaction',
      entry: [
        { fullUrl: 'urn:uuid:1', resource: { resourceType: 'Observation', status: 'final', code: { text: 'tx-ok' }, subject: { reference: `Patient/${ids.pA}` } }, request: { method: 'POST', url: 'Observation' } },
        { fullUrl: 'urn:uuid:2', resource: { resourceType: 'Observation', status: 'final', code: { text: 'tx-bad' }, subject: { reference: `Patient/${ids.pB}` } }, request: { method: 'POST', url: 'Observation' } },
      ],
    };
    assert.equal((await as(tok.patient).post('/fhir', tx)).status, 403);
    const written = await as(tok.system).get('/fhir/Observation?code:text=tx-ok&_summary=count');
    assert.equal(written.body.total, 0);
  });
  it('Binary is visible through its securityContext', async () => {
    assert.equal((await as(tok.patient).get(`/fhir/Binary/${ids.binA}`)).status, 200);
    assert.equal((await as(tok.patient).get(`/fhir/Binary/${ids.binB}`)).status, 404);
  });
  it('operations need a grant on their type', async () => {
    const obs = { resourceType: 'Observation', status: 'final', code: { text: 'v' } };
    assert.equal((await as(tok.patient).post('/fhir/Observation/$validate', obs)).status, 200);
    assert.equal((await as(tok.systemPatientRead).post('/fhir/Observation/$validate', obs)).status, 403);
  });
  it('a scope on one type with some letters allows exactly those', async () => {
    assert.equal((await as(tok.patientObsRead).get(`/fhir/Observation/${ids.oA1}`)).status, 200);
    assert.equal((await as(tok.patientObsRead).get('/fhir/Observation')).status, 200);
    assert.equal((await as(tok.patientObsRead).get(`/fhir/Patient/${ids.pA}`)).status, 403);
    assert.equal((await as(tok.patientObsRead).post('/fhir/Observation', { resourceType: 'Observation', status: 'final', code: { text: 'n' }, subject: { reference: `Patient/${ids.pA}` } })).status, 403);
    // v1 read = rs, no writes
    assert.equal((await as(tok.patientV1).get(`/fhir/Patient/${ids.pA}`)).status, 200);
    assert.equal((await as(tok.patientV1).delete(`/fhir/Observation/${ids.oA2}`)).status, 403);
  });
  it('v2 ?param restrictions limit search and read', async () => {
    const r = await as(tok.patientLab).get('/fhir/Observation');
    assert.deepEqual(idsOf(r.body), [`Observation/${ids.oA1}`]);
    assert.equal((await as(tok.patientLab).get(`/fhir/Observation/${ids.oA1}`)).status, 200);
    assert.equal((await as(tok.patientLab).get(`/fhir/Observation/${ids.oA2}`)).status, 404);
  });
});

describe('user/ scopes: the role decides', () => {
  it('a patient user sees their own compartment', async () => {
    assert.equal((await as(tok.userPatient).get(`/fhir/Observation/${ids.oA2}`)).status, 200);
    assert.equal((await as(tok.userPatient).get(`/fhir/Observation/${ids.oB1}`)).status, 404);
    assert.equal((await as(tok.userPatient).get('/fhir/Observation')).body.total, idsOf((await as(tok.patient).get('/fhir/Observation?_count=100')).body).length);
  });
  it('a practitioner sees what they authored or took part in, and the directory', async () => {
    assert.equal((await as(tok.practitioner).get(`/fhir/Observation/${ids.oA1}`)).status, 200); // performer X
    assert.equal((await as(tok.practitioner).get(`/fhir/Observation/${ids.oA2}`)).status, 404); // performer Y
    assert.equal((await as(tok.practitioner).get(`/fhir/Patient/${ids.pA}`)).status, 200); // names X as GP
    assert.equal((await as(tok.practitioner).get(`/fhir/Patient/${ids.pB}`)).status, 404);
    assert.equal((await as(tok.practitioner).get(`/fhir/Location/${ids.loc}`)).status, 200);
    assert.equal((await as(tok.practitioner).get(`/fhir/Practitioner/${ids.prY}`)).status, 200);
    const s = await as(tok.practitioner).get('/fhir/Observation');
    assert.deepEqual(idsOf(s.body), [`Observation/${ids.oA1}`]);
    const w = await as(tok.practitioner).post('/fhir/Observation', { resourceType: 'Observation', status: 'final', code: { text: 'by X' }, subject: { reference: `Patient/${ids.pB}` }, performer: [{ reference: `Practitioner/${ids.prX}` }] });
    assert.equal(w.status, 201);
    const notMine = await as(tok.practitioner).post('/fhir/Observation', { resourceType: 'Observation', status: 'final', code: { text: 'by Y' }, performer: [{ reference: `Practitioner/${ids.prY}` }] });
    assert.equal(notMine.status, 403);
  });
});

describe('system/ scopes', () => {
  it('allow their types and letters on every resource, nothing else', async () => {
    assert.equal((await as(tok.systemPatientRead).get(`/fhir/Patient/${ids.pB}`)).status, 200);
    assert.equal((await as(tok.systemPatientRead).get('/fhir/Patient')).body.total >= 2, true);
    assert.equal((await as(tok.systemPatientRead).get(`/fhir/Observation/${ids.oB1}`)).status, 403);
    assert.equal((await as(tok.systemPatientRead).post('/fhir/Patient', { resourceType: 'Patient' })).status, 403);
    assert.equal((await as(tok.system).get(`/fhir/Binary/${ids.binB}`)).status, 200);
  });
  it('system scopes in a user\'s token grant nothing', async () => {
    const odd = await t.token({ sub: 'acc-a', client_id: 'app', scope: 'system/*.cruds', role: 'patient', fhirUser: `Patient/${ids.pA}` });
    assert.equal((await as(odd).get('/fhir/Patient')).status, 403);
  });
});
