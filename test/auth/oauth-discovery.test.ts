/**
 * Discovery documents (OpenID Connect Discovery, SMART App Launch 2.2 smart-configuration), the
 * server's JWK Set and the smart style document.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import request from 'supertest';
import { useTestApp } from '../helpers/app.js';

const t = useTestApp();
const O = 'http://localhost:8080';

describe('discovery', () => {
  it('GET /fhir/.well-known/smart-configuration lists the endpoints, methods, scopes and capabilities', async () => {
    const res = await request(t.rawApp).get('/fhir/.well-known/smart-configuration').expect(200);
    assert.match(res.headers['content-type'], /application\/json/);
    const c = res.body;
    assert.equal(c.issuer, O);
    assert.equal(c.jwks_uri, `${O}/oauth/jwks`);
    assert.equal(c.authorization_endpoint, `${O}/oauth/authorize`);
    assert.equal(c.token_endpoint, `${O}/oauth/token`);
    assert.equal(c.introspection_endpoint, `${O}/oauth/introspect`);
    assert.equal(c.revocation_endpoint, `${O}/oauth/revoke`);
    assert.equal(c.registration_endpoint, `${O}/oauth/register`);
    assert.deepEqual(c.code_challenge_methods_supported, ['S256']);
    assert.deepEqual([...c.grant_types_supported].sort(), ['authorization_code', 'client_credentials', 'refresh_token']);
    assert.deepEqual([...c.token_endpoint_auth_methods_supported].sort(), ['client_secret_basic', 'none', 'private_key_jwt']);
    assert.deepEqual(c.token_endpoint_auth_signing_alg_values_supported, ['RS384', 'ES384']);
    assert.deepEqual(c.response_types_supported, ['code']);
    for (const s of 'openid fhirUser launch launch/patient launch/encounter offline_access online_access patient/*.cruds user/*.cruds system/*.cruds patient/*.read patient/*.write user/*.read user/*.write system/*.read system/*.write'.split(' ')) {
      assert.ok(c.scopes_supported.includes(s), s);
    }
    for (const cap of ['launch-ehr', 'launch-standalone', 'client-public', 'client-confidential-symmetric', 'client-confidential-asymmetric',
      'sso-openid-connect', 'context-ehr-patient', 'context-ehr-encounter', 'context-standalone-patient', 'context-banner', 'context-style',
      'permission-offline', 'permission-online', 'permission-patient', 'permission-user', 'permission-v1', 'permission-v2', 'authorize-post']) {
      assert.ok(c.capabilities.includes(cap), cap);
    }
  });

  it('the smart-configuration answers CORS requests from any origin', async () => {
    const res = await request(t.rawApp).get('/fhir/.well-known/smart-configuration').set('Origin', 'https://app.example.org').expect(200);
    assert.equal(res.headers['access-control-allow-origin'], 'https://app.example.org');
  });

  it('GET /.well-known/openid-configuration is an OpenID provider configuration', async () => {
    const c = (await request(t.rawApp).get('/.well-known/openid-configuration').expect(200)).body;
    assert.equal(c.issuer, O);
    assert.equal(c.authorization_endpoint, `${O}/oauth/authorize`);
    assert.equal(c.token_endpoint, `${O}/oauth/token`);
    assert.equal(c.jwks_uri, `${O}/oauth/jwks`);
    assert.equal(c.registration_endpoint, `${O}/oauth/register`);
    assert.equal(c.introspection_endpoint, `${O}/oauth/introspect`);
    assert.equal(c.revocation_endpoint, `${O}/oauth/revoke`);
    assert.deepEqual(c.response_types_supported, ['code']);
    assert.deepEqual(c.subject_types_supported, ['public']);
    assert.deepEqual(c.id_token_signing_alg_values_supported, ['RS256']);
    assert.deepEqual(c.code_challenge_methods_supported, ['S256']);
    assert.ok(c.scopes_supported.includes('openid') && c.scopes_supported.includes('fhirUser'));
    for (const claim of ['iss', 'sub', 'aud', 'exp', 'iat', 'auth_time', 'nonce', 'fhirUser']) assert.ok(c.claims_supported.includes(claim), claim);
    assert.ok(c.grant_types_supported.includes('authorization_code'));
    assert.ok(c.token_endpoint_auth_methods_supported.includes('private_key_jwt'));
  });

  it('GET /oauth/jwks is the public key set, without private members', async () => {
    const res = await request(t.rawApp).get('/oauth/jwks').expect(200);
    assert.equal(res.body.keys.length, 1);
    const [key] = res.body.keys;
    assert.equal(key.kty, 'RSA');
    assert.equal(key.kid, t.auth.deps.keys.kid);
    assert.equal(key.alg, 'RS256');
    for (const m of ['d', 'p', 'q', 'dp', 'dq', 'qi']) assert.equal(key[m], undefined, m);
  });

  it('the smart_style_url document is served', async () => {
    const res = await request(t.rawApp).get('/oauth/smart-style.json').expect(200);
    assert.match(res.body.color_background, /^#/);
    assert.ok(res.body.font_family_body);
  });

  it('the POST-only endpoints answer other methods with 405 and an OAuth error', async () => {
    for (const path of ['/oauth/token', '/oauth/introspect', '/oauth/revoke', '/oauth/register']) {
      const res = await request(t.rawApp).get(path);
      assert.equal(res.status, 405, path);
      assert.equal(res.headers.allow, 'POST');
      assert.equal(res.body.error, 'invalid_request');
    }
  });
});
