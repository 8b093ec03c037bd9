/**
 * Authorization codes: URL-safe, stored hashed, 60 s, single use (also under concurrent
 * redemption), bound to the client, the redirect_uri and the PKCE challenge (redeemCode).
 */
import { describe, it, before, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { useTestApp } from '../helpers/app.js';
import { redeemCode } from '../../src/auth/authorize/index.js';
import { issueCode } from '../../src/auth/authorize/codes.js';
import { clock } from '../../src/auth/clock.js';
import { insertClient, pkce, runFlow, signupPatient, standardParams, REDIRECT, type User } from './authorize-helpers.js';
import type { AuthorizationGrant, OAuthClient } from '../../src/auth/types.js';

describe('authorization codes', () => {
  const t = useTestApp();
  let client: OAuthClient;
  let ana: User;
  const realNow = clock.now;
  const grant = (over: Partial<AuthorizationGrant> = {}): AuthorizationGrant => ({
    clientId: client._id, redirectUri: REDIRECT, accountId: 'acc-1', role: 'patient', fhirUser: 'Patient/1', scope: 'patient/*.rs', patient: '1', authTime: 1, needPatientBanner: true, ...over,
  });
  const redeem = (code: string, over: Partial<Parameters<typeof redeemCode>[1]> = {}, verifier?: string) =>
    redeemCode(t.auth.deps, { code, clientId: client._id, redirectUri: REDIRECT, codeVerifier: verifier, ...over });

  before(async () => {
    client = await insertClient(t);
    ana = await signupPatient(t);
  });
  afterEach(() => {
    clock.now = realNow;
  });

  it('the code of a real flow is URL-safe base64url of at least 32 bytes and is stored only hashed', async () => {
    const { verifier, challenge } = pkce();
    const { location } = await runFlow(t.rawApp, standardParams(client, challenge), { user: ana });
    const code = location.searchParams.get('code')!;
    assert.match(code, /^[A-Za-z0-9_-]{43,}$/);
    assert.ok(Buffer.from(code, 'base64url').length >= 32);
    const stored = await t.auth.deps.db.collection('auth_codes').find({}).toArray();
    assert.ok(stored.length >= 1);
    assert.ok(!JSON.stringify(stored).includes(code));
    assert.ok(await redeem(code, {}, verifier));
  });

  it('is single use', async () => {
    const { verifier, challenge } = pkce();
    const code = await issueCode(t.auth.deps, grant(), { redirectUriGiven: true, codeChallenge: challenge });
    assert.deepEqual(await redeem(code, {}, verifier), grant());
    assert.equal(await redeem(code, {}, verifier), undefined);
  });

  it('two concurrent redemptions: exactly one wins', async () => {
    const { verifier, challenge } = pkce();
    const code = await issueCode(t.auth.deps, grant(), { redirectUriGiven: true, codeChallenge: challenge });
    const results = await Promise.all(Array.from({ length: 5 }, () => redeem(code, {}, verifier)));
    assert.equal(results.filter((r) => r !== undefined).length, 1);
  });

  it('expires after 60 s', async () => {
    const { verifier, challenge } = pkce();
    const early = await issueCode(t.auth.deps, grant(), { redirectUriGiven: true, codeChallenge: challenge });
    const late = await issueCode(t.auth.deps, grant(), { redirectUriGiven: true, codeChallenge: challenge });
    const issued = realNow();
    clock.now = () => issued + 59_000;
    assert.ok(await redeem(early, {}, verifier));
    clock.now = () => issued + 61_000;
    assert.equal(await redeem(late, {}, verifier), undefined);
  });

  it('a wrong, missing or malformed verifier fails, and spends the code', async () => {
    const { verifier, challenge } = pkce();
    for (const bad of [pkce().verifier, undefined, '', verifier.slice(0, 42), `${verifier}\n`, challenge]) {
      const code = await issueCode(t.auth.deps, grant(), { redirectUriGiven: true, codeChallenge: challenge });
      assert.equal(await redeem(code, {}, bad), undefined, String(bad));
      assert.equal(await redeem(code, {}, verifier), undefined, 'the code is spent by a failed attempt');
    }
  });

  it('another client fails', async () => {
    const { verifier, challenge } = pkce();
    const code = await issueCode(t.auth.deps, grant(), { redirectUriGiven: true, codeChallenge: challenge });
    assert.equal(await redeem(code, { clientId: 'someone-else' }, verifier), undefined);
  });

  it('another redirect_uri fails; leaving it out fails when the request named it', async () => {
    const { verifier, challenge } = pkce();
    const a = await issueCode(t.auth.deps, grant(), { redirectUriGiven: true, codeChallenge: challenge });
    assert.equal(await redeem(a, { redirectUri: 'https://app.example.org/other' }, verifier), undefined);
    const b = await issueCode(t.auth.deps, grant(), { redirectUriGiven: true, codeChallenge: challenge });
    assert.equal(await redeem(b, { redirectUri: undefined }, verifier), undefined);
    const c = await issueCode(t.auth.deps, grant(), { redirectUriGiven: false, codeChallenge: challenge });
    assert.ok(await redeem(c, { redirectUri: undefined }, verifier), 'not named in the request: may be left out');
    const d = await issueCode(t.auth.deps, grant(), { redirectUriGiven: false, codeChallenge: challenge });
    assert.ok(await redeem(d, {}, verifier), 'or repeated as registered');
  });

  it('without a stored challenge: no verifier is fine (confidential client), a verifier is refused', async () => {
    const a = await issueCode(t.auth.deps, grant(), { redirectUriGiven: true });
    assert.ok(await redeem(a, {}, undefined));
    const b = await issueCode(t.auth.deps, grant(), { redirectUriGiven: true });
    assert.equal(await redeem(b, {}, pkce().verifier), undefined);
  });

  it('unknown, empty or absurd codes are undefined, never an error', async () => {
    for (const code of ['', 'x', 'a'.repeat(10_000), '{"$gt":""}']) assert.equal(await redeem(code, {}, pkce().verifier), undefined);
    assert.equal(await redeemCode(t.auth.deps, { code: undefined as unknown as string, clientId: client._id, redirectUri: REDIRECT, codeVerifier: undefined }), undefined);
  });

  it('a reused code is audited', async () => {
    const { verifier, challenge } = pkce();
    const code = await issueCode(t.auth.deps, grant({ fhirUser: 'Patient/reuse-victim' }), { redirectUriGiven: true, codeChallenge: challenge });
    assert.ok(await redeem(code, {}, verifier));
    assert.equal(await redeem(code, {}, verifier), undefined);
    for (let i = 0; i < 50; i++) {
      const events = await t.auth.deps.db.collection('AuditEvent').find({}).toArray();
      if (JSON.stringify(events).includes('authorization code reused')) return;
      await new Promise((r) => setTimeout(r, 20));
    }
    assert.fail('no AuditEvent for the reuse');
  });
});
