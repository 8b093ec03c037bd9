/**
 * EHR launch: POST /oauth/launch (a user's own token; the client, patient and encounter must exist;
 * a user may only launch on patients they may open) and the launch at /oauth/authorize: single
 * use, 5 minutes, bound to that client and that user.
 */
import { describe, it, before, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import request from 'supertest';
import { useTestApp } from '../helpers/app.js';
import { accountOf } from '../../src/auth/accounts/index.js';
import { redeemCode } from '../../src/auth/authorize/index.js';
import { clock } from '../../src/auth/clock.js';
import {
  REDIRECT, authorizeQuery, createPractitioner, createResource, inputs, insertClient, pkce, postForm, runFlow, signupPatient, standardParams, type User,
} from './authorize-helpers.js';
import type { OAuthClient } from '../../src/auth/types.js';

describe('EHR launch', () => {
  const t = useTestApp();
  let client: OAuthClient;
  let otherClient: OAuthClient;
  let doctor: User;
  let otherDoctor: User;
  let ana: User;
  let patient: string;
  let encounter: string;
  let foreignEncounter: string;
  const realNow = clock.now;

  async function tokenOf(user: User, role: 'patient' | 'practitioner'): Promise<string> {
    const account = (await accountOf(t.auth.deps, user.fhirUser))!;
    return t.token({ sub: account._id, client_id: 'ehr', scope: 'openid fhirUser user/*.cruds', role, fhirUser: user.fhirUser });
  }
  const postLaunch = (token: string | undefined, body: unknown) => {
    const r = request(t.rawApp).post('/oauth/launch');
    if (token) r.set('Authorization', `Bearer ${token}`);
    return r.send(body as object);
  };
  async function newLaunch(body: Record<string, unknown> = {}, user = doctor): Promise<string> {
    const res = await postLaunch(await tokenOf(user, 'practitioner'), { client_id: client._id, patient: `Patient/${patient}`, ...body });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    assert.equal(res.headers['cache-control'], 'no-store');
    return res.body.launch;
  }
  /** Authorize with `launch`, sign in as `user`: the response after the login. */
  async function useLaunch(launch: string, user: User, c = client) {
    const p = standardParams(c, pkce().challenge, { scope: 'launch patient/*.rs', launch });
    const first = await request(t.rawApp).get(`/oauth/authorize?${authorizeQuery(p)}`);
    const state = p.state!;
    if (first.status !== 200) return { res: first, state };
    return { res: await postForm(t.rawApp, { ...inputs(first.text).hidden, username: user.email, password: user.password }), state };
  }
  function assertInvalidRequest(res: request.Response, state: string): void {
    assert.equal(res.status, 302, res.text);
    const location = new URL(res.headers.location);
    assert.equal(`${location.origin}${location.pathname}`, REDIRECT);
    assert.equal(location.searchParams.get('error'), 'invalid_request');
    assert.equal(location.searchParams.get('state'), state);
    assert.equal(location.searchParams.get('code'), null);
  }

  before(async () => {
    client = await insertClient(t);
    otherClient = await insertClient(t);
    doctor = await createPractitioner(t);
    otherDoctor = await createPractitioner(t, 'Outra Medica');
    ana = await signupPatient(t);
    patient = (await createResource(t, { resourceType: 'Patient', name: [{ family: 'Lima' }], generalPractitioner: [{ reference: doctor.fhirUser }] })).id;
    encounter = (await createResource(t, { resourceType: 'Encounter', status: 'in-progress', class: { code: 'AMB' }, subject: { reference: `Patient/${patient}` } })).id;
    foreignEncounter = (await createResource(t, { resourceType: 'Encounter', status: 'in-progress', class: { code: 'AMB' }, subject: { reference: ana.fhirUser } })).id;
  });
  afterEach(() => {
    clock.now = realNow;
  });

  describe('POST /oauth/launch', () => {
    it('needs a bearer token', async () => {
      const res = await postLaunch(undefined, { client_id: client._id, patient });
      assert.equal(res.status, 401);
      assert.equal(res.body.error, 'invalid_token');
      assert.match(res.headers['www-authenticate'], /^Bearer/);
      assert.equal((await postLaunch('garbage.token.here', { client_id: client._id, patient })).status, 401);
    });
    it('refuses a client\'s (system) token', async () => {
      const token = await t.token({ sub: 'svc', client_id: 'svc', scope: 'system/*.cruds', role: 'system', adm: true });
      assert.equal((await postLaunch(token, { client_id: client._id, patient })).status, 403);
    });
    it('refuses an unknown client, a missing or unknown patient, an unknown or foreign encounter', async () => {
      const token = await tokenOf(doctor, 'practitioner');
      for (const body of [
        { client_id: 'no-such-app', patient }, { patient }, { client_id: client._id }, { client_id: client._id, patient: 'nope' },
        { client_id: client._id, patient: '../x' }, { client_id: client._id, patient: 42 }, { client_id: client._id, patient, encounter: 'nope' },
        { client_id: client._id, patient, encounter: `Encounter/${foreignEncounter}` }, [1, 2],
      ]) {
        const res = await postLaunch(token, body);
        assert.equal(res.status, 400, JSON.stringify(body));
        assert.equal(res.body.error, 'invalid_request');
      }
    });
    it('a patient may launch only on themselves; a practitioner only on their patients', async () => {
      const anaToken = await tokenOf(ana, 'patient');
      assert.equal((await postLaunch(anaToken, { client_id: client._id, patient })).status, 403);
      assert.equal((await postLaunch(anaToken, { client_id: client._id, patient: ana.fhirUser })).status, 201);
      assert.equal((await postLaunch(await tokenOf(otherDoctor, 'practitioner'), { client_id: client._id, patient })).status, 403);
      assert.equal((await postLaunch(await tokenOf(doctor, 'practitioner'), { client_id: client._id, patient: ana.fhirUser })).status, 403);
    });
    it('a body that is not JSON is a 400', async () => {
      const res = await request(t.rawApp).post('/oauth/launch').set('Authorization', `Bearer ${await tokenOf(doctor, 'practitioner')}`).set('Content-Type', 'application/json').send('{"client_id":');
      assert.equal(res.status, 400);
      assert.equal(res.body.error, 'invalid_request');
    });
    it('other methods are 405', async () => {
      assert.equal((await request(t.rawApp).get('/oauth/launch')).status, 405);
    });
    it('errors are OAuth JSON errors, never cached, like the other /oauth endpoints', async () => {
      const res = await request(t.rawApp).get('/oauth/launch');
      assert.equal(res.body.error, 'invalid_request');
      assert.equal(res.headers.allow, 'POST');
      assert.equal(res.headers['cache-control'], 'no-store');
      const big = await request(t.rawApp).post('/oauth/launch').set('Authorization', `Bearer ${await tokenOf(doctor, 'practitioner')}`)
        .set('Content-Type', 'application/json').send(JSON.stringify({ client_id: client._id, pad: 'x'.repeat(70_000) }));
      assert.equal(big.status, 413);
      assert.equal(big.body.error, 'invalid_request');
    });
  });

  describe('at /oauth/authorize', () => {
    it('a launch gives its patient and encounter, once', async () => {
      const launch = await newLaunch({ encounter: `Encounter/${encounter}` });
      const { verifier, challenge } = pkce();
      const { location } = await runFlow(t.rawApp, standardParams(client, challenge, { scope: 'launch launch/patient patient/*.rs', launch }), { user: doctor });
      const grant = await redeemCode(t.auth.deps, { code: location.searchParams.get('code')!, clientId: client._id, redirectUri: REDIRECT, codeVerifier: verifier });
      assert.equal(grant?.patient, patient);
      assert.equal(grant?.encounter, encounter);
      const again = await useLaunch(launch, doctor);
      assertInvalidRequest(again.res, again.state);
    });

    it('unticking launch drops the launch context', async () => {
      const launch = await newLaunch({ encounter });
      const { verifier, challenge } = pkce();
      const { location } = await runFlow(t.rawApp, standardParams(client, challenge, { scope: 'launch patient/*.rs', launch }), { user: doctor, tick: (s) => s.filter((x) => x !== 'launch') });
      const grant = await redeemCode(t.auth.deps, { code: location.searchParams.get('code')!, clientId: client._id, redirectUri: REDIRECT, codeVerifier: verifier });
      assert.equal(grant?.scope, 'patient/*.rs');
      assert.equal(grant?.patient, undefined);
      assert.equal(grant?.encounter, undefined);
      assert.equal(grant?.needPatientBanner, false);
    });

    it('expires after 5 minutes', async () => {
      const launch = await newLaunch();
      const created = realNow();
      clock.now = () => created + 5 * 60_000 + 1000;
      const { res, state } = await useLaunch(launch, doctor);
      assertInvalidRequest(res, state);
    });

    it('is still good just before 5 minutes', async () => {
      const launch = await newLaunch();
      const created = realNow();
      clock.now = () => created + 4 * 60_000;
      const { res } = await useLaunch(launch, doctor);
      assert.equal(res.status, 200);
      assert.equal(inputs(res.text).hidden.step, 'consent');
    });

    it('is bound to its client', async () => {
      const launch = await newLaunch();
      const { res, state } = await useLaunch(launch, doctor, otherClient);
      assertInvalidRequest(res, state);
      assert.equal((await useLaunch(launch, doctor)).res.status, 200, 'not spent by the foreign client');
    });

    it('is bound to the user who created it', async () => {
      const launch = await newLaunch();
      const { res, state } = await useLaunch(launch, otherDoctor);
      assertInvalidRequest(res, state);
      const own = await useLaunch(launch, doctor);
      assert.equal(own.res.status, 200, 'not spent by the foreign user');
      assert.equal(inputs(own.res.text).hidden.step, 'consent');
    });
  });
});
