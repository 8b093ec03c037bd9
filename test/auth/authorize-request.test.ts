/**
 * /oauth/authorize refusals: a bad client or redirect_uri is an error page and never a redirect;
 * every other problem goes back to the app with error, error_description and the state unchanged,
 * and no code. Also scope narrowing and the escaping of hostile values on the pages.
 */
import { describe, it, before } from 'node:test';
import assert from 'node:assert/strict';
import request from 'supertest';
import { useTestApp } from '../helpers/app.js';
import { REDIRECT, authorizeQuery, inputs, insertClient, pkce, postForm, signupPatient, standardParams, type User } from './authorize-helpers.js';
import type { OAuthClient } from '../../src/auth/types.js';

describe('/oauth/authorize refusals', () => {
  const t = useTestApp();
  let client: OAuthClient;
  let confidential: OAuthClient;
  let twoRedirects: OAuthClient;
  let ana: User;
  const get = (params: Record<string, string | undefined>) => request(t.rawApp).get(`/oauth/authorize?${authorizeQuery(params)}`);
  const raw = (query: string) => request(t.rawApp).get(`/oauth/authorize?${query}`);

  before(async () => {
    client = await insertClient(t, { scope: 'openid fhirUser launch launch/patient patient/*.rs system/*.cruds offline_access' });
    confidential = await insertClient(t, { token_endpoint_auth_method: 'client_secret_basic', secretHash: 'x' });
    twoRedirects = await insertClient(t, { redirect_uris: [REDIRECT, 'https://app.example.org/other'] });
    ana = await signupPatient(t);
  });

  function assertErrorPage(res: request.Response): void {
    assert.equal(res.status, 400, res.text);
    assert.equal(res.headers.location, undefined);
    assert.equal(res.headers['content-type'], 'text/html; charset=utf-8');
    assert.equal(res.headers['cache-control'], 'no-store');
  }

  function assertErrorRedirect(res: request.Response, error: string, state: string | undefined): URL {
    assert.equal(res.status, 302, res.text);
    const location = new URL(res.headers.location);
    assert.equal(`${location.origin}${location.pathname}`, REDIRECT);
    assert.equal(location.searchParams.get('error'), error, location.href);
    assert.ok(location.searchParams.get('error_description'));
    assert.equal(location.searchParams.get('state'), state ?? null);
    assert.equal(location.searchParams.get('code'), null);
    return location;
  }

  describe('an untrustworthy client or redirect_uri: error page, never a redirect', () => {
    it('unknown client', async () => {
      assertErrorPage(await get(standardParams({ ...client, _id: 'no-such-app' }, pkce().challenge)));
    });
    it('no client_id', async () => {
      assertErrorPage(await get(standardParams(client, pkce().challenge, { client_id: undefined })));
    });
    it('client_id twice', async () => {
      assertErrorPage(await raw(`${authorizeQuery(standardParams(client, pkce().challenge))}&client_id=${encodeURIComponent(client._id)}`));
    });
    it('a redirect_uri the client did not register (nor a prefix or variation of it)', async () => {
      for (const uri of ['https://evil.example.org/callback', `${REDIRECT}/x`, `${REDIRECT}?a=1`, REDIRECT.toUpperCase(), `${REDIRECT}#x`, 'not a url']) {
        const res = await get(standardParams(client, pkce().challenge, { redirect_uri: uri }));
        assertErrorPage(res);
        assert.doesNotMatch(res.text, /evil/);
      }
    });
    it('redirect_uri twice', async () => {
      assertErrorPage(await raw(`${authorizeQuery(standardParams(client, pkce().challenge))}&redirect_uri=${encodeURIComponent('https://evil.example.org/')}`));
    });
    it('redirect_uri may be omitted when the client registered exactly one, not otherwise', async () => {
      assert.equal((await get(standardParams(client, pkce().challenge, { redirect_uri: undefined }))).status, 200);
      assertErrorPage(await get(standardParams(twoRedirects, pkce().challenge, { redirect_uri: undefined })));
      assert.equal((await get(standardParams(twoRedirects, pkce().challenge, { redirect_uri: 'https://app.example.org/other' }))).status, 200);
    });
    it('with a bad client even a wrong aud or response_type is a page', async () => {
      assertErrorPage(await get(standardParams({ ...client, _id: 'nope' }, pkce().challenge, { aud: 'https://evil.example.org/fhir', response_type: 'token' })));
    });
  });

  describe('everything else: an error redirect with the state', () => {
    it('a wrong aud', async () => {
      for (const aud of ['https://evil.example.org/fhir', 'http://localhost:8080/fhir/Patient', 'http://localhost:8080', 'http://localhost:8081/fhir']) {
        const p = standardParams(client, pkce().challenge, { aud });
        assertErrorRedirect(await get(p), 'invalid_request', p.state);
      }
    });
    it('no aud', async () => {
      const p = standardParams(client, pkce().challenge, { aud: undefined });
      assertErrorRedirect(await get(p), 'invalid_request', p.state);
    });
    it('plain PKCE is refused', async () => {
      const { verifier } = pkce();
      const p = standardParams(client, verifier, { code_challenge_method: 'plain' });
      assertErrorRedirect(await get(p), 'invalid_request', p.state);
    });
    it('a code_challenge without a method (which would mean plain) is refused', async () => {
      const p = standardParams(client, pkce().challenge, { code_challenge_method: undefined });
      assertErrorRedirect(await get(p), 'invalid_request', p.state);
    });
    it('a malformed code_challenge is refused', async () => {
      const p = standardParams(client, 'short');
      assertErrorRedirect(await get(p), 'invalid_request', p.state);
    });
    it('a public client must send PKCE', async () => {
      const p = standardParams(client, pkce().challenge, { code_challenge: undefined, code_challenge_method: undefined });
      assertErrorRedirect(await get(p), 'invalid_request', p.state);
    });
    it('a confidential client may leave PKCE out', async () => {
      assert.equal((await get(standardParams(confidential, pkce().challenge, { code_challenge: undefined, code_challenge_method: undefined }))).status, 200);
    });
    it('response_type other than code, or none', async () => {
      const p = standardParams(client, pkce().challenge, { response_type: 'token' });
      assertErrorRedirect(await get(p), 'unsupported_response_type', p.state);
      const q = standardParams(client, pkce().challenge, { response_type: undefined });
      assertErrorRedirect(await get(q), 'invalid_request', q.state);
    });
    it('no state', async () => {
      assertErrorRedirect(await get(standardParams(client, pkce().challenge, { state: undefined })), 'invalid_request', undefined);
    });
    it('a parameter sent twice', async () => {
      const p = standardParams(client, pkce().challenge);
      assertErrorRedirect(await raw(`${authorizeQuery(p)}&scope=user/*.cruds`), 'invalid_request', p.state);
    });
    it('only unknown scopes, or none, or only scopes the client may not have: invalid_scope', async () => {
      for (const scope of ['patient/Nonsense.read fly/away', undefined, 'user/*.cruds', 'system/*.rs']) {
        const p = standardParams(client, pkce().challenge, { scope });
        assertErrorRedirect(await get(p), 'invalid_scope', p.state);
      }
    });
    it('a launch that does not exist', async () => {
      const p = standardParams(client, pkce().challenge, { scope: 'launch patient/*.rs', launch: 'made-up' });
      assertErrorRedirect(await get(p), 'invalid_request', p.state);
    });
    it('a launch parameter without the launch scope', async () => {
      const p = standardParams(client, pkce().challenge, { scope: 'patient/*.rs', launch: 'made-up' });
      assertErrorRedirect(await get(p), 'invalid_request', p.state);
    });
    it('a client not registered for authorization_code', async () => {
      const backend = await insertClient(t, { grant_types: ['client_credentials'] });
      const p = standardParams(backend, pkce().challenge);
      assertErrorRedirect(await get(p), 'unauthorized_client', p.state);
    });
    it('the state comes back unchanged, however odd', async () => {
      const state = 'a b&c=d/é?<script>"\'%20+';
      assertErrorRedirect(await get(standardParams(client, pkce().challenge, { state, aud: 'x' })), 'invalid_request', state);
    });
    it('the redirect keeps the query of the registered redirect_uri', async () => {
      const withQuery = await insertClient(t, { redirect_uris: ['https://app.example.org/cb?tenant=7'] });
      const p = standardParams(withQuery, pkce().challenge, { aud: 'x' });
      const res = await get(p);
      assert.equal(res.status, 302);
      const location = new URL(res.headers.location);
      assert.equal(location.searchParams.get('tenant'), '7');
      assert.equal(location.searchParams.get('error'), 'invalid_request');
    });
  });

  describe('scopes', () => {
    async function offered(scope: string): Promise<string[]> {
      const first = await get(standardParams(client, pkce().challenge, { scope }));
      assert.equal(first.status, 200, first.text);
      const login = await postForm(t.rawApp, { ...inputs(first.text).hidden, username: ana.email, password: ana.password });
      return inputs(login.text).checkboxes.scope ?? [];
    }
    it('unknown scopes are dropped; each is narrowed to what the client may get', async () => {
      assert.deepEqual(await offered('openid bogus patient/*.cruds patient/Observation.read user/*.rs launch/patient'), ['openid', 'patient/*.rs', 'patient/Observation.read', 'launch/patient']);
    });
    it('system/ scopes are never granted to a user sign-in', async () => {
      assert.deepEqual(await offered('system/*.cruds patient/Observation.rs'), ['patient/Observation.rs']);
    });
    it('a wildcard under typed registered scopes is offered as the typed scopes it covers', async () => {
      const typed = await insertClient(t, { scope: 'openid launch/patient patient/Observation.rs patient/Condition.r' });
      const first = await get(standardParams(typed, pkce().challenge, { scope: 'openid launch/patient patient/*.read' }));
      assert.equal(first.status, 200, first.text);
      const login = await postForm(t.rawApp, { ...inputs(first.text).hidden, username: ana.email, password: ana.password });
      assert.deepEqual(inputs(login.text).checkboxes.scope, ['openid', 'launch/patient', 'patient/Observation.rs', 'patient/Condition.r']);
    });
  });

  describe('HTML escaping', () => {
    it('a hostile scope value, app name and username are escaped on the pages', async () => {
      const hostile = await insertClient(t, { client_name: '<img src=x onerror=alert(1)>"Evil"', scope: 'patient/*.rs' });
      const scope = 'patient/Observation.rs?code=<script>alert(1)</script>"\'';
      const state = '"><script>alert(2)</script>';
      const first = await get(standardParams(hostile, pkce().challenge, { scope, state }));
      assert.equal(first.status, 200, first.text);
      assert.doesNotMatch(first.text, /<img|<script/);
      assert.match(first.text, /&#60;img src&#61;x onerror&#61;alert\(1\)&#62;&#34;Evil&#34;/);
      const hidden = inputs(first.text).hidden;
      const wrong = await postForm(t.rawApp, { ...hidden, username: '"><script>alert(3)</script>', password: 'wrong password' });
      assert.equal(wrong.status, 401);
      assert.doesNotMatch(wrong.text, /<script/);
      assert.equal(inputs(wrong.text).hidden.request_id, hidden.request_id);
      const login = await postForm(t.rawApp, { ...hidden, username: ana.email, password: ana.password });
      assert.doesNotMatch(login.text, /<script|<img/);
      const page = inputs(login.text);
      assert.deepEqual(page.checkboxes.scope, [scope]);
      const done = await postForm(t.rawApp, { ...page.hidden, scope: page.checkboxes.scope, decision: 'allow' });
      const location = new URL(done.headers.location);
      assert.equal(location.searchParams.get('state'), state);
      assert.ok(location.searchParams.get('code'));
    });
    it('error pages escape what they show', async () => {
      const res = await get({ client_id: '<script>x</script>' });
      assertErrorPage(res);
      assert.doesNotMatch(res.text, /<script/);
    });
  });

  describe('the form body', () => {
    it('a body over 64kb is a 413 page', async () => {
      const res = await request(t.rawApp).post('/oauth/authorize').type('form').send(`state=${'x'.repeat(70 * 1024)}`);
      assert.equal(res.status, 413);
      assert.equal(res.headers['content-type'], 'text/html; charset=utf-8');
    });
    it('a JSON body is not an authorization request (error page)', async () => {
      const res = await request(t.rawApp).post('/oauth/authorize').send(standardParams(client, pkce().challenge));
      assertErrorPage(res);
    });
    it('a flow expires after 10 minutes', async () => {
      const { clock } = await import('../../src/auth/clock.js');
      const first = await get(standardParams(client, pkce().challenge));
      const now = clock.now;
      clock.now = () => now() + 10 * 60_000 + 1000;
      try {
        const res = await postForm(t.rawApp, { ...inputs(first.text).hidden, username: ana.email, password: ana.password });
        assertErrorPage(res);
      } finally {
        clock.now = now;
      }
    });
  });
});
