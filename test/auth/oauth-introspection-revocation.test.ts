/**
 * Introspection (RFC 7662) and revocation (RFC 7009): who may call them, what an active token
 * reports, what is inactive (expired, revoked, rotated, foreign, unknown, garbage), and that a
 * revoked access token is refused by the FHIR API at once.
 */
import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import request from 'supertest';
import { useTestApp } from '../helpers/app.js';
import {
  adminToken, assertion, assertOAuthError, backendClient, backendToken, basic, BOOTSTRAP_ENV, BOOTSTRAP_ID, BOOTSTRAP_SECRET, exchange, fakeCodes,
  form, JWT_BEARER, postToken, REDIRECT, register, userGrant, type KeyClient,
} from './oauth-helpers.js';

const t = useTestApp(BOOTSTRAP_ENV);
const O = 'http://localhost:8080';
const BOOT = () => basic(BOOTSTRAP_ID, BOOTSTRAP_SECRET);

function introspect(fields: Record<string, string | undefined>, authorization?: string) {
  const r = request(t.rawApp).post('/oauth/introspect').type('form');
  if (authorization) r.set('Authorization', authorization);
  return r.send(form(fields));
}

function revoke(fields: Record<string, string | undefined>, authorization?: string) {
  const r = request(t.rawApp).post('/oauth/revoke').type('form');
  if (authorization) r.set('Authorization', authorization);
  return r.send(form(fields));
}

async function assertionFields(c: KeyClient, aud: string) {
  return { client_assertion_type: JWT_BEARER, client_assertion: await assertion(c, { aud }) };
}

describe('introspection and revocation', () => {
  let backend: KeyClient;
  let other: KeyClient;
  let pub: string;
  let code: Awaited<ReturnType<typeof fakeCodes>>;

  before(async () => {
    backend = await backendClient(t, 'ES384');
    other = await backendClient(t, 'RS384');
    pub = (await register(t, { redirect_uris: [REDIRECT], token_endpoint_auth_method: 'none' })).client_id;
    code = await fakeCodes();
  });

  async function backendAccessToken(c: KeyClient = backend): Promise<string> {
    const res = await backendToken(t, c, 'system/*.rs');
    assert.equal(res.status, 200, JSON.stringify(res.body));
    return res.body.access_token;
  }

  async function userTokens(scope = 'offline_access launch/patient patient/*.rs') {
    const res = await exchange(t, code(userGrant(pub, scope)), pub);
    assert.equal(res.status, 200, JSON.stringify(res.body));
    return res.body as { access_token: string; refresh_token: string };
  }

  describe('POST /oauth/introspect', () => {
    it('a client introspects its own access token (assertion aud = introspection URL or token URL)', async () => {
      const token = await backendAccessToken();
      for (const aud of [`${O}/oauth/introspect`, `${O}/oauth/token`]) {
        const res = await introspect({ token, ...(await assertionFields(backend, aud)) });
        assert.equal(res.status, 200, JSON.stringify(res.body));
        assert.equal(res.headers['cache-control'], 'no-store');
        const b = res.body;
        assert.equal(b.active, true);
        assert.equal(b.scope, 'system/*.rs');
        assert.equal(b.client_id, backend.clientId);
        assert.equal(b.sub, backend.clientId);
        assert.equal(b.token_type, 'Bearer');
        assert.equal(b.iss, O);
        assert.equal(b.aud, `${O}/fhir`);
        assert.ok(b.exp > b.iat);
      }
    });

    it('an assertion for another endpoint (revocation) is not accepted here', async () => {
      const token = await backendAccessToken();
      assertOAuthError(await introspect({ token, ...(await assertionFields(backend, `${O}/oauth/revoke`)) }), 401, 'invalid_client');
    });

    it("an administrator's bearer token or the bootstrap client may introspect any token, with the user's context", async () => {
      const user = await userTokens();
      for (const auth of [`Bearer ${await adminToken(t)}`, BOOT()]) {
        const b = (await introspect({ token: user.access_token }, auth).expect(200)).body;
        assert.equal(b.active, true);
        assert.equal(b.client_id, pub);
        assert.equal(b.sub, 'acct-1');
        assert.equal(b.patient, 'p1');
        assert.equal(b.fhirUser, 'Patient/p1');
        assert.equal(b.scope, 'offline_access launch/patient patient/*.rs');
      }
    });

    it('a refresh token is active until rotated', async () => {
      const user = await userTokens();
      let b = (await introspect({ token: user.refresh_token, token_type_hint: 'refresh_token' }, BOOT()).expect(200)).body;
      assert.equal(b.active, true);
      assert.equal(b.client_id, pub);
      assert.equal(b.token_type, 'refresh_token');
      assert.ok(b.exp > Date.now() / 1000 + 80 * 86400);
      b = (await introspect({ token: user.refresh_token }, BOOT()).expect(200)).body;
      assert.equal(b.active, true, 'found without a hint too');
      assert.equal((await postToken(t, { grant_type: 'refresh_token', refresh_token: user.refresh_token })).status, 200);
      b = (await introspect({ token: user.refresh_token }, BOOT()).expect(200)).body;
      assert.deepEqual(b, { active: false });
    });

    it('inactive: expired, revoked, unknown, garbage, and tokens of another client', async () => {
      const expired = await t.token({ sub: 'x', client_id: backend.clientId, scope: 'system/*.rs', role: 'system' }, -10);
      const foreign = await backendAccessToken(other);
      const revoked = await backendAccessToken();
      await revoke({ token: revoked, ...(await assertionFields(backend, `${O}/oauth/revoke`)) }).expect(200);
      for (const token of [expired, foreign, revoked, 'garbage', 'a.b.c', `${revoked.slice(0, -4)}AAAA`]) {
        const res = await introspect({ token, ...(await assertionFields(backend, `${O}/oauth/introspect`)) });
        assert.equal(res.status, 200);
        assert.deepEqual(res.body, { active: false }, token.slice(0, 20));
      }
      assert.equal((await introspect({ token: foreign }, BOOT()).expect(200)).body.active, true, 'the bootstrap client sees every token');
    });

    it('callers: none is 401 invalid_client, a public client 401, a non-admin bearer 403, a bad bearer 401', async () => {
      const token = await backendAccessToken();
      assertOAuthError(await introspect({ token }), 401, 'invalid_client');
      assertOAuthError(await introspect({ token, client_id: pub }), 401, 'invalid_client');
      assertOAuthError(await introspect({ token }, basic(BOOTSTRAP_ID, 'wrong')), 401, 'invalid_client');
      const user = await userTokens();
      assertOAuthError(await introspect({ token }, `Bearer ${user.access_token}`), 403, 'insufficient_scope');
      assertOAuthError(await introspect({ token }, 'Bearer nonsense'), 401, 'invalid_token');
    });

    it('without a token parameter: 400 invalid_request', async () => {
      assertOAuthError(await introspect({}, BOOT()), 400, 'invalid_request');
    });
  });

  describe('POST /oauth/revoke', () => {
    it('a revoked access token is refused by the FHIR API at once', async () => {
      const token = await backendAccessToken();
      await request(t.rawApp).get('/fhir/Patient').set('Authorization', `Bearer ${token}`).expect(200);
      const res = await revoke({ token, token_type_hint: 'access_token', ...(await assertionFields(backend, `${O}/oauth/revoke`)) });
      assert.equal(res.status, 200);
      assert.equal(res.headers['cache-control'], 'no-store');
      const fhir = await request(t.rawApp).get('/fhir/Patient').set('Authorization', `Bearer ${token}`);
      assert.equal(fhir.status, 401);
      assert.match(fhir.headers['www-authenticate'] ?? '', /invalid_token/);
    });

    it('an assertion whose aud is the token URL is accepted too; a wrong hint does not matter', async () => {
      const token = await backendAccessToken();
      await revoke({ token, token_type_hint: 'refresh_token', ...(await assertionFields(backend, `${O}/oauth/token`)) }).expect(200);
      await request(t.rawApp).get('/fhir/Patient').set('Authorization', `Bearer ${token}`).expect(401);
    });

    it("another client's token is not revoked (200 all the same)", async () => {
      const token = await backendAccessToken(other);
      await revoke({ token, ...(await assertionFields(backend, `${O}/oauth/revoke`)) }).expect(200);
      await request(t.rawApp).get('/fhir/Patient').set('Authorization', `Bearer ${token}`).expect(200);
      const user = await userTokens();
      await revoke({ token: user.refresh_token }, BOOT()).expect(200);
      assert.equal((await postToken(t, { grant_type: 'refresh_token', refresh_token: user.refresh_token })).status, 200, 'still valid');
    });

    it('a public client revokes its refresh token with client_id: refresh then fails, and its access token is revoked', async () => {
      const user = await userTokens();
      await revoke({ token: user.refresh_token, token_type_hint: 'refresh_token', client_id: pub }).expect(200);
      assertOAuthError(await postToken(t, { grant_type: 'refresh_token', refresh_token: user.refresh_token }), 400, 'invalid_grant');
      await assert.rejects(t.auth.deps.tokens.verify(user.access_token), /revoked/);
      assert.deepEqual((await introspect({ token: user.refresh_token }, BOOT()).expect(200)).body, { active: false });
    });

    it('a public client revokes its access token', async () => {
      const user = await userTokens('patient/*.rs');
      await revoke({ token: user.access_token, client_id: pub }).expect(200);
      assert.deepEqual((await introspect({ token: user.access_token }, BOOT()).expect(200)).body, { active: false });
    });

    it('unknown or garbage tokens: 200', async () => {
      for (const token of ['unknown', 'a.b.c', 'x'.repeat(3000)]) await revoke({ token, client_id: pub }).expect(200);
    });

    it('without client identification 401 invalid_client; without token 400 invalid_request', async () => {
      const token = await backendAccessToken();
      assertOAuthError(await revoke({ token }), 401, 'invalid_client');
      assertOAuthError(await revoke({ token, client_id: 'nobody' }), 401, 'invalid_client');
      assertOAuthError(await revoke({ token }, basic(BOOTSTRAP_ID, 'wrong')), 401, 'invalid_client');
      assertOAuthError(await revoke({ client_id: pub }), 400, 'invalid_request');
      await request(t.rawApp).get('/fhir/Patient').set('Authorization', `Bearer ${token}`).expect(200);
    });
  });
});
