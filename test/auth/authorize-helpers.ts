/**
 * Helpers of the authorize tests (test/auth/authorize-*.test.ts, smart-launch-e2e.test.ts): clients
 * inserted directly, accounts made through the accounts API, PKCE pairs, and a script that drives
 * the sign-in pages (hidden inputs parsed from the HTML, forms posted back).
 */
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import request from 'supertest';
import type { Express } from 'express';
import type { TestApp } from '../helpers/app.js';
import type { OAuthClient } from '../../src/auth/types.js';
import { newCpf } from './accounts-util.js';

export const BASE = 'http://localhost:8080/fhir';
export const REDIRECT = 'https://app.example.org/callback';
export const PASSWORD = 'correct horse battery';

let seq = 0;
const unique = () => `${process.pid}-${++seq}-${crypto.randomBytes(3).toString('hex')}`;

/** A public client (PKCE, no secret) or a confidential one, inserted into auth_clients. */
export async function insertClient(t: TestApp, fields: Partial<OAuthClient> = {}): Promise<OAuthClient> {
  const client: OAuthClient = {
    _id: `app-${unique()}`,
    client_name: 'Test App',
    token_endpoint_auth_method: 'none',
    redirect_uris: [REDIRECT],
    grant_types: ['authorization_code', 'refresh_token'],
    scope: 'openid fhirUser launch launch/patient launch/encounter offline_access patient/*.cruds user/*.cruds',
    createdAt: new Date().toISOString(),
    ...fields,
  };
  await t.auth.deps.db.collection<OAuthClient>('auth_clients').insertOne(client);
  return client;
}

export { newCpf };

export interface User {
  email: string;
  password: string;
  /** `Patient/{id}` or `Practitioner/{id}` */
  fhirUser: string;
  id: string;
}

export async function signupPatient(t: TestApp, given = 'Ana', family = 'Souza'): Promise<User> {
  const email = `patient-${unique()}@example.org`;
  const res = await request(t.rawApp).post('/auth/signup').send({ name: { given: [given], family }, birthDate: '1988-03-14', email, cpf: newCpf(), password: PASSWORD });
  assert.equal(res.status, 201, JSON.stringify(res.body));
  return { email, password: PASSWORD, id: res.body.id, fhirUser: `Patient/${res.body.id}` };
}

export async function adminToken(t: TestApp): Promise<string> {
  return t.token({ sub: 'admin-test', client_id: 'admin-console', scope: 'user/*.cruds', role: 'admin', adm: true });
}

export async function createPractitioner(t: TestApp, name = 'Carla Mendes'): Promise<User> {
  const email = `doctor-${unique()}@example.org`;
  const crm = String(100000 + crypto.randomInt(800000));
  const res = await request(t.rawApp).post('/admin/practitioners').set('Authorization', `Bearer ${await adminToken(t)}`)
    .send({ name, crm, uf: 'SP', specialty: 'Cardiologia', email, password: PASSWORD });
  assert.equal(res.status, 201, JSON.stringify(res.body));
  return { email, password: PASSWORD, id: res.body.id, fhirUser: `Practitioner/${res.body.id}` };
}

export async function createResource<T extends fhir4.Resource>(t: TestApp, resource: T): Promise<T & { id: string }> {
  const res = await request(t.app).post(`/fhir/${resource.resourceType}`).set('Content-Type', 'application/fhir+json').send(resource);
  assert.equal(res.status, 201, JSON.stringify(res.body));
  return res.body;
}

export function pkce(): { verifier: string; challenge: string } {
  const verifier = crypto.randomBytes(32).toString('base64url');
  return { verifier, challenge: crypto.createHash('sha256').update(verifier).digest('base64url') };
}

/** The named inputs of a page: hidden ones, and radios / checkboxes (as lists of values). */
export function inputs(html: string): { hidden: Record<string, string>; radios: Record<string, string[]>; checkboxes: Record<string, string[]> } {
  const decode = (s: string) => s.replace(/&#(\d+);/g, (_m, n: string) => String.fromCharCode(Number(n))).replace(/&quot;/g, '"').replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
  const out = { hidden: {} as Record<string, string>, radios: {} as Record<string, string[]>, checkboxes: {} as Record<string, string[]> };
  for (const m of html.matchAll(/<input\b([^>]*)>/g)) {
    const attr = (n: string) => { const a = new RegExp(`\\b${n}="([^"]*)"`).exec(m[1]); return a ? decode(a[1]) : undefined; };
    const type = attr('type');
    const name = attr('name');
    const value = attr('value') ?? '';
    if (!name) continue;
    if (type === 'hidden') out.hidden[name] = value;
    if (type === 'radio') (out.radios[name] ??= []).push(value);
    if (type === 'checkbox') (out.checkboxes[name] ??= []).push(value);
  }
  return out;
}

export function formBody(fields: Record<string, string | string[] | undefined>): string {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(fields)) for (const x of v === undefined ? [] : Array.isArray(v) ? v : [v]) p.append(k, x);
  return p.toString();
}

export function authorizeQuery(params: Record<string, string | undefined>): string {
  return formBody(params);
}

export function postForm(app: Express, fields: Record<string, string | string[] | undefined>) {
  return request(app).post('/oauth/authorize').type('form').send(formBody(fields));
}

/** The standard parameters of an authorization request for `client`. */
export function standardParams(client: OAuthClient, challenge: string, extra: Record<string, string | undefined> = {}): Record<string, string | undefined> {
  return {
    response_type: 'code', client_id: client._id, redirect_uri: client.redirect_uris[0], scope: 'openid fhirUser launch/patient patient/*.rs',
    state: `st-${unique()}`, aud: BASE, code_challenge: challenge, code_challenge_method: 'S256', ...extra,
  };
}

export interface FlowOptions {
  user: Pick<User, 'email' | 'password'>;
  /** the patient to pick on the picker (when one is shown) */
  pick?: string;
  /** the scopes to leave ticked (default: every offered one) */
  tick?: (offered: string[]) => string[];
  decision?: 'allow' | 'deny';
}

export interface FlowResult {
  location: URL;
  offered: string[];
  picker?: string[];
}

/** GET authorize -> login -> (picker) -> consent; returns the final redirect. */
export async function runFlow(app: Express, params: Record<string, string | undefined>, o: FlowOptions): Promise<FlowResult> {
  const first = await request(app).get(`/oauth/authorize?${authorizeQuery(params)}`);
  assert.equal(first.status, 200, first.text);
  let page = inputs(first.text);
  let res = await postForm(app, { ...page.hidden, username: o.user.email, password: o.user.password });
  assert.equal(res.status, 200, res.text);
  page = inputs(res.text);
  let picker: string[] | undefined;
  if (page.hidden.step === 'patient') {
    picker = page.radios.patient ?? [];
    res = await postForm(app, { ...page.hidden, patient: o.pick, decision: 'allow' });
    assert.equal(res.status, 200, res.text);
    page = inputs(res.text);
  }
  assert.equal(page.hidden.step, 'consent', res.text);
  const offered = page.checkboxes.scope ?? [];
  res = await postForm(app, { ...page.hidden, scope: o.tick ? o.tick(offered) : offered, decision: o.decision ?? 'allow' });
  assert.equal(res.status, 302, res.text);
  return { location: new URL(res.headers.location), offered, ...(picker ? { picker } : {}) };
}
