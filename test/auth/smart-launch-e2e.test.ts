/**
 * SMART App Launch end to end with SMART's own JavaScript client (fhirclient 2.6.3, Node adapter)
 * against the real server listening on 127.0.0.1: discovery, the authorize redirect with PKCE,
 * the sign-in and consent pages (posted by the test, as the user would), the code exchange at
 * /oauth/token, and FHIR reads with the access token. Standalone launch and EHR launch.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import type { IncomingMessage, ServerResponse } from 'node:http';
import request from 'supertest';
import smart from 'fhirclient';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { accountOf } from '../../src/auth/accounts/index.js';
import { createPractitioner, createResource, inputs, insertClient, signupPatient, formBody, type User } from './authorize-helpers.js';
import type { OAuthClient } from '../../src/auth/types.js';

const APP_REDIRECT = 'http://app.example.org/callback';

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

function listen(server: http.Server, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
}

/** The app's side: what fhirclient's Node adapter reads from a request and writes to a response. */
class FakeApp {
  readonly store = new Map<string, unknown>();
  readonly storage = {
    get: async (key: string) => this.store.get(key),
    set: async (key: string, value: unknown) => (this.store.set(key, value), value),
    unset: async (key: string) => this.store.delete(key),
  };

  /** A request to the app at `url`, and the response to it (its redirect captured). */
  exchange(url: string): { req: IncomingMessage; res: ServerResponse; redirected: () => string | undefined } {
    const u = new URL(url);
    let location: string | undefined;
    const req = { url: `${u.pathname}${u.search}`, headers: { host: u.host }, socket: {}, session: {} } as unknown as IncomingMessage;
    const res = {
      writeHead(_status: number, headers: Record<string, string>) {
        location = headers.location;
        return this;
      },
      end() {},
    } as unknown as ServerResponse;
    return { req, res, redirected: () => location };
  }

  async authorize(launchUrl: string, options: Record<string, unknown>): Promise<string> {
    const x = this.exchange(launchUrl);
    await smart(x.req, x.res, this.storage).authorize(options);
    const location = x.redirected();
    assert.ok(location, 'fhirclient did not redirect');
    return location;
  }

  async ready(callbackUrl: string) {
    const x = this.exchange(callbackUrl);
    return smart(x.req, x.res, this.storage).ready();
  }
}

describe('SMART launch end to end with fhirclient', () => {
  let t: TestApp;
  let server: http.Server;
  let origin: string;
  let base: string;
  let client: OAuthClient;
  let ana: User;
  let doctor: User;

  before(async () => {
    for (let attempt = 0; ; attempt++) {
      const port = await freePort();
      origin = `http://127.0.0.1:${port}`;
      base = `${origin}/fhir`;
      t = await createTestApp({ PORT: String(port), FHIR_BASE_URL: base });
      server = http.createServer(t.rawApp);
      try {
        await listen(server, port);
        break;
      } catch (err) {
        await t.close();
        if (attempt >= 4) throw err;
      }
    }
    client = await insertClient(t, { client_name: 'fhirclient e2e', redirect_uris: [APP_REDIRECT] });
    ana = await signupPatient(t, 'Ana', 'Souza');
    doctor = await createPractitioner(t);
  });
  after(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await t.close();
  });

  /** The user at the pages: the login form, then (picker and) consent, all ticked; returns the app's callback URL. */
  async function signIn(authorizeUrl: string, user: User, pick?: string): Promise<string> {
    const agent = request(origin);
    const u = new URL(authorizeUrl);
    assert.equal(u.origin, origin);
    const first = await agent.get(`${u.pathname}${u.search}`);
    assert.equal(first.status, 200, first.text);
    let page = inputs(first.text);
    let res = await agent.post('/oauth/authorize').type('form').send(formBody({ ...page.hidden, username: user.email, password: user.password }));
    assert.equal(res.status, 200, res.text);
    page = inputs(res.text);
    if (page.hidden.step === 'patient') {
      res = await agent.post('/oauth/authorize').type('form').send(formBody({ ...page.hidden, patient: pick, decision: 'allow' }));
      page = inputs(res.text);
    }
    assert.equal(page.hidden.step, 'consent', res.text);
    res = await agent.post('/oauth/authorize').type('form').send(formBody({ ...page.hidden, scope: page.checkboxes.scope, decision: 'allow' }));
    assert.equal(res.status, 302, res.text);
    assert.ok(res.headers.location.startsWith(`${APP_REDIRECT}?`), res.headers.location);
    return res.headers.location;
  }

  it('standalone launch of a patient: authorize, sign in, consent, code exchange, read the patient', async () => {
    const app = new FakeApp();
    const authorizeUrl = await app.authorize('http://app.example.org/launch', {
      iss: base, clientId: client._id, redirectUri: APP_REDIRECT, scope: 'openid fhirUser launch/patient patient/*.rs', pkceMode: 'required',
    });
    const u = new URL(authorizeUrl);
    assert.equal(`${u.origin}${u.pathname}`, `${origin}/oauth/authorize`);
    assert.equal(u.searchParams.get('aud'), base);
    assert.equal(u.searchParams.get('code_challenge_method'), 'S256');

    const callback = await signIn(authorizeUrl, ana);
    const fhir = await app.ready(callback);
    assert.equal(fhir.getPatientId(), ana.id);
    assert.equal(fhir.state.tokenResponse?.need_patient_banner, true);
    assert.match(String(fhir.state.tokenResponse?.scope), /patient\/\*\.rs/);
    const patient = await fhir.request<fhir4.Patient>(`Patient/${ana.id}`);
    assert.equal(patient.resourceType, 'Patient');
    assert.equal(patient.id, ana.id);
    assert.equal(patient.name?.[0]?.family, 'Souza');
    assert.equal(fhir.getFhirUser(), ana.fhirUser);
  });

  it('EHR launch by a practitioner: the launch context reaches the app, no picker', async () => {
    const patient = (await createResource(t, { resourceType: 'Patient', name: [{ given: ['Bruno'], family: 'Lima' }], generalPractitioner: [{ reference: doctor.fhirUser }] })).id;
    const encounter = (await createResource(t, { resourceType: 'Encounter', status: 'in-progress', class: { code: 'AMB' }, subject: { reference: `Patient/${patient}` }, participant: [{ individual: { reference: doctor.fhirUser } }] })).id;
    const account = (await accountOf(t.auth.deps, doctor.fhirUser))!;
    const ehrToken = await t.token({ sub: account._id, client_id: 'ehr', scope: 'openid fhirUser user/*.cruds', role: 'practitioner', fhirUser: doctor.fhirUser });
    const created = await request(origin).post('/oauth/launch').set('Authorization', `Bearer ${ehrToken}`).send({ client_id: client._id, patient: `Patient/${patient}`, encounter: `Encounter/${encounter}` });
    assert.equal(created.status, 201, JSON.stringify(created.body));

    const app = new FakeApp();
    const launchUrl = `http://app.example.org/launch?${formBody({ iss: base, launch: created.body.launch })}`;
    const authorizeUrl = await app.authorize(launchUrl, { clientId: client._id, redirectUri: APP_REDIRECT, scope: 'openid fhirUser patient/*.rs', pkceMode: 'required' });
    assert.equal(new URL(authorizeUrl).searchParams.get('launch'), created.body.launch);

    const callback = await signIn(authorizeUrl, doctor);
    const fhir = await app.ready(callback);
    assert.equal(fhir.getPatientId(), patient);
    assert.equal(fhir.getEncounterId(), encounter);
    const read = await fhir.request<fhir4.Patient>(`Patient/${patient}`);
    assert.equal(read.id, patient);
    const enc = await fhir.request<fhir4.Encounter>(`Encounter/${encounter}`);
    assert.equal(enc.id, encounter);
  });
});
