/**
 * Helpers of the OAuth tests (test/auth/oauth-*.test.ts): administrator tokens, client
 * registration, HTTP Basic credentials, backend-services key pairs and client assertions.
 */
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import request from 'supertest';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK } from 'jose';
import type { TestApp } from '../helpers/app.js';
import type { AuthorizationGrant } from '../../src/auth/types.js';

export const TOKEN_URL = 'http://localhost:8080/oauth/token';
export const JWT_BEARER = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';

export const BOOTSTRAP_ID = 'bootstrap-test';
export const BOOTSTRAP_SECRET = 'b'.repeat(20) + 'Secret+With/Chars:!'; // 39 characters, needs form-encoding
export const BOOTSTRAP_ENV = { FHIR_BOOTSTRAP_CLIENT_ID: BOOTSTRAP_ID, FHIR_BOOTSTRAP_CLIENT_SECRET: BOOTSTRAP_SECRET, FHIR_ALLOW_HTTP_JWKS_URI: 'true' };

export function adminToken(t: TestApp): Promise<string> {
  return t.token({ sub: 'admin-1', client_id: 'admin-console', scope: 'openid fhirUser user/*.cruds', role: 'admin', adm: true });
}

/** RFC 6749 §2.3.1: form-urlencode id and secret, then Basic. */
export function basic(id: string, secret: string): string {
  const enc = (s: string) => encodeURIComponent(s).replace(/%20/g, '+');
  return `Basic ${Buffer.from(`${enc(id)}:${enc(secret)}`).toString('base64')}`;
}

export async function register(t: TestApp, metadata: Record<string, unknown>): Promise<Record<string, unknown> & { client_id: string; client_secret?: string }> {
  const res = await request(t.rawApp).post('/oauth/register').set('Authorization', `Bearer ${await adminToken(t)}`).send(metadata);
  assert.equal(res.status, 201, JSON.stringify(res.body));
  return res.body;
}

export function form(fields: Record<string, string | undefined>): string {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(fields)) if (v !== undefined) p.append(k, v);
  return p.toString();
}

export function postToken(t: TestApp, fields: Record<string, string | undefined>, authorization?: string) {
  const r = request(t.rawApp).post('/oauth/token').type('form');
  if (authorization) r.set('Authorization', authorization);
  return r.send(form(fields));
}

export interface KeyClient {
  clientId: string;
  alg: 'RS384' | 'ES384';
  kid: string;
  privateKey: CryptoKey;
  publicJwk: JWK;
}

export async function keyPair(alg: 'RS384' | 'ES384', kid: string = crypto.randomUUID()): Promise<Omit<KeyClient, 'clientId'>> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  const publicJwk = { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' };
  return { alg, kid, privateKey, publicJwk };
}

export async function backendClient(t: TestApp, alg: 'RS384' | 'ES384', scope = 'system/*.rs system/Observation.cruds', extra: Record<string, unknown> = {}): Promise<KeyClient> {
  const keys = await keyPair(alg);
  const body = await register(t, {
    client_name: `backend ${alg}`, grant_types: ['client_credentials'], token_endpoint_auth_method: 'private_key_jwt',
    jwks: { keys: [keys.publicJwk] }, scope, ...extra,
  });
  return { clientId: body.client_id, ...keys };
}

export interface AssertionOptions {
  iss?: string;
  sub?: string;
  aud?: string;
  /** seconds from now */
  expIn?: number | null;
  jti?: string | null;
  alg?: string;
  kid?: string;
  key?: CryptoKey | Uint8Array;
}

export async function assertion(c: Pick<KeyClient, 'clientId' | 'alg' | 'kid' | 'privateKey'>, o: AssertionOptions = {}): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  const jwt = new SignJWT({})
    .setProtectedHeader({ alg: o.alg ?? c.alg, kid: o.kid ?? c.kid, typ: 'JWT' })
    .setIssuer(o.iss ?? c.clientId)
    .setSubject(o.sub ?? c.clientId)
    .setAudience(o.aud ?? TOKEN_URL)
    .setIssuedAt(now);
  if (o.expIn !== null) jwt.setExpirationTime(now + (o.expIn ?? 240));
  if (o.jti !== null) jwt.setJti(o.jti ?? crypto.randomUUID());
  return jwt.sign(o.key ?? c.privateKey);
}

export async function backendToken(t: TestApp, c: KeyClient, scope: string | undefined, o: AssertionOptions = {}) {
  return postToken(t, {
    grant_type: 'client_credentials', scope, client_assertion_type: JWT_BEARER, client_assertion: await assertion(c, o),
  });
}

export function assertOAuthError(res: { status: number; body: { error?: string } }, status: number, error: string): void {
  assert.equal(res.status, status, JSON.stringify(res.body));
  assert.equal(res.body.error, error, JSON.stringify(res.body));
}

/**
 * Authorization codes for the token endpoint's tests, through the code-exchange seam of
 * src/auth/oauth/grants-code.ts: each code is single use and bound to client, redirect_uri and
 * PKCE verifier, as the authorize part's codes are.
 */
export async function fakeCodes(): Promise<(grant: AuthorizationGrant, verifier?: string) => string> {
  const { codeExchange } = await import('../../src/auth/oauth/grants-code.js');
  const issued = new Map<string, { grant: AuthorizationGrant; verifier: string }>();
  codeExchange.redeem = async (_deps, r) => {
    const entry = issued.get(r.code);
    issued.delete(r.code);
    if (!entry || entry.grant.clientId !== r.clientId || entry.grant.redirectUri !== r.redirectUri || entry.verifier !== r.codeVerifier) return undefined;
    return entry.grant;
  };
  return (grant, verifier = 'v'.repeat(43)) => {
    const code = crypto.randomBytes(16).toString('hex');
    issued.set(code, { grant, verifier });
    return code;
  };
}

export const REDIRECT = 'https://app.example.org/callback';
export const VERIFIER = 'v'.repeat(43);

export function userGrant(clientId: string, scope: string, extra: Partial<AuthorizationGrant> = {}): AuthorizationGrant {
  return {
    clientId, redirectUri: REDIRECT, accountId: 'acct-1', role: 'patient', fhirUser: 'Patient/p1', scope, patient: 'p1',
    authTime: Math.floor(Date.now() / 1000) - 5, ...extra,
  };
}

export function exchange(t: TestApp, code: string, clientId: string | undefined, authorization?: string) {
  return postToken(t, { grant_type: 'authorization_code', code, redirect_uri: REDIRECT, code_verifier: VERIFIER, client_id: clientId }, authorization);
}
