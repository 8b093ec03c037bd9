/**
 * The authorization_code grant against the authorize part's real codes (src/auth/authorize/codes.ts):
 * PKCE S256, single use, redirect_uri binding, and a confidential client without PKCE.
 */
import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { useTestApp } from '../helpers/app.js';
import { decodeJwt } from 'jose';
import { issueCode } from '../../src/auth/authorize/codes.js';
import { logIn } from '../../src/auth/accounts/index.js';
import { assertOAuthError, basic, postToken, REDIRECT, register, userGrant } from './oauth-helpers.js';

const t = useTestApp({ FHIR_ADMIN_EMAIL: 'root@example.org', FHIR_ADMIN_PASSWORD: 'a-long-admin-password' });
const verifier = crypto.randomBytes(32).toString('base64url');
const challenge = crypto.createHash('sha256').update(verifier).digest('base64url');

describe('authorization_code with the authorize part\'s codes', () => {
  let pub: string;
  let conf: { id: string; secret: string };
  before(async () => {
    pub = (await register(t, { redirect_uris: [REDIRECT], token_endpoint_auth_method: 'none' })).client_id;
    const c = await register(t, { redirect_uris: [REDIRECT] });
    conf = { id: c.client_id, secret: c.client_secret! };
  });

  it('a public client with PKCE: tokens once, then invalid_grant', async () => {
    const code = await issueCode(t.auth.deps, userGrant(pub, 'openid fhirUser launch/patient patient/*.rs', { nonce: 'n1' }), { redirectUriGiven: true, codeChallenge: challenge });
    const fields = { grant_type: 'authorization_code', code, redirect_uri: REDIRECT, code_verifier: verifier, client_id: pub };
    const res = await postToken(t, fields);
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.equal(res.body.patient, 'p1');
    assert.ok(res.body.id_token);
    assertOAuthError(await postToken(t, fields), 400, 'invalid_grant');
  });

  it('a wrong code_verifier or redirect_uri: invalid_grant', async () => {
    const grant = userGrant(pub, 'patient/*.rs');
    let code = await issueCode(t.auth.deps, grant, { redirectUriGiven: true, codeChallenge: challenge });
    assertOAuthError(await postToken(t, { grant_type: 'authorization_code', code, redirect_uri: REDIRECT, code_verifier: `${verifier.slice(0, -1)}${verifier.endsWith('A') ? 'B' : 'A'}`, client_id: pub }), 400, 'invalid_grant');
    code = await issueCode(t.auth.deps, grant, { redirectUriGiven: true, codeChallenge: challenge });
    assertOAuthError(await postToken(t, { grant_type: 'authorization_code', code, redirect_uri: 'https://app.example.org/other', code_verifier: verifier, client_id: pub }), 400, 'invalid_grant');
    code = await issueCode(t.auth.deps, grant, { redirectUriGiven: true, codeChallenge: challenge });
    assertOAuthError(await postToken(t, { grant_type: 'authorization_code', code, redirect_uri: REDIRECT, client_id: pub }), 400, 'invalid_grant');
  });

  it('a confidential client without PKCE and without redirect_uri in the request: tokens with Basic', async () => {
    const code = await issueCode(t.auth.deps, userGrant(conf.id, 'patient/*.rs'), { redirectUriGiven: false });
    const res = await postToken(t, { grant_type: 'authorization_code', code }, basic(conf.id, conf.secret));
    assert.equal(res.status, 200, JSON.stringify(res.body));
  });

  it("profile: the id_token carries the account's name and e-mail", async () => {
    const login = await logIn(t.auth.deps, 'root@example.org', 'a-long-admin-password');
    assert.ok(login.ok);
    const grant = userGrant(pub, 'openid profile user/*.rs', { accountId: login.account._id, role: 'admin', fhirUser: undefined, patient: undefined });
    const code = await issueCode(t.auth.deps, grant, { redirectUriGiven: true, codeChallenge: challenge });
    const res = await postToken(t, { grant_type: 'authorization_code', code, redirect_uri: REDIRECT, code_verifier: verifier, client_id: pub });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    const claims = decodeJwt(res.body.id_token);
    assert.equal(claims.sub, login.account._id);
    assert.equal(claims.email, 'root@example.org');
    assert.equal(typeof claims.name, 'string');
    assert.equal(decodeJwt(res.body.access_token).adm, true);
  });
});
