/** CORS for browser apps on the FHIR API, the token endpoint and discovery (issue 4). */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import request from 'supertest';
import { useTestApp } from '../helpers/app.js';

const t = useTestApp();
const APP_ORIGIN = 'https://app.example.org';

describe('CORS', () => {
  for (const path of ['/fhir/Patient', '/oauth/token', '/fhir/.well-known/smart-configuration', '/.well-known/openid-configuration', '/oauth/jwks']) {
    it(`a preflight to ${path} allows the app's origin and the Authorization header`, async () => {
      const r = await request(t.rawApp).options(path).set('Origin', APP_ORIGIN).set('Access-Control-Request-Method', 'POST').set('Access-Control-Request-Headers', 'authorization,content-type');
      assert.equal(r.status, 204);
      assert.equal(r.headers['access-control-allow-origin'], APP_ORIGIN);
      assert.match(r.headers['access-control-allow-headers'], /Authorization/i);
    });
  }
  it('FHIR answers carry Access-Control-Allow-Origin and expose Location, ETag and WWW-Authenticate', async () => {
    const r = await request(t.rawApp).get('/fhir/Patient').set('Origin', APP_ORIGIN);
    assert.equal(r.status, 401);
    assert.equal(r.headers['access-control-allow-origin'], APP_ORIGIN);
    assert.match(r.headers['access-control-expose-headers'], /WWW-Authenticate/);
    assert.match(r.headers['access-control-expose-headers'], /Location/);
  });
  it('answers to requests without Origin say Vary: Origin and carry no CORS grant', async () => {
    const r = await request(t.app).get('/fhir/metadata');
    assert.equal(r.status, 200);
    assert.match(r.headers.vary ?? '', /Origin/);
    assert.equal(r.headers['access-control-allow-origin'], undefined);
  });
  it('the login pages are not opened to other origins', async () => {
    const r = await request(t.rawApp).get('/oauth/authorize').set('Origin', APP_ORIGIN);
    assert.equal(r.headers['access-control-allow-origin'], undefined);
  });
});
