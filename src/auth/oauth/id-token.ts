/**
 * OpenID Connect id_tokens (when `openid` was granted): RS256 with the server key (header kid);
 * iss = the issuer, sub = the account id, aud = the client_id, iat, exp, auth_time, nonce if the
 * authorization request had one, fhirUser as an absolute URL when `fhirUser` was granted, and name /
 * email when `profile` was granted.
 */
import { SignJWT } from 'jose';
import type { AuthDeps } from '../types.js';
import { getAccount } from '../accounts/index.js';
import { clock } from '../clock.js';

export interface IdTokenInput {
  sub: string;
  clientId: string;
  /** the granted scopes */
  scopes: readonly string[];
  authTime: number;
  nonce?: string;
  /** `Patient/1`, `Practitioner/2` */
  fhirUser?: string;
}

export async function signIdToken(deps: AuthDeps, input: IdTokenInput): Promise<string> {
  const iat = clock.seconds();
  const claims: Record<string, unknown> = { auth_time: input.authTime };
  if (input.nonce !== undefined) claims.nonce = input.nonce;
  if (input.fhirUser && input.scopes.includes('fhirUser')) claims.fhirUser = `${deps.config.baseUrl}/${input.fhirUser}`;
  if (input.scopes.includes('profile')) {
    const account = await getAccount(deps, input.sub);
    if (account) {
      claims.name = account.name;
      claims.email = account.email;
    }
  }
  return new SignJWT(claims)
    .setProtectedHeader({ alg: deps.keys.alg, kid: deps.keys.kid, typ: 'JWT' })
    .setIssuer(deps.issuer)
    .setSubject(input.sub)
    .setAudience(input.clientId)
    .setIssuedAt(iat)
    .setExpirationTime(iat + deps.config.auth.accessTokenTtl)
    .sign(deps.keys.privateKey);
}
