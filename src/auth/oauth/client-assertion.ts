/**
 * private_key_jwt client authentication (RFC 7523 §2.2, SMART Backend Services): the client signs a
 * short-lived JWT with its own key. Checked here: RS384 or ES384 only; the key found by `kid` in the
 * client's registered `jwks` or fetched (and cached) from its `jwks_uri`; iss = sub = client_id;
 * aud = the token URL (or the endpoint being called); exp required and at most 5 minutes ahead;
 * jti required and single use (collection `auth_client_assertions`, purged of expired entries).
 */
import { createLocalJWKSet, createRemoteJWKSet, decodeJwt, decodeProtectedHeader, jwtVerify, type JSONWebKeySet, type JWTVerifyGetKey } from 'jose';
import { isDuplicateKeyError } from '../../store/database.js';
import type { AuthDeps, OAuthClient } from '../types.js';
import { OAuthError } from '../oauth-errors.js';
import { sweepExpired } from '../opaque-tokens.js';
import { clock } from '../clock.js';

export const JWT_BEARER = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';
export const ASSERTION_ALGS = ['RS384', 'ES384'];
/** Longest accepted assertion lifetime from now, seconds. */
export const MAX_ASSERTION_AHEAD = 300;
const CLOCK_SKEW = 5;

interface UsedAssertion {
  _id: string;
  exp: number;
  [k: string]: unknown;
}

const remoteSets = new Map<string, ReturnType<typeof createRemoteJWKSet>>();

function remoteSet(uri: string): JWTVerifyGetKey {
  let set = remoteSets.get(uri);
  if (!set) {
    if (remoteSets.size > 1000) remoteSets.clear();
    set = createRemoteJWKSet(new URL(uri), { timeoutDuration: 5000, cooldownDuration: 30_000, cacheMaxAge: 10 * 60_000 });
    remoteSets.set(uri, set);
  }
  return set;
}

function keySetOf(deps: AuthDeps, client: OAuthClient): JWTVerifyGetKey {
  if (client.jwks) return createLocalJWKSet(client.jwks as unknown as JSONWebKeySet);
  if (client.jwks_uri) {
    if (!client.jwks_uri.startsWith('https:') && !deps.config.auth.allowHttpJwksUri) throw bad("The client's jwks_uri is not https");
    return remoteSet(client.jwks_uri);
  }
  throw bad('The client has no registered keys');
}

function bad(description: string): OAuthError {
  return new OAuthError(401, 'invalid_client', description);
}

/** The client_id an assertion claims to come from (iss, which must equal sub), unverified. */
export function assertionClientId(assertion: string): string {
  let claims;
  try {
    claims = decodeJwt(assertion);
  } catch {
    throw bad('The client_assertion is not a JWT');
  }
  if (typeof claims.iss !== 'string' || claims.iss === '') throw bad('The client_assertion has no iss');
  if (claims.sub !== claims.iss) throw bad('The client_assertion must have sub equal to iss (the client_id)');
  return claims.iss;
}

const USED_ASSERTIONS = 'auth_client_assertions';
/** A used jti is kept until its assertion could no longer be accepted (exp plus the clock skew). */
const sweep = sweepExpired(USED_ASSERTIONS, 'exp', 60_000, { unit: 's', graceMs: CLOCK_SKEW * 1000 });

async function useJti(deps: AuthDeps, clientId: string, jti: string, exp: number): Promise<void> {
  const col = deps.db.collection<UsedAssertion>(USED_ASSERTIONS);
  await sweep(deps.db, clock.now());
  try {
    await col.insertOne({ _id: `${clientId} ${jti}`, exp });
  } catch (err) {
    if (isDuplicateKeyError(err)) throw bad('The client_assertion has already been used (jti)');
    throw err;
  }
}

/** Verifies `assertion` as `client`'s; `audiences`: the URLs accepted as aud. */
export async function verifyClientAssertion(deps: AuthDeps, client: OAuthClient, assertion: string, audiences: string[]): Promise<void> {
  let header;
  try {
    header = decodeProtectedHeader(assertion);
  } catch {
    throw bad('The client_assertion is not a JWT');
  }
  if (typeof header.alg !== 'string' || !ASSERTION_ALGS.includes(header.alg)) throw bad(`The client_assertion must be signed with ${ASSERTION_ALGS.join(' or ')}`);
  let payload;
  try {
    ({ payload } = await jwtVerify(assertion, keySetOf(deps, client), {
      algorithms: ASSERTION_ALGS,
      issuer: client._id,
      subject: client._id,
      audience: audiences,
      requiredClaims: ['exp', 'jti'],
      clockTolerance: CLOCK_SKEW,
      currentDate: new Date(clock.now()),
    }));
  } catch (err) {
    if (err instanceof OAuthError) throw err;
    throw bad(assertionFailure(err));
  }
  const now = clock.seconds();
  if ((payload.exp as number) > now + MAX_ASSERTION_AHEAD + CLOCK_SKEW) throw bad(`The client_assertion must expire within ${MAX_ASSERTION_AHEAD} seconds`);
  if (typeof payload.jti !== 'string' || payload.jti === '' || payload.jti.length > 256) throw bad('The client_assertion needs a jti');
  await useJti(deps, client._id, payload.jti, payload.exp as number);
}

function assertionFailure(err: unknown): string {
  const e = err as { code?: string; claim?: string; message?: string };
  switch (e.code) {
    case 'ERR_JWT_EXPIRED': return 'The client_assertion has expired';
    case 'ERR_JWT_CLAIM_VALIDATION_FAILED': return `The client_assertion claim ${e.claim ?? ''} is not valid`.replace('  ', ' ');
    case 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED': return 'The client_assertion signature does not verify';
    case 'ERR_JWKS_NO_MATCHING_KEY': return 'No registered key of the client matches the client_assertion (kid, alg)';
    case 'ERR_JWKS_MULTIPLE_MATCHING_KEYS': return 'Several registered keys match the client_assertion: give a kid';
    case 'ERR_JWKS_TIMEOUT': return "The client's jwks_uri did not answer in time";
    case 'ERR_JOSE_ALG_NOT_ALLOWED': return `The client_assertion must be signed with ${ASSERTION_ALGS.join(' or ')}`;
    case 'ERR_JWKS_INVALID': case 'ERR_JOSE_GENERIC': return "The client's JWK Set could not be used";
    default: return 'The client_assertion is not valid';
  }
}
