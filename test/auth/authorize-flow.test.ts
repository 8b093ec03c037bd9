/**
 * /oauth/authorize happy paths, driven like a script drives the pages: GET authorize -> hidden
 * inputs from the HTML -> POST login -> (POST patient picker) -> POST consent -> 302 with code and
 * state; the code is then redeemed with redeemCode to read the grant.
 */
import { describe, it, before } from 'node:test';
import assert from 'node:assert/strict';
import request from 'supertest';
import { useTestApp } from '../helpers/app.js';
import { redeemCode } from '../../src/auth/authorize/index.js';
import { accountOf } from '../../src/auth/accounts/index.js';
import {
  BASE, REDIRECT, createPractitioner, createResource, inputs, insertClient, pkce, postForm, runFlow, signupPatient, standardParams,
  authorizeQuery, formBody, type User,
} from './authorize-helpers.js';
import type { OAuthClient } from '../../src/auth/types.js';

const ADMIN = { email: 'root@example.org', password: 'admin password 123' };
describe('/oauth/authorize', () => {
  const t = useTestApp({ FHIR_ADMIN_EMAIL: ADMIN.email, FHIR_ADMIN_PASSWORD: ADMIN.password });

  let client: OAuthClient;
  let ana: User;
  let doctor: User;
  const mine: string[] = [];
  let cancelledOnly: string;
  let stranger: string;

  before(async () => {
    client = await insertClient(t);
    ana = await signupPatient(t, 'Ana', 'Souza');
    doctor = await createPractitioner(t, 'Carla Mendes');
    const other = await createPractitioner(t, 'Outro Medico');
    const p = async (given: string, extra: Partial<fhir4.Patient> = {}) => (await createResource(t, { resourceType: 'Patient', name: [{ given: [given], family: 'Teste' }], ...extra } as fhir4.Patient)).id;
    const byAppointment = await p('Bruno');
    const byEncounter = await p('Clara');
    const byGp = await p('Davi', { generalPractitioner: [{ reference: doctor.fhirUser }] });
    cancelledOnly = await p('Elisa');
    stranger = await p('Fabio', { generalPractitioner: [{ reference: other.fhirUser }] });
    mine.push(byAppointment, byEncounter, byGp);
    await createResource(t, { resourceType: 'Appointment', status: 'booked', participant: [{ actor: { reference: `Patient/${byAppointment}` }, status: 'accepted' }, { actor: { reference: doctor.fhirUser }, status: 'accepted' }] });
    await createResource(t, { resourceType: 'Appointment', status: 'cancelled', participant: [{ actor: { reference: `Patient/${cancelledOnly}` }, status: 'accepted' }, { actor: { reference: doctor.fhirUser }, status: 'accepted' }] });
    await createResource(t, { resourceType: 'Encounter', status: 'finished', class: { code: 'AMB' }, subject: { reference: `Patient/${byEncounter}` }, participant: [{ individual: { reference: doctor.fhirUser } }] });
  });

  async function redeem(location: URL, verifier: string, c = client) {
    const code = location.searchParams.get('code');
    assert.ok(code, `no code in ${location.href}`);
    return redeemCode(t.auth.deps, { code, clientId: c._id, redirectUri: c.redirect_uris[0], codeVerifier: verifier });
  }

  describe('standalone launch of a patient', () => {
    it('gives the patient their own record as context, with the code and the state', async () => {
      const { verifier, challenge } = pkce();
      const params = standardParams(client, challenge, { nonce: 'n-123' });
      const { location, offered } = await runFlow(t.rawApp, params, { user: ana });
      assert.equal(`${location.origin}${location.pathname}`, REDIRECT);
      assert.equal(location.searchParams.get('state'), params.state);
      assert.deepEqual(offered, ['openid', 'fhirUser', 'launch/patient', 'patient/*.rs']);
      const grant = await redeem(location, verifier);
      assert.ok(grant);
      assert.equal(grant.patient, ana.id);
      assert.equal(grant.needPatientBanner, true);
      assert.equal(grant.fhirUser, ana.fhirUser);
      assert.equal(grant.role, 'patient');
      assert.equal(grant.scope, 'openid fhirUser launch/patient patient/*.rs');
      assert.equal(grant.nonce, 'n-123');
      assert.equal(grant.clientId, client._id);
      assert.equal(grant.redirectUri, REDIRECT);
      assert.equal(grant.accountId, (await accountOf(t.auth.deps, ana.fhirUser))!._id);
      assert.ok(Math.abs(grant.authTime - Date.now() / 1000) < 60);
    });

    it('without launch/patient sets no patient context', async () => {
      const { verifier, challenge } = pkce();
      const { location } = await runFlow(t.rawApp, standardParams(client, challenge, { scope: 'openid fhirUser patient/*.rs' }), { user: ana });
      const grant = await redeem(location, verifier);
      assert.equal(grant?.patient, undefined);
      assert.equal(grant?.needPatientBanner, false);
    });

    it('accepts the e-mail in any case, and an authorization request posted as a form', async () => {
      const { verifier, challenge } = pkce();
      const params = standardParams(client, challenge);
      const first = await postForm(t.rawApp, params);
      assert.equal(first.status, 200);
      let page = inputs(first.text);
      const login = await postForm(t.rawApp, { ...page.hidden, username: ana.email.toUpperCase(), password: ana.password });
      assert.equal(login.status, 200, login.text);
      page = inputs(login.text);
      const done = await postForm(t.rawApp, { ...page.hidden, scope: page.checkboxes.scope, decision: 'allow' });
      assert.equal(done.status, 302);
      const grant = await redeem(new URL(done.headers.location), verifier);
      assert.equal(grant?.patient, ana.id);
    });

    it('unticking a scope leaves it out of the grant; unticking launch/patient drops the context', async () => {
      const { verifier, challenge } = pkce();
      const { location } = await runFlow(t.rawApp, standardParams(client, challenge), { user: ana, tick: (s) => s.filter((x) => x !== 'fhirUser') });
      assert.equal((await redeem(location, verifier))?.scope, 'openid launch/patient patient/*.rs');
      const second = pkce();
      const r2 = await runFlow(t.rawApp, standardParams(client, second.challenge), { user: ana, tick: (s) => s.filter((x) => x !== 'launch/patient') });
      const grant = await redeem(r2.location, second.verifier);
      assert.equal(grant?.scope, 'openid fhirUser patient/*.rs');
      assert.equal(grant?.patient, undefined);
      assert.equal(grant?.needPatientBanner, false);
    });

    it('a scope that was not offered cannot be added on the consent form', async () => {
      const { verifier, challenge } = pkce();
      const { location } = await runFlow(t.rawApp, standardParams(client, challenge, { scope: 'launch/patient patient/Observation.rs' }), {
        user: ana, tick: (s) => [...s, 'patient/*.cruds', 'user/*.cruds', 'offline_access'],
      });
      assert.equal((await redeem(location, verifier))?.scope, 'launch/patient patient/Observation.rs');
    });

    it('deny answers access_denied with the state and no code', async () => {
      const { challenge } = pkce();
      const params = standardParams(client, challenge);
      const { location } = await runFlow(t.rawApp, params, { user: ana, decision: 'deny' });
      assert.equal(location.searchParams.get('error'), 'access_denied');
      assert.equal(location.searchParams.get('state'), params.state);
      assert.equal(location.searchParams.get('code'), null);
    });

    it('allowing with every scope unticked is access_denied, not an empty grant', async () => {
      const { challenge } = pkce();
      const { location } = await runFlow(t.rawApp, standardParams(client, challenge), { user: ana, tick: () => [] });
      assert.equal(location.searchParams.get('error'), 'access_denied');
      assert.equal(location.searchParams.get('code'), null);
    });

    it('the consent page describes each scope in words', async () => {
      const first = await request(t.rawApp).get(`/oauth/authorize?${authorizeQuery(standardParams(client, pkce().challenge, { scope: 'launch/patient patient/Observation.rs patient/*.cruds offline_access' }))}`);
      const login = await postForm(t.rawApp, { ...inputs(first.text).hidden, username: ana.email, password: ana.password });
      assert.match(login.text, /Read and search your Observations/);
      assert.match(login.text, /Create, read, update, delete and search your records/);
      assert.match(login.text, /Keep access when you are not using the app/);
      assert.match(login.text, /Ana Souza/);
    });
  });

  describe('sign-in failures', () => {
    it('a wrong password shows the login form again with a message; the same flow then goes on', async () => {
      const { verifier, challenge } = pkce();
      const first = await request(t.rawApp).get(`/oauth/authorize?${authorizeQuery(standardParams(client, challenge))}`);
      const hidden = inputs(first.text).hidden;
      const wrong = await postForm(t.rawApp, { ...hidden, username: ana.email, password: 'not the password' });
      assert.equal(wrong.status, 401);
      assert.match(wrong.text, /not correct/);
      assert.match(wrong.text, /name="password"/);
      assert.doesNotMatch(wrong.text, /not the password/);
      const right = await postForm(t.rawApp, { ...inputs(wrong.text).hidden, username: ana.email, password: ana.password });
      assert.equal(right.status, 200);
      const page = inputs(right.text);
      assert.equal(page.hidden.step, 'consent');
      const done = await postForm(t.rawApp, { ...page.hidden, scope: page.checkboxes.scope, decision: 'allow' });
      assert.ok(await redeem(new URL(done.headers.location), verifier));
    });

    it('a locked account gets the login form with the lock message, even with the right password', async () => {
      const { clock: accountsClock } = await import('../../src/auth/clock.js');
      const sleep = accountsClock.sleep;
      accountsClock.sleep = async () => {};
      try {
        const bia = await signupPatient(t, 'Bia', 'Locked');
        const first = await request(t.rawApp).get(`/oauth/authorize?${authorizeQuery(standardParams(client, pkce().challenge))}`);
        const hidden = inputs(first.text).hidden;
        for (let i = 0; i < 5; i++) await postForm(t.rawApp, { ...hidden, username: bia.email, password: `wrong password ${i}` });
        const res = await postForm(t.rawApp, { ...hidden, username: bia.email, password: bia.password });
        assert.equal(res.status, 401);
        assert.match(res.text, /locked/);
        assert.equal(inputs(res.text).hidden.step, 'login');
      } finally {
        accountsClock.sleep = sleep;
      }
    });

    it('an empty username or password is a 400 login page', async () => {
      const first = await request(t.rawApp).get(`/oauth/authorize?${authorizeQuery(standardParams(client, pkce().challenge))}`);
      const res = await postForm(t.rawApp, { ...inputs(first.text).hidden, username: '', password: '' });
      assert.equal(res.status, 400);
      assert.match(res.text, /name="username"/);
    });

    it('a login AuditEvent is written for the failure (by logIn)', async () => {
      const res = await request(t.app).get('/fhir/AuditEvent?_count=200');
      assert.equal(res.status, 200);
      const details = (res.body.entry ?? []).map((e: { resource: fhir4.AuditEvent }) => e.resource.outcomeDesc ?? '');
      assert.ok(details.some((d: string) => /failed/.test(d)), JSON.stringify(details));
    });

    it('an unknown or finished request_id is an error page, not a redirect', async () => {
      const res = await postForm(t.rawApp, { request_id: 'nope', step: 'login', username: ana.email, password: ana.password });
      assert.equal(res.status, 400);
      assert.equal(res.headers.location, undefined);
      assert.match(res.headers['content-type'], /^text\/html; charset=utf-8/);
    });

    it('a flow issues one code: the consent form posted twice gives an error page the second time', async () => {
      const first = await request(t.rawApp).get(`/oauth/authorize?${authorizeQuery(standardParams(client, pkce().challenge))}`);
      const login = await postForm(t.rawApp, { ...inputs(first.text).hidden, username: ana.email, password: ana.password });
      const page = inputs(login.text);
      const fields = { ...page.hidden, scope: page.checkboxes.scope, decision: 'allow' };
      const [a, b] = await Promise.all([postForm(t.rawApp, fields), postForm(t.rawApp, fields)]);
      assert.deepEqual([a.status, b.status].sort(), [302, 400]);
      const again = await postForm(t.rawApp, fields);
      assert.equal(again.status, 400);
      assert.equal(again.headers.location, undefined);
    });

    it('the login form posted again after signing in shows the current step (consent)', async () => {
      const first = await request(t.rawApp).get(`/oauth/authorize?${authorizeQuery(standardParams(client, pkce().challenge))}`);
      const hidden = inputs(first.text).hidden;
      await postForm(t.rawApp, { ...hidden, username: ana.email, password: ana.password });
      const again = await postForm(t.rawApp, { ...hidden, username: doctor.email, password: doctor.password });
      assert.equal(again.status, 200);
      assert.equal(inputs(again.text).hidden.step, 'consent');
      assert.match(again.text, /Ana Souza/);
    });
  });

  describe('practitioner patient picker', () => {
    it('lists exactly their patients (appointment not cancelled, encounter, general practitioner)', async () => {
      const { verifier, challenge } = pkce();
      const { location, picker } = await runFlow(t.rawApp, standardParams(client, challenge, { scope: 'openid fhirUser launch/patient patient/*.rs' }), { user: doctor, pick: `Patient/${mine[0]}` });
      assert.deepEqual([...(picker ?? [])].sort(), mine.map((id) => `Patient/${id}`).sort());
      const grant = await redeem(location, verifier);
      assert.equal(grant?.patient, mine[0]);
      assert.equal(grant?.role, 'practitioner');
      assert.equal(grant?.fhirUser, doctor.fhirUser);
      assert.equal(grant?.needPatientBanner, true);
    });

    it('each relation (appointment, encounter, general practitioner) makes a patient one they may pick', async () => {
      for (const id of mine) {
        const { verifier, challenge } = pkce();
        const { location } = await runFlow(t.rawApp, standardParams(client, challenge), { user: doctor, pick: `Patient/${id}` });
        assert.equal((await redeem(location, verifier))?.patient, id);
      }
    });

    it('accepts a bare id', async () => {
      const { verifier, challenge } = pkce();
      const { location } = await runFlow(t.rawApp, standardParams(client, challenge), { user: doctor, pick: mine[2] });
      assert.equal((await redeem(location, verifier))?.patient, mine[2]);
    });

    it('refuses a patient who is not theirs (only a cancelled appointment, or someone else\'s), and nothing at all', async () => {
      const first = await request(t.rawApp).get(`/oauth/authorize?${authorizeQuery(standardParams(client, pkce().challenge))}`);
      const login = await postForm(t.rawApp, { ...inputs(first.text).hidden, username: doctor.email, password: doctor.password });
      const hidden = inputs(login.text).hidden;
      assert.equal(hidden.step, 'patient');
      for (const patient of [`Patient/${cancelledOnly}`, stranger, 'Patient/does-not-exist', '../../x', undefined]) {
        const res = await postForm(t.rawApp, { ...hidden, patient, decision: 'allow' });
        assert.equal(res.status, 400, String(patient));
        assert.equal(inputs(res.text).hidden.step, 'patient');
      }
      const cancel = await postForm(t.rawApp, { ...hidden, decision: 'deny' });
      assert.equal(cancel.status, 302);
      assert.equal(new URL(cancel.headers.location).searchParams.get('error'), 'access_denied');
    });

    it('an administrator may open any existing patient by id (free entry)', async () => {
      const { verifier, challenge } = pkce();
      const first = await request(t.rawApp).get(`/oauth/authorize?${authorizeQuery(standardParams(client, challenge))}`);
      const login = await postForm(t.rawApp, { ...inputs(first.text).hidden, username: ADMIN.email, password: ADMIN.password });
      assert.equal(login.status, 200, login.text);
      const hidden = inputs(login.text).hidden;
      assert.equal(hidden.step, 'patient');
      assert.match(login.text, /type="text" name="patient"/);
      assert.equal((await postForm(t.rawApp, { ...hidden, patient: 'Patient/does-not-exist', decision: 'allow' })).status, 400);
      const consent = await postForm(t.rawApp, { ...hidden, patient: `Patient/${stranger}`, decision: 'allow' });
      const page = inputs(consent.text);
      const done = await postForm(t.rawApp, { ...page.hidden, scope: page.checkboxes.scope, decision: 'allow' });
      const grant = await redeem(new URL(done.headers.location), verifier);
      assert.equal(grant?.patient, stranger);
      assert.equal(grant?.role, 'admin');
    });
  });

  describe('EHR launch', () => {
    it('with an encounter: the launch context becomes the context, without a picker', async () => {
      const patient = mine[1];
      const encounter = await createResource(t, { resourceType: 'Encounter', status: 'in-progress', class: { code: 'AMB' }, subject: { reference: `Patient/${patient}` }, participant: [{ individual: { reference: doctor.fhirUser } }] });
      const account = (await accountOf(t.auth.deps, doctor.fhirUser))!;
      const token = await t.token({ sub: account._id, client_id: 'ehr', scope: 'openid fhirUser user/*.cruds', role: 'practitioner', fhirUser: doctor.fhirUser });
      const created = await request(t.rawApp).post('/oauth/launch').set('Authorization', `Bearer ${token}`).send({ client_id: client._id, patient: `Patient/${patient}`, encounter: encounter.id });
      assert.equal(created.status, 201, JSON.stringify(created.body));
      assert.match(created.body.launch, /^[A-Za-z0-9_-]{43,}$/);
      const { verifier, challenge } = pkce();
      const { location, picker } = await runFlow(t.rawApp, standardParams(client, challenge, { scope: 'launch openid fhirUser patient/*.rs user/*.rs', launch: created.body.launch }), { user: doctor });
      assert.equal(picker, undefined);
      const grant = await redeem(location, verifier);
      assert.equal(grant?.patient, patient);
      assert.equal(grant?.encounter, encounter.id);
      assert.equal(grant?.needPatientBanner, true);
      assert.equal(grant?.scope, 'launch openid fhirUser patient/*.rs user/*.rs');
    });
  });

  describe('the pages', () => {
    it('are uncacheable, unframeable HTML', async () => {
      const res = await request(t.rawApp).get(`/oauth/authorize?${authorizeQuery(standardParams(client, pkce().challenge))}`);
      assert.equal(res.headers['content-type'], 'text/html; charset=utf-8');
      assert.equal(res.headers['cache-control'], 'no-store');
      assert.equal(res.headers['x-frame-options'], 'DENY');
      assert.match(res.headers['content-security-policy'], /frame-ancestors 'none'/);
      assert.match(res.text, /<form method="post" action="http:\/\/localhost:8080\/oauth\/authorize">/);
      assert.match(res.text, /name="username"/);
      assert.match(res.text, /type="password" name="password"/);
    });

    it('send the shared security headers; forms go to this server or, by the redirect that ends the flow, to the app', async () => {
      const res = await request(t.rawApp).get(`/oauth/authorize?${authorizeQuery(standardParams(client, pkce().challenge))}`);
      assert.equal(res.headers['x-content-type-options'], 'nosniff');
      assert.equal(res.headers['referrer-policy'], 'no-referrer');
      const csp = res.headers['content-security-policy'];
      assert.match(csp, /default-src 'none'/);
      assert.match(csp, /base-uri 'none'/);
      assert.match(csp, /form-action 'self' https:\/\/app\.example\.org;/);
      const error = await request(t.rawApp).get('/oauth/authorize?client_id=nobody');
      assert.match(error.headers['content-security-policy'], /form-action 'self';/);
    });

    it('the aud may end in a slash', async () => {
      const res = await request(t.rawApp).get(`/oauth/authorize?${authorizeQuery(standardParams(client, pkce().challenge, { aud: `${BASE}/` }))}`);
      assert.equal(res.status, 200);
    });

    it('other methods are 405', async () => {
      const res = await request(t.rawApp).put('/oauth/authorize').type('form').send(formBody({ a: 'b' }));
      assert.equal(res.status, 405);
    });
  });
});
