/**
 * The user grants of /oauth/token: authorization_code (through the code-exchange seam, so the
 * token side is tested on its own), the SMART token response, id_tokens, and refresh tokens
 * (rotation, replay detection, scope subsets, client binding, public and confidential clients).
 */
import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import request from 'supertest';
import { createLocalJWKSet, decodeJwt, decodeProtectedHeader, jwtVerify } from 'jose';
import { useTestApp } from '../helpers/app.js';
import { tokenHash } from '../../src/auth/opaque-tokens.js';
import {
  assertOAuthError, basic, BOOTSTRAP_ENV, BOOTSTRAP_ID, BOOTSTRAP_SECRET, exchange, fakeCodes, postToken, REDIRECT, register, userGrant, VERIFIER,
} from './oauth-helpers.js';

const t = useTestApp({ ...BOOTSTRAP_ENV, FHIR_ACCESS_TOKEN_TTL: '900' });
const O = 'http://localhost:8080';
let code: Awaited<ReturnType<typeof fakeCodes>>;
let pub: string;
let conf: { id: string; secret: string };
let conf2: { id: string; secret: string };
let pub2: string;

describe('/oauth/token user grants', () => {
  before(async () => {
    code = await fakeCodes();
    const scope = 'openid fhirUser profile launch launch/patient launch/encounter offline_access online_access patient/*.cruds user/*.cruds';
    pub = (await register(t, { redirect_uris: [REDIRECT], token_endpoint_auth_method: 'none', grant_types: ['authorization_code', 'refresh_token'], scope })).client_id;
    pub2 = (await register(t, { redirect_uris: [REDIRECT], token_endpoint_auth_method: 'none', scope })).client_id;
    const c = await register(t, { redirect_uris: [REDIRECT], grant_types: ['authorization_code', 'refresh_token'], scope });
    conf = { id: c.client_id, secret: c.client_secret! };
    const c2 = await register(t, { redirect_uris: [REDIRECT], grant_types: ['authorization_code', 'refresh_token'], scope });
    conf2 = { id: c2.client_id, secret: c2.client_secret! };
  });

  async function tokensFor(clientId: string, scope: string, extra: Parameters<typeof userGrant>[2] = {}, authorization?: string) {
    const res = await exchange(t, code(userGrant(clientId, scope, extra)), authorization ? undefined : clientId, authorization);
    assert.equal(res.status, 200, JSON.stringify(res.body));
    return res.body as Record<string, unknown> & { access_token: string; refresh_token?: string; id_token?: string; scope: string };
  }

  function refresh(refreshToken: string, fields: Record<string, string | undefined> = {}, authorization?: string) {
    return postToken(t, { grant_type: 'refresh_token', refresh_token: refreshToken, ...fields }, authorization);
  }

  describe('authorization_code', () => {
    it('a public client exchanges a code: access token, SMART context, no-store', async () => {
      const res = await exchange(t, code(userGrant(pub, 'launch/patient patient/*.rs')), pub);
      assert.equal(res.status, 200, JSON.stringify(res.body));
      assert.equal(res.headers['cache-control'], 'no-store');
      assert.equal(res.headers.pragma, 'no-cache');
      const b = res.body;
      assert.equal(b.token_type, 'Bearer');
      assert.equal(b.expires_in, 900);
      assert.equal(b.scope, 'launch/patient patient/*.rs');
      assert.equal(b.patient, 'p1');
      assert.equal(b.need_patient_banner, true);
      assert.equal(b.smart_style_url, `${O}/oauth/smart-style.json`);
      assert.equal(b.id_token, undefined);
      assert.equal(b.refresh_token, undefined);
      assert.equal(b.encounter, undefined);
      assert.equal(b.fhirContext, undefined);
      const claims = await t.auth.deps.tokens.verify(b.access_token);
      assert.equal(claims.sub, 'acct-1');
      assert.equal(claims.client_id, pub);
      assert.equal(claims.role, 'patient');
      assert.equal(claims.patient, 'p1');
      assert.equal(claims.fhirUser, 'Patient/p1');
      assert.equal(claims.adm, undefined);
      const style = await request(t.rawApp).get(new URL(b.smart_style_url).pathname).expect(200);
      assert.ok(style.body.color_highlight);
    });

    it('patient and encounter references are answered as bare ids, with fhirContext for the encounter', async () => {
      const b = await tokensFor(pub, 'launch patient/*.rs', { patient: 'Patient/p9', encounter: 'Encounter/e3', needPatientBanner: false });
      assert.equal(b.patient, 'p9');
      assert.equal(b.encounter, 'e3');
      assert.deepEqual(b.fhirContext, [{ reference: 'Encounter/e3' }]);
      assert.equal(b.need_patient_banner, false);
      const claims = decodeJwt(b.access_token);
      assert.equal(claims.patient, 'p9');
      assert.equal(claims.encounter, 'e3');
    });

    it('a practitioner without patient context: no patient, need_patient_banner false', async () => {
      const b = await tokensFor(pub, 'user/*.rs', { role: 'practitioner', fhirUser: 'Practitioner/d1', patient: undefined, accountId: 'acct-2' });
      assert.equal(b.patient, undefined);
      assert.equal(b.need_patient_banner, false);
      assert.equal(decodeJwt(b.access_token).role, 'practitioner');
    });

    it("an administrator's token carries adm", async () => {
      const b = await tokensFor(pub, 'user/*.cruds', { role: 'admin', fhirUser: undefined, patient: undefined, accountId: 'adm-1' });
      assert.equal(decodeJwt(b.access_token).adm, true);
    });

    it('openid: an id_token signed RS256 with the server key (verified with the JWKS)', async () => {
      const authTime = Math.floor(Date.now() / 1000) - 30;
      const b = await tokensFor(pub, 'openid fhirUser launch/patient patient/*.rs', { nonce: 'n-0S6_WzA2Mj', authTime });
      assert.ok(b.id_token);
      const jwks = (await request(t.rawApp).get('/oauth/jwks').expect(200)).body;
      const { payload, protectedHeader } = await jwtVerify(b.id_token, createLocalJWKSet(jwks), { issuer: O, audience: pub, algorithms: ['RS256'] });
      assert.equal(protectedHeader.kid, jwks.keys[0].kid);
      assert.equal(payload.sub, 'acct-1');
      assert.equal(payload.aud, pub);
      assert.equal(payload.auth_time, authTime);
      assert.equal(payload.nonce, 'n-0S6_WzA2Mj');
      assert.equal(payload.fhirUser, `${O}/fhir/Patient/p1`);
      assert.ok(typeof payload.iat === 'number' && typeof payload.exp === 'number' && payload.exp > payload.iat);
    });

    it('openid without fhirUser: no fhirUser claim; no nonce when none was sent', async () => {
      const b = await tokensFor(pub, 'openid patient/*.rs');
      const claims = decodeJwt(b.id_token!);
      assert.equal(claims.fhirUser, undefined);
      assert.equal(claims.nonce, undefined);
      assert.equal(decodeProtectedHeader(b.id_token!).alg, 'RS256');
    });

    it('a code that the authorize part does not redeem (unknown, reused, wrong verifier or redirect_uri): 400 invalid_grant', async () => {
      assertOAuthError(await exchange(t, 'no-such-code', pub), 400, 'invalid_grant');
      const c = code(userGrant(pub, 'patient/*.rs'));
      assert.equal((await exchange(t, c, pub)).status, 200);
      assertOAuthError(await exchange(t, c, pub), 400, 'invalid_grant');
      const c2 = code(userGrant(pub, 'patient/*.rs'));
      assertOAuthError(await postToken(t, { grant_type: 'authorization_code', code: c2, redirect_uri: REDIRECT, code_verifier: 'w'.repeat(43), client_id: pub }), 400, 'invalid_grant');
      const c3 = code(userGrant(pub, 'patient/*.rs'));
      assertOAuthError(await postToken(t, { grant_type: 'authorization_code', code: c3, redirect_uri: 'https://evil.example/cb', code_verifier: VERIFIER, client_id: pub }), 400, 'invalid_grant');
    });

    it('a code issued to another client: invalid_grant', async () => {
      assertOAuthError(await exchange(t, code(userGrant(pub, 'patient/*.rs')), pub2), 400, 'invalid_grant');
    });

    it('missing code: 400 invalid_request; a missing redirect_uri or code_verifier is left to the redemption', async () => {
      assertOAuthError(await postToken(t, { grant_type: 'authorization_code', redirect_uri: REDIRECT, code_verifier: VERIFIER, client_id: pub }), 400, 'invalid_request');
      assertOAuthError(await postToken(t, { grant_type: 'authorization_code', code: code(userGrant(pub, 'patient/*.rs')), code_verifier: VERIFIER, client_id: pub }), 400, 'invalid_grant');
      assertOAuthError(await postToken(t, { grant_type: 'authorization_code', code: code(userGrant(pub, 'patient/*.rs')), redirect_uri: REDIRECT, client_id: pub }), 400, 'invalid_grant');
    });

    it('no client at all, or an unknown client_id: 401 invalid_client', async () => {
      assertOAuthError(await postToken(t, { grant_type: 'authorization_code', code: 'x', redirect_uri: REDIRECT, code_verifier: VERIFIER }), 401, 'invalid_client');
      assertOAuthError(await exchange(t, 'x', 'unknown-client'), 401, 'invalid_client');
    });

    it('a confidential client must authenticate with Basic: client_id alone or a wrong secret is 401', async () => {
      const c = code(userGrant(conf.id, 'patient/*.rs'));
      let res = await exchange(t, c, conf.id);
      assertOAuthError(res, 401, 'invalid_client');
      assert.match(res.headers['www-authenticate'] ?? '', /^Basic/);
      res = await exchange(t, c, undefined, basic(conf.id, `${conf.secret}x`));
      assertOAuthError(res, 401, 'invalid_client');
      res = await exchange(t, c, undefined, basic(conf.id, conf.secret));
      assert.equal(res.status, 200, 'the code was not spent by the failed attempts');
    });

    it('a damaged stored secret hash is 401 invalid_client, never a 500', async () => {
      const damaged = await register(t, { redirect_uris: [REDIRECT], grant_types: ['authorization_code'], scope: 'patient/*.rs' });
      const clients = t.auth.deps.db.collection<{ _id: string; secretHash?: string }>('auth_clients');
      const good = (await clients.findOne({ _id: damaged.client_id }))!.secretHash!;
      const [, , , , salt, key] = good.split('$');
      const hashes = [
        `scrypt$3$8$1$${salt}$${key}`, // N not a power of two
        `scrypt$1048576$32$16$${salt}$${key}`, // more memory than scrypt is allowed
        `scrypt$16384$8$1$${salt}$${key.slice(0, 10)}`, // truncated
        'scrypt$16384$8$1', 'not a hash', '',
      ];
      for (const secretHash of hashes) {
        await clients.updateOne({ _id: damaged.client_id }, { $set: { secretHash } });
        const res = await exchange(t, code(userGrant(damaged.client_id, 'patient/*.rs')), undefined, basic(damaged.client_id, damaged.client_secret!));
        assertOAuthError(res, 401, 'invalid_client');
      }
    });

    it('a client not registered for authorization_code: 400 unauthorized_client', async () => {
      assertOAuthError(await exchange(t, code(userGrant(BOOTSTRAP_ID, 'patient/*.rs')), undefined, basic(BOOTSTRAP_ID, BOOTSTRAP_SECRET)), 400, 'unauthorized_client');
    });
  });

  describe('refresh tokens', () => {
    it('offline_access or online_access gives a refresh token, stored only as a hash', async () => {
      const b = await tokensFor(pub, 'offline_access patient/*.rs');
      assert.ok(typeof b.refresh_token === 'string' && b.refresh_token.length >= 40);
      const col = t.db.collection('auth_refresh_tokens');
      assert.equal(await col.findOne({ _id: b.refresh_token }), null);
      const doc = await col.findOne({ _id: tokenHash(b.refresh_token) });
      assert.ok(doc);
      assert.ok(!JSON.stringify(doc).includes(b.refresh_token));
      assert.ok(Math.abs((doc.exp as number) - (Date.now() / 1000 + 90 * 86400)) < 60, 'offline: 90 days');
      const online = await tokensFor(pub, 'online_access patient/*.rs', { authTime: Math.floor(Date.now() / 1000) - 3600 });
      const onlineDoc = await col.findOne({ _id: tokenHash(online.refresh_token!) });
      assert.ok(Math.abs((onlineDoc!.exp as number) - (Date.now() / 1000 + 11 * 3600)) < 60, 'online: 12 hours from the sign-in');
    });

    it('is rotated on use; the used one is refused and its replay revokes the whole family', async () => {
      const first = await tokensFor(pub, 'offline_access launch/patient patient/*.rs');
      const r1 = await refresh(first.refresh_token!, { client_id: pub });
      assert.equal(r1.status, 200, JSON.stringify(r1.body));
      assert.equal(r1.headers['cache-control'], 'no-store');
      assert.ok(r1.body.refresh_token && r1.body.refresh_token !== first.refresh_token);
      assert.equal(r1.body.scope, 'offline_access launch/patient patient/*.rs');
      assert.equal(r1.body.patient, 'p1');
      assert.equal(r1.body.need_patient_banner, true);
      const claims = await t.auth.deps.tokens.verify(r1.body.access_token);
      assert.equal(claims.sub, 'acct-1');
      assert.equal(claims.patient, 'p1');
      assert.equal(claims.fhirUser, 'Patient/p1');
      // the replay
      assertOAuthError(await refresh(first.refresh_token!, { client_id: pub }), 400, 'invalid_grant');
      // ... revoked the newer refresh token and the access token issued with it
      assertOAuthError(await refresh(r1.body.refresh_token, { client_id: pub }), 400, 'invalid_grant');
      await assert.rejects(t.auth.deps.tokens.verify(r1.body.access_token), /revoked/);
    });

    it('a narrower scope may be asked for; the new refresh token keeps the original scope', async () => {
      const first = await tokensFor(pub, 'offline_access patient/*.cruds');
      const r1 = await refresh(first.refresh_token!, { client_id: pub, scope: 'patient/Observation.rs' });
      assert.equal(r1.status, 200, JSON.stringify(r1.body));
      assert.equal(r1.body.scope, 'patient/Observation.rs');
      assert.equal(decodeJwt(r1.body.access_token).scope, 'patient/Observation.rs');
      const r2 = await refresh(r1.body.refresh_token, { client_id: pub });
      assert.equal(r2.body.scope, 'offline_access patient/*.cruds');
    });

    it('more scope than granted: 400 invalid_scope (and the token stays usable)', async () => {
      const first = await tokensFor(pub, 'offline_access patient/*.rs');
      for (const scope of ['patient/*.cruds', 'offline_access patient/*.rs user/*.rs', 'system/*.rs', 'openid']) {
        assertOAuthError(await refresh(first.refresh_token!, { client_id: pub, scope }), 400, 'invalid_scope');
      }
      assert.equal((await refresh(first.refresh_token!, { client_id: pub, scope: 'patient/Patient.r' })).status, 200);
    });

    it('a public client may refresh with nothing but the token', async () => {
      const first = await tokensFor(pub, 'offline_access patient/*.rs');
      const r = await refresh(first.refresh_token!);
      assert.equal(r.status, 200, JSON.stringify(r.body));
      assert.equal(decodeJwt(r.body.access_token).client_id, pub);
    });

    it('another client cannot use it (invalid_grant), and its attempt does not spend the token', async () => {
      const first = await tokensFor(pub, 'offline_access patient/*.rs');
      assertOAuthError(await refresh(first.refresh_token!, { client_id: pub2 }), 400, 'invalid_grant');
      assertOAuthError(await refresh(first.refresh_token!, {}, basic(conf.id, conf.secret)), 400, 'invalid_grant');
      assert.equal((await refresh(first.refresh_token!, { client_id: pub })).status, 200);
    });

    it('a confidential client must authenticate to refresh', async () => {
      const first = await tokensFor(conf.id, 'offline_access patient/*.rs', {}, basic(conf.id, conf.secret));
      assertOAuthError(await refresh(first.refresh_token!), 401, 'invalid_client');
      assertOAuthError(await refresh(first.refresh_token!, { client_id: conf.id }), 401, 'invalid_client');
      assertOAuthError(await refresh(first.refresh_token!, {}, basic(conf.id, 'wrong-secret')), 401, 'invalid_client');
      assertOAuthError(await refresh(first.refresh_token!, {}, basic(conf2.id, conf2.secret)), 400, 'invalid_grant');
      const r = await refresh(first.refresh_token!, {}, basic(conf.id, conf.secret));
      assert.equal(r.status, 200, JSON.stringify(r.body));
    });

    it('openid: the refresh answer has a new id_token with the original auth_time and no nonce', async () => {
      const authTime = Math.floor(Date.now() / 1000) - 100;
      const first = await tokensFor(pub, 'openid fhirUser offline_access patient/*.rs', { nonce: 'abc', authTime });
      const r = await refresh(first.refresh_token!);
      const claims = decodeJwt(r.body.id_token);
      assert.equal(claims.auth_time, authTime);
      assert.equal(claims.nonce, undefined);
      assert.equal(claims.fhirUser, `${O}/fhir/Patient/p1`);
    });

    it('an expired, unknown or missing refresh token: invalid_grant / invalid_request', async () => {
      const first = await tokensFor(pub, 'offline_access patient/*.rs');
      await t.db.collection('auth_refresh_tokens').updateOne({ _id: tokenHash(first.refresh_token!) }, { $set: { exp: Math.floor(Date.now() / 1000) - 1 } });
      assertOAuthError(await refresh(first.refresh_token!), 400, 'invalid_grant');
      assertOAuthError(await refresh('not-a-refresh-token'), 400, 'invalid_grant');
      assertOAuthError(await refresh('x'.repeat(5000)), 400, 'invalid_grant');
      assertOAuthError(await postToken(t, { grant_type: 'refresh_token', client_id: pub }), 400, 'invalid_request');
    });

    it('an access token is not a refresh token', async () => {
      const first = await tokensFor(pub, 'offline_access patient/*.rs');
      assertOAuthError(await refresh(first.access_token), 400, 'invalid_grant');
    });
  });
});
