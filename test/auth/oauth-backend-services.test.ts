/**
 * SMART Backend Services: client_credentials with private_key_jwt (RS384 and ES384), keys
 * registered inline (jwks) or served at a jwks_uri (a tiny local http server); every way a client
 * assertion can be wrong; scope narrowing; token lifetime; the token on the FHIR API.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import crypto from 'node:crypto';
import request from 'supertest';
import { decodeJwt, exportJWK, importJWK, type CryptoKey } from 'jose';
import { useTestApp } from '../helpers/app.js';
import {
  assertion, assertOAuthError, backendClient, basic, backendToken, BOOTSTRAP_ENV, JWT_BEARER, keyPair, postToken, register, type KeyClient,
} from './oauth-helpers.js';

const t = useTestApp(BOOTSTRAP_ENV);

let jwksServer: http.Server;
let served: { keys: unknown[] } = { keys: [] };
let jwksUrl = '';
let jwksHits = 0;

before(async () => {
  jwksServer = http.createServer((req, res) => {
    jwksHits++;
    if (req.url === '/jwks.json') res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify(served));
    else res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => jwksServer.listen(0, '127.0.0.1', resolve));
  jwksUrl = `http://127.0.0.1:${(jwksServer.address() as AddressInfo).port}/jwks.json`;
});
after(async () => {
  await new Promise<void>((resolve) => jwksServer.close(() => resolve()));
});

async function assertToken(res: { status: number; body: Record<string, unknown> }, scope: string): Promise<string> {
  assert.equal(res.status, 200, JSON.stringify(res.body));
  assert.equal(res.body.token_type, 'Bearer');
  assert.equal(res.body.scope, scope);
  assert.ok((res.body.expires_in as number) <= 300 && (res.body.expires_in as number) > 0, `expires_in ${String(res.body.expires_in)}`);
  const claims = decodeJwt(res.body.access_token as string);
  assert.ok((claims.exp as number) - (claims.iat as number) <= 300);
  assert.equal(claims.role, 'system');
  assert.equal(claims.adm, undefined);
  assert.equal(res.body.refresh_token, undefined);
  return res.body.access_token as string;
}

for (const alg of ['RS384', 'ES384'] as const) {
  describe(`a backend service with ${alg} keys in jwks`, () => {
    let c: KeyClient;
    before(async () => {
      c = await backendClient(t, alg);
    });

    it('gets a token (sub = client_id, at most 300 s) that reads /fhir/metadata and /fhir/Patient', async () => {
      const res = await backendToken(t, c, 'system/Patient.rs');
      assert.equal(res.headers['cache-control'], 'no-store');
      assert.equal(res.headers.pragma, 'no-cache');
      const token = await assertToken(res, 'system/Patient.rs');
      assert.equal(decodeJwt(token).sub, c.clientId);
      assert.equal(decodeJwt(token).client_id, c.clientId);
      await request(t.rawApp).get('/fhir/metadata').set('Authorization', `Bearer ${token}`).expect(200);
      await request(t.rawApp).get('/fhir/Patient').set('Authorization', `Bearer ${token}`).expect(200);
    });

    it('requested scopes are narrowed to the registered ones; others are dropped', async () => {
      await assertToken(await backendToken(t, c, 'system/*.cruds'), 'system/*.rs system/Observation.cruds');
      await assertToken(await backendToken(t, c, 'system/*.r'), 'system/*.r');
      await assertToken(await backendToken(t, c, 'system/*.c'), 'system/Observation.c');
      await assertToken(await backendToken(t, c, 'system/Observation.cruds system/Encounter.c patient/*.rs'), 'system/Observation.cruds');
      await assertToken(await backendToken(t, c, undefined), 'system/*.rs system/Observation.cruds');
    });

    it('nothing allowed left: 400 invalid_scope', async () => {
      assertOAuthError(await backendToken(t, c, 'system/Patient.c'), 400, 'invalid_scope');
      assertOAuthError(await backendToken(t, c, 'patient/*.rs launch'), 400, 'invalid_scope');
    });

    const failures: Array<[string, RegExp, (c: KeyClient) => Promise<string>]> = [
      ['an expired assertion', /expired/, (c) => assertion(c, { expIn: -60 })],
      ['exp more than 5 minutes ahead', /within 300 seconds/, (c) => assertion(c, { expIn: 600 })],
      ['no exp', /exp/, (c) => assertion(c, { expIn: null })],
      ['no jti', /jti/, (c) => assertion(c, { jti: null })],
      ['an unknown kid', /No registered key/, (c) => assertion(c, { kid: 'not-registered' })],
      ['the wrong aud', /aud/, (c) => assertion(c, { aud: 'http://localhost:8080/fhir' })],
      ['another server as aud', /aud/, (c) => assertion(c, { aud: 'https://elsewhere.example/oauth/token' })],
      ['iss != sub', /sub equal to iss/, (c) => assertion(c, { sub: 'someone-else' })],
      ['an unknown client as iss and sub', /unknown/, (c) => assertion(c, { iss: 'nobody', sub: 'nobody' })],
      ['a signature by another key with the same kid', /signature/, async (c) => assertion(c, { key: (await keyPair(c.alg)).privateKey })],
      ['HS256 (a shared secret)', /RS384 or ES384/, (c) => assertion(c, { alg: 'HS256', key: new TextEncoder().encode('x'.repeat(32)) })],
      ['alg none', /RS384 or ES384/, async (c) => {
        const enc = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
        const now = Math.floor(Date.now() / 1000);
        return `${enc({ alg: 'none', kid: c.kid })}.${enc({ iss: c.clientId, sub: c.clientId, aud: 'http://localhost:8080/oauth/token', exp: now + 60, jti: crypto.randomUUID() })}.`;
      }],
      ['a tampered payload', /signature/, async (c) => {
        const [h, , s] = (await assertion(c)).split('.');
        const now = Math.floor(Date.now() / 1000);
        return `${h}.${Buffer.from(JSON.stringify({ iss: c.clientId, sub: c.clientId, aud: 'http://localhost:8080/oauth/token', exp: now + 60, jti: 'x' })).toString('base64url')}.${s}`;
      }],
      ['garbage', /not a JWT/, async () => 'not.a.jwt'],
    ];
    for (const [name, why, make] of failures) {
      it(`${name}: 401 invalid_client`, async () => {
        const res = await postToken(t, { grant_type: 'client_credentials', scope: 'system/*.rs', client_assertion_type: JWT_BEARER, client_assertion: await make(c) });
        assertOAuthError(res, 401, 'invalid_client');
        assert.match(res.body.error_description, why);
        assert.equal(res.body.access_token, undefined);
      });
    }

    it('a reused jti: the second use is 401 invalid_client', async () => {
      const jwt = await assertion(c);
      const form = { grant_type: 'client_credentials', scope: 'system/*.rs', client_assertion_type: JWT_BEARER, client_assertion: jwt };
      assert.equal((await postToken(t, form)).status, 200);
      assertOAuthError(await postToken(t, form), 401, 'invalid_client');
      const sameJti = await assertion(c, { jti: decodeJwt(jwt).jti as string });
      assertOAuthError(await postToken(t, { ...form, client_assertion: sameJti }), 401, 'invalid_client');
    });

    it('a wrong client_assertion_type, a mismatching client_id, or Basic plus an assertion are refused', async () => {
      assertOAuthError(await postToken(t, { grant_type: 'client_credentials', client_assertion_type: 'urn:example:saml', client_assertion: await assertion(c) }), 401, 'invalid_client');
      assertOAuthError(await postToken(t, { grant_type: 'client_credentials', client_assertion_type: JWT_BEARER }), 400, 'invalid_request');
      assertOAuthError(await postToken(t, { grant_type: 'client_credentials', client_id: 'other', client_assertion_type: JWT_BEARER, client_assertion: await assertion(c) }), 401, 'invalid_client');
      assertOAuthError(await postToken(t, { grant_type: 'client_credentials', client_assertion_type: JWT_BEARER, client_assertion: await assertion(c) }, 'Basic eDp5'), 400, 'invalid_request');
    });
  });
}

describe('wrong algorithms with the right key', () => {
  it('RS256 signed with the registered RSA key is refused', async () => {
    const c = await backendClient(t, 'RS384');
    const jwk = await exportJWK(c.privateKey);
    const rs256 = (await importJWK({ ...jwk, alg: 'RS256' }, 'RS256')) as CryptoKey;
    const res = await postToken(t, { grant_type: 'client_credentials', client_assertion_type: JWT_BEARER, client_assertion: await assertion(c, { alg: 'RS256', key: rs256 }) });
    assertOAuthError(res, 401, 'invalid_client');
    assert.match(res.body.error_description, /RS384 or ES384/);
  });
});

describe('a backend service with keys at a jwks_uri', () => {
  it('RS384 and ES384 keys are fetched from the jwks_uri and cached', async () => {
    const rsa = await keyPair('RS384');
    const ec = await keyPair('ES384');
    served = { keys: [rsa.publicJwk, ec.publicJwk] };
    const b = await register(t, { grant_types: ['client_credentials'], token_endpoint_auth_method: 'private_key_jwt', jwks_uri: jwksUrl, scope: 'system/*.rs' });
    const hitsBefore = jwksHits;
    await assertToken(await backendToken(t, { clientId: b.client_id, ...rsa }, 'system/*.rs'), 'system/*.rs');
    await assertToken(await backendToken(t, { clientId: b.client_id, ...ec }, 'system/Patient.rs'), 'system/Patient.rs');
    await assertToken(await backendToken(t, { clientId: b.client_id, ...rsa }, 'system/*.rs'), 'system/*.rs');
    assert.equal(jwksHits - hitsBefore, 1, 'fetched once, then cached');
    assertOAuthError(await backendToken(t, { clientId: b.client_id, ...rsa }, 'system/*.rs', { kid: 'unknown' }), 401, 'invalid_client');
    const other = await keyPair('RS384', rsa.kid);
    assertOAuthError(await backendToken(t, { clientId: b.client_id, ...rsa }, 'system/*.rs', { key: other.privateKey }), 401, 'invalid_client');
  });

  it('an unreachable jwks_uri is 401 invalid_client, not a server error', async () => {
    const keys = await keyPair('ES384');
    const deadUrl = jwksUrl.replace('/jwks.json', '/missing.json');
    const b = await register(t, { grant_types: ['client_credentials'], token_endpoint_auth_method: 'private_key_jwt', jwks_uri: deadUrl, scope: 'system/*.rs' });
    assertOAuthError(await backendToken(t, { clientId: b.client_id, ...keys }, 'system/*.rs'), 401, 'invalid_client');
  });
});

describe('client_credentials and clients', () => {
  it('a client not registered for client_credentials: 400 unauthorized_client', async () => {
    const keys = await keyPair('ES384');
    const b = await register(t, { redirect_uris: ['https://a.example/cb'], token_endpoint_auth_method: 'private_key_jwt', jwks: { keys: [keys.publicJwk] }, scope: 'system/*.rs user/*.rs' });
    assertOAuthError(await backendToken(t, { clientId: b.client_id, ...keys }, 'system/*.rs'), 400, 'unauthorized_client');
  });

  it('a public client may not use client_credentials (401 invalid_client)', async () => {
    const b = await register(t, { redirect_uris: ['https://a.example/cb'], token_endpoint_auth_method: 'none' });
    assertOAuthError(await postToken(t, { grant_type: 'client_credentials', client_id: b.client_id }), 401, 'invalid_client');
  });

  it('a symmetric client_credentials client (not the bootstrap one) gets at most 300 s and no adm', async () => {
    const b = await register(t, { grant_types: ['client_credentials'], scope: 'system/Patient.rs' });
    const res = await postToken(t, { grant_type: 'client_credentials', scope: 'system/*.cruds' }, basic(b.client_id, b.client_secret!));
    await assertToken(res, 'system/Patient.rs');
  });

  it('an AuditEvent is written for issued tokens and for refusals', async () => {
    const c = await backendClient(t, 'ES384');
    assert.equal((await backendToken(t, c, 'system/*.rs')).status, 200);
    assert.equal((await backendToken(t, c, 'system/*.rs', { expIn: -100 })).status, 401);
    const res = await request(t.app).get('/fhir/AuditEvent?_count=200').expect(200);
    const events = (res.body.entry ?? []).map((e: { resource: fhir4.AuditEvent }) => e.resource) as fhir4.AuditEvent[];
    const forClient = events.filter((e) => e.agent.some((a) => a.who?.identifier?.value === c.clientId));
    assert.ok(forClient.some((e) => e.outcome === '0' && e.outcomeDesc === 'system/*.rs'), 'success recorded');
    assert.ok(forClient.some((e) => e.outcome !== '0' && /invalid_client/.test(e.outcomeDesc ?? '')), 'refusal recorded');
  });

  it('a refusal names the client as client authentication reads it (Basic credentials form-decoded)', async () => {
    const claimed = `odd id+${crypto.randomUUID()}`;
    assertOAuthError(await postToken(t, { grant_type: 'client_credentials', scope: 'system/*.rs' }, basic(claimed, 'wrong secret')), 401, 'invalid_client');
    const res = await request(t.app).get('/fhir/AuditEvent?_count=200').expect(200);
    const events = (res.body.entry ?? []).map((e: { resource: fhir4.AuditEvent }) => e.resource) as fhir4.AuditEvent[];
    assert.ok(events.some((e) => e.outcome !== '0' && e.agent.some((a) => a.who?.identifier?.value === claimed)), 'refusal recorded for the decoded id');
  });
});

describe('the token endpoint itself', () => {
  it('unsupported grant_type: 400 unsupported_grant_type; missing grant_type: invalid_request', async () => {
    for (const g of ['password', 'implicit', 'urn:ietf:params:oauth:grant-type:jwt-bearer', 'constructor', '__proto__']) {
      const res = await postToken(t, { grant_type: g });
      assertOAuthError(res, 400, 'unsupported_grant_type');
      assert.equal(res.headers['cache-control'], 'no-store');
      assert.equal(res.headers.pragma, 'no-cache');
    }
    assertOAuthError(await postToken(t, {}), 400, 'invalid_request');
  });

  it('a repeated parameter, a JSON body, a huge body: 4xx OAuth errors', async () => {
    const r1 = await request(t.rawApp).post('/oauth/token').type('form').send('grant_type=client_credentials&grant_type=client_credentials');
    assertOAuthError(r1, 400, 'invalid_request');
    const r2 = await request(t.rawApp).post('/oauth/token').send({ grant_type: 'client_credentials' });
    assertOAuthError(r2, 400, 'invalid_request');
    const r3 = await request(t.rawApp).post('/oauth/token').type('form').send(`grant_type=client_credentials&x=${'a'.repeat(70_000)}`);
    assert.equal(r3.status, 413);
    assert.equal(r3.body.error, 'invalid_request');
  });

  it('an empty copy of a parameter counts as omitted (RFC 6749 §3.1), as at /oauth/authorize', async () => {
    const res = await request(t.rawApp).post('/oauth/token').type('form').send('grant_type=&grant_type=client_credentials');
    assertOAuthError(res, 401, 'invalid_client');
  });

  it('a body in an unsupported charset: 415 invalid_request, as OAuth JSON', async () => {
    const res = await request(t.rawApp).post('/oauth/token').set('Content-Type', 'application/x-www-form-urlencoded; charset=koi8-r').send('grant_type=client_credentials');
    assertOAuthError(res, 415, 'invalid_request');
    assert.equal(res.headers['cache-control'], 'no-store');
  });
});
