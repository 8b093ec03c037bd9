/**
 * Client registration (RFC 7591) and the bootstrap client: who may register, each kind of bad
 * metadata, what is stored (hashed secret), and the bootstrap client's client_credentials tokens.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import request from 'supertest';
import { decodeJwt, exportJWK, generateKeyPair } from 'jose';
import { createTestApp, useTestApp } from '../helpers/app.js';
import { getClient, ensureBootstrapClient } from '../../src/auth/oauth/index.js';
import { adminToken, assertOAuthError, basic, BOOTSTRAP_ENV, BOOTSTRAP_ID, BOOTSTRAP_SECRET, keyPair, postToken, register } from './oauth-helpers.js';

const t = useTestApp(BOOTSTRAP_ENV);

async function tryRegister(metadata: unknown, token?: string) {
  return request(t.rawApp).post('/oauth/register').set('Authorization', `Bearer ${token ?? (await adminToken(t))}`).send(metadata as object);
}

describe('POST /oauth/register', () => {
  it('registers a confidential symmetric client: 201 with a secret of at least 32 characters, stored only hashed', async () => {
    const res = await tryRegister({ client_name: 'Clinic app', redirect_uris: ['https://app.example.org/cb'], scope: 'openid fhirUser launch/patient patient/*.rs offline_access', extra: 'ignored' });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    assert.equal(res.headers['cache-control'], 'no-store');
    const b = res.body;
    assert.ok(typeof b.client_id === 'string' && b.client_id.length > 8);
    assert.ok(typeof b.client_secret === 'string' && b.client_secret.length >= 32);
    assert.equal(b.client_secret_expires_at, 0);
    assert.ok(Math.abs(b.client_id_issued_at - Date.now() / 1000) < 60);
    assert.equal(b.token_endpoint_auth_method, 'client_secret_basic');
    assert.deepEqual(b.grant_types, ['authorization_code']);
    assert.deepEqual(b.redirect_uris, ['https://app.example.org/cb']);
    assert.equal(b.scope, 'openid fhirUser launch/patient patient/*.rs offline_access');
    assert.equal(b.client_name, 'Clinic app');
    assert.equal(b.extra, undefined);
    const stored = await getClient(t.auth.deps, b.client_id);
    assert.ok(stored?.secretHash?.startsWith('scrypt$'));
    assert.ok(!JSON.stringify(stored).includes(b.client_secret), 'the secret is not stored in clear');
  });

  it('registers a public client without a secret', async () => {
    const b = await register(t, { redirect_uris: ['com.example.app:/callback', 'http://127.0.0.1:3000/cb'], token_endpoint_auth_method: 'none', grant_types: ['authorization_code', 'refresh_token'] });
    assert.equal(b.client_secret, undefined);
    assert.equal(b.token_endpoint_auth_method, 'none');
    assert.ok(String(b.scope).includes('patient/*.cruds'), 'a default scope is given');
  });

  it('registers private_key_jwt clients with jwks (RSA and P-384) and with an http jwks_uri when allowed', async () => {
    const rsa = await keyPair('RS384');
    const ec = await keyPair('ES384');
    const b = await register(t, { grant_types: ['client_credentials'], token_endpoint_auth_method: 'private_key_jwt', jwks: { keys: [rsa.publicJwk, ec.publicJwk] }, scope: 'system/*.rs' });
    assert.equal(b.client_secret, undefined);
    assert.equal((b.jwks as { keys: unknown[] }).keys.length, 2);
    const u = await register(t, { grant_types: ['client_credentials'], token_endpoint_auth_method: 'private_key_jwt', jwks_uri: 'http://127.0.0.1:9/jwks.json', scope: 'system/Patient.rs' });
    assert.equal(u.jwks_uri, 'http://127.0.0.1:9/jwks.json');
  });

  it('401 without a token, 401 with a bad one, 403 for a non-administrator', async () => {
    const meta = { redirect_uris: ['https://a.example/cb'] };
    let res = await request(t.rawApp).post('/oauth/register').send(meta);
    assertOAuthError(res, 401, 'invalid_token');
    assert.match(res.headers['www-authenticate'] ?? '', /^Bearer/);
    res = await tryRegister(meta, 'not-a-token');
    assertOAuthError(res, 401, 'invalid_token');
    const user = await t.token({ sub: 'u1', client_id: 'app', scope: 'patient/*.rs', role: 'patient', patient: '1', fhirUser: 'Patient/1' });
    res = await tryRegister(meta, user);
    assertOAuthError(res, 403, 'insufficient_scope');
  });

  it('the bootstrap client token may register clients', async () => {
    const tok = await postToken(t, { grant_type: 'client_credentials' }, basic(BOOTSTRAP_ID, BOOTSTRAP_SECRET));
    assert.equal(tok.status, 200, JSON.stringify(tok.body));
    const res = await tryRegister({ redirect_uris: ['https://b.example/cb'] }, tok.body.access_token);
    assert.equal(res.status, 201, JSON.stringify(res.body));
  });

  const invalidRedirects: Array<[string, unknown]> = [
    ['missing for authorization_code', { }],
    ['empty', { redirect_uris: [] }],
    ['not an array', { redirect_uris: 'https://a.example/cb' }],
    ['relative', { redirect_uris: ['/cb'] }],
    ['with a fragment', { redirect_uris: ['https://a.example/cb#x'] }],
    ['javascript:', { redirect_uris: ['javascript:alert(1)'] }],
    ['not strings', { redirect_uris: [42] }],
  ];
  for (const [name, meta] of invalidRedirects) {
    it(`redirect_uris ${name}: 400 invalid_redirect_uri`, async () => {
      assertOAuthError(await tryRegister(meta), 400, 'invalid_redirect_uri');
    });
  }

  const rsaJwk = async () => (await keyPair('RS384')).publicJwk;
  const invalidMetadata: Array<[string, () => Promise<unknown>]> = [
    ['a body that is not an object', async () => ['x']],
    ['unknown grant type', async () => ({ redirect_uris: ['https://a.example/cb'], grant_types: ['password'] })],
    ['implicit grant', async () => ({ redirect_uris: ['https://a.example/cb'], grant_types: ['implicit'] })],
    ['empty grant_types', async () => ({ redirect_uris: ['https://a.example/cb'], grant_types: [] })],
    ['refresh_token without authorization_code', async () => ({ grant_types: ['refresh_token'] })],
    ['unknown auth method', async () => ({ redirect_uris: ['https://a.example/cb'], token_endpoint_auth_method: 'client_secret_post' })],
    ['public client with client_credentials', async () => ({ grant_types: ['client_credentials'], token_endpoint_auth_method: 'none', scope: 'system/*.rs' })],
    ['private_key_jwt without keys', async () => ({ grant_types: ['client_credentials'], token_endpoint_auth_method: 'private_key_jwt', scope: 'system/*.rs' })],
    ['both jwks and jwks_uri', async () => ({ grant_types: ['client_credentials'], token_endpoint_auth_method: 'private_key_jwt', scope: 'system/*.rs', jwks: { keys: [await rsaJwk()] }, jwks_uri: 'https://k.example/jwks' })],
    ['jwks for a symmetric client', async () => ({ grant_types: ['client_credentials'], scope: 'system/*.rs', jwks: { keys: [await rsaJwk()] } })],
    ['jwks that is not a key set', async () => ({ grant_types: ['client_credentials'], token_endpoint_auth_method: 'private_key_jwt', scope: 'system/*.rs', jwks: { keys: [] } })],
    ['jwks with a private key', async () => {
      const { privateKey } = await generateKeyPair('RS384', { extractable: true });
      return { grant_types: ['client_credentials'], token_endpoint_auth_method: 'private_key_jwt', scope: 'system/*.rs', jwks: { keys: [await exportJWK(privateKey)] } };
    }],
    ['jwks with a symmetric key', async () => ({ grant_types: ['client_credentials'], token_endpoint_auth_method: 'private_key_jwt', scope: 'system/*.rs', jwks: { keys: [{ kty: 'oct', k: 'c2VjcmV0' }] } })],
    ['jwks with a broken RSA key', async () => ({ grant_types: ['client_credentials'], token_endpoint_auth_method: 'private_key_jwt', scope: 'system/*.rs', jwks: { keys: [{ kty: 'RSA', n: 'abc', e: 'AQAB' }] } })],
    ['jwks with a P-256 key (ES384 needs P-384)', async () => {
      const { publicKey } = await generateKeyPair('ES256', { extractable: true });
      return { grant_types: ['client_credentials'], token_endpoint_auth_method: 'private_key_jwt', scope: 'system/*.rs', jwks: { keys: [await exportJWK(publicKey)] } };
    }],
    ['jwks_uri not a URL', async () => ({ grant_types: ['client_credentials'], token_endpoint_auth_method: 'private_key_jwt', scope: 'system/*.rs', jwks_uri: 'keys.json' })],
    ['jwks_uri ftp', async () => ({ grant_types: ['client_credentials'], token_endpoint_auth_method: 'private_key_jwt', scope: 'system/*.rs', jwks_uri: 'ftp://k.example/jwks' })],
    ['unknown scope', async () => ({ redirect_uris: ['https://a.example/cb'], scope: 'patient/*.rs admin_everything' })],
    ['scope naming an unknown resource type', async () => ({ redirect_uris: ['https://a.example/cb'], scope: 'patient/Unicorn.rs' })],
    ['scope not a string', async () => ({ redirect_uris: ['https://a.example/cb'], scope: ['patient/*.rs'] })],
    ['client_credentials without a scope', async () => ({ grant_types: ['client_credentials'] })],
    ['client_name not a string', async () => ({ redirect_uris: ['https://a.example/cb'], client_name: 7 })],
  ];
  for (const [name, meta] of invalidMetadata) {
    it(`${name}: 400 invalid_client_metadata`, async () => {
      assertOAuthError(await tryRegister(await meta()), 400, 'invalid_client_metadata');
    });
  }

  it('malformed JSON is 400 invalid_request; a non-JSON body is invalid_client_metadata', async () => {
    const auth = `Bearer ${await adminToken(t)}`;
    assertOAuthError(await request(t.rawApp).post('/oauth/register').set('Authorization', auth).set('Content-Type', 'application/json').send('{"redirect_uris": ['), 400, 'invalid_request');
    assertOAuthError(await request(t.rawApp).post('/oauth/register').set('Authorization', auth).type('form').send('redirect_uris=https://a.example/cb'), 400, 'invalid_client_metadata');
  });
});

describe('an http jwks_uri without FHIR_ALLOW_HTTP_JWKS_URI', () => {
  const strict = useTestApp();
  it('is refused; https is accepted', async () => {
    const send = async (jwks_uri: string) => request(strict.rawApp).post('/oauth/register').set('Authorization', `Bearer ${await adminToken(strict)}`)
      .send({ grant_types: ['client_credentials'], token_endpoint_auth_method: 'private_key_jwt', scope: 'system/*.rs', jwks_uri });
    assertOAuthError(await send('http://keys.example/jwks.json'), 400, 'invalid_client_metadata');
    assert.equal((await send('https://keys.example/jwks.json')).status, 201);
  });
});

describe('the bootstrap client', () => {
  it('gets system/*.cruds with adm for an hour with HTTP Basic (form-urlencoded credentials)', async () => {
    const res = await postToken(t, { grant_type: 'client_credentials' }, basic(BOOTSTRAP_ID, BOOTSTRAP_SECRET));
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.equal(res.headers['cache-control'], 'no-store');
    assert.equal(res.headers.pragma, 'no-cache');
    assert.equal(res.body.token_type, 'Bearer');
    assert.equal(res.body.scope, 'system/*.cruds');
    assert.equal(res.body.expires_in, 3600);
    assert.equal(res.body.refresh_token, undefined);
    const claims = decodeJwt(res.body.access_token);
    assert.equal(claims.adm, true);
    assert.equal(claims.sub, BOOTSTRAP_ID);
    assert.equal(claims.role, 'system');
    await request(t.rawApp).get('/fhir/Patient').set('Authorization', `Bearer ${res.body.access_token}`).expect(200);
  });

  it('may ask for less: system/Patient.rs', async () => {
    const res = await postToken(t, { grant_type: 'client_credentials', scope: 'system/Patient.rs' }, basic(BOOTSTRAP_ID, BOOTSTRAP_SECRET));
    assert.equal(res.status, 200);
    assert.equal(res.body.scope, 'system/Patient.rs');
  });

  it('a wrong secret, an unknown id or malformed Basic credentials: 401 invalid_client with WWW-Authenticate: Basic', async () => {
    for (const auth of [basic(BOOTSTRAP_ID, `${BOOTSTRAP_SECRET}x`), basic('nobody', BOOTSTRAP_SECRET), 'Basic !!!', `Basic ${Buffer.from('no-colon').toString('base64')}`, 'Bearer abc']) {
      const res = await postToken(t, { grant_type: 'client_credentials' }, auth);
      assertOAuthError(res, 401, 'invalid_client');
      assert.match(res.headers['www-authenticate'] ?? '', /^Basic/, auth);
      assert.equal(res.headers['cache-control'], 'no-store');
      assert.equal(res.body.access_token, undefined);
    }
  });

  it('the client secret in the form (client_secret_post) is refused', async () => {
    assertOAuthError(await postToken(t, { grant_type: 'client_credentials', client_id: BOOTSTRAP_ID, client_secret: BOOTSTRAP_SECRET }), 401, 'invalid_client');
  });

  it('client_id only (no secret) is refused for a confidential client', async () => {
    assertOAuthError(await postToken(t, { grant_type: 'client_credentials', client_id: BOOTSTRAP_ID }), 401, 'invalid_client');
  });

  it('a client_id in the form that differs from the Basic one is refused', async () => {
    assertOAuthError(await postToken(t, { grant_type: 'client_credentials', client_id: 'other' }, basic(BOOTSTRAP_ID, BOOTSTRAP_SECRET)), 401, 'invalid_client');
  });

  it('ensureBootstrapClient updates the hash when the configured secret changes', async () => {
    const deps = t.auth.deps;
    const before = (await getClient(deps, BOOTSTRAP_ID))!.secretHash;
    assert.equal(await ensureBootstrapClient(deps), undefined);
    assert.equal((await getClient(deps, BOOTSTRAP_ID))!.secretHash, before, 'same secret: hash kept');
    const newSecret = 'n'.repeat(40);
    const changed = { ...deps, config: { ...deps.config, auth: { ...deps.config.auth, bootstrapClientSecret: newSecret } } };
    await ensureBootstrapClient(changed);
    assert.notEqual((await getClient(deps, BOOTSTRAP_ID))!.secretHash, before);
    assert.equal((await postToken(t, { grant_type: 'client_credentials' }, basic(BOOTSTRAP_ID, newSecret))).status, 200);
    assertOAuthError(await postToken(t, { grant_type: 'client_credentials' }, basic(BOOTSTRAP_ID, BOOTSTRAP_SECRET)), 401, 'invalid_client');
    await ensureBootstrapClient(deps);
    assert.equal((await postToken(t, { grant_type: 'client_credentials' }, basic(BOOTSTRAP_ID, BOOTSTRAP_SECRET))).status, 200);
  });

  it('without configuration one is generated once (id and a secret of at least 32 characters) and works', async () => {
    const app = await createTestApp();
    try {
      const generated = app.auth.generated.bootstrapClient;
      assert.ok(generated, 'generated at start-up');
      assert.ok(generated.clientSecret.length >= 32);
      assert.equal(await ensureBootstrapClient(app.auth.deps), undefined, 'not generated again');
      const res = await postToken(app, { grant_type: 'client_credentials' }, basic(generated.clientId, generated.clientSecret));
      assert.equal(res.status, 200, JSON.stringify(res.body));
      assert.equal(decodeJwt(res.body.access_token).adm, true);
      const configured = { ...app.auth.deps, config: { ...app.auth.deps.config, auth: { ...app.auth.deps.config.auth, bootstrapClientId: 'configured', bootstrapClientSecret: 'c'.repeat(32) } } };
      await ensureBootstrapClient(configured);
      assert.equal(await getClient(app.auth.deps, generated.clientId), null, 'the generated client gives way to the configured one');
      assert.equal((await getClient(app.auth.deps, 'configured'))?.admin, true);
    } finally {
      await app.close();
    }
  });
});
