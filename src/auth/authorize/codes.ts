/**
 * Authorization codes (RFC 6749 §4.1.2, RFC 7636): opaque tokens (32 random bytes, base64url),
 * stored only as their SHA-256 (collection `auth_codes`) with the grant they stand for and the PKCE challenge;
 * live 60 s; redeemed once, atomically, by the client and redirect_uri they were issued to.
 * A redeemed code is kept a while, marked used, so that its reuse is noticed (audited).
 */
import crypto from 'node:crypto';
import type { AuthDeps, AuthorizationGrant } from '../types.js';
import type { DbCollection } from '../../store/database.js';
import { opaqueToken, sweepExpired, tokenHash } from '../opaque-tokens.js';
import { clock } from '../clock.js';
import { LIFETIME } from './lifetimes.js';

export interface CodeDoc {
  /** tokenHash(code) */
  _id: string;
  grant: AuthorizationGrant;
  /** whether redirect_uri was sent with the authorization request */
  redirectUriGiven: boolean;
  codeChallenge?: string;
  expiresAt: number;
  used: boolean;
  usedAt?: number;
  /** epoch ms until which the document is kept */
  keepUntil: number;
  [k: string]: unknown;
}

export interface CodeRedemption {
  code: string;
  clientId: string;
  redirectUri: string | undefined;
  codeVerifier: string | undefined;
}

const VERIFIER = /^[A-Za-z0-9\-._~]{43,128}$/;

const CODES = 'auth_codes';

export function codes(deps: AuthDeps): DbCollection<CodeDoc> {
  return deps.db.collection<CodeDoc>(CODES);
}

/** Deletes the codes past keepUntil, at most once a minute. */
const sweep = sweepExpired(CODES, 'keepUntil', 60_000);

function sameText(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && crypto.timingSafeEqual(x, y);
}

/** BASE64URL(SHA256(verifier)) === challenge (RFC 7636 §4.6), in constant time. */
export function pkceMatches(verifier: string, challenge: string): boolean {
  return VERIFIER.test(verifier) && sameText(tokenHash(verifier), challenge);
}

/** Issues a code for `grant`; returns the code (shown once, in the redirect). */
export async function issueCode(deps: AuthDeps, grant: AuthorizationGrant, binding: { redirectUriGiven: boolean; codeChallenge?: string }): Promise<string> {
  const now = clock.now();
  await sweep(deps.db, now);
  const code = opaqueToken();
  await codes(deps).insertOne({
    _id: tokenHash(code),
    grant,
    redirectUriGiven: binding.redirectUriGiven,
    ...(binding.codeChallenge ? { codeChallenge: binding.codeChallenge } : {}),
    expiresAt: now + LIFETIME.code,
    used: false,
    keepUntil: now + LIFETIME.code + LIFETIME.usedCode,
  });
  return code;
}

/**
 * Redeems a code once: undefined when it is unknown, used, expired (60 s), or bound to another
 * client, redirect_uri or PKCE challenge (the token endpoint answers invalid_grant). The code is
 * consumed first (so that a wrong verifier, client or redirect_uri also spends it: a stolen code
 * cannot be tried twice), then checked.
 */
export async function redeemCode(deps: AuthDeps, r: CodeRedemption): Promise<undefined | AuthorizationGrant> {
  if (typeof r.code !== 'string' || r.code.length === 0 || r.code.length > 256 || typeof r.clientId !== 'string') return undefined;
  const now = clock.now();
  const id = tokenHash(r.code);
  const doc = await codes(deps).findOneAndUpdate({ _id: id, used: false }, { $set: { used: true, usedAt: now } }, { returnDocument: 'before' });
  if (!doc) {
    const spent = await codes(deps).findOne({ _id: id }, { projection: { _id: 1, grant: 1 } });
    if (spent) {
      deps.logger.warn({ clientId: r.clientId }, 'an authorization code was presented again');
      void deps.audit.record({ kind: 'refused', success: false, who: spent.grant.fhirUser ?? spent.grant.accountId, clientId: r.clientId, detail: 'authorization code reused' });
    }
    return undefined;
  }
  if (doc.expiresAt <= now) return undefined;
  const grant = doc.grant;
  if (grant.clientId !== r.clientId) return undefined;
  if (r.redirectUri !== undefined ? r.redirectUri !== grant.redirectUri : doc.redirectUriGiven) return undefined;
  if (doc.codeChallenge !== undefined) {
    if (typeof r.codeVerifier !== 'string' || !pkceMatches(r.codeVerifier, doc.codeChallenge)) return undefined;
  } else if (r.codeVerifier !== undefined) {
    return undefined;
  }
  return grant;
}
