/**
 * The bearer token of a request (RFC 6750 Authorization header), verified. Used by the FHIR API
 * (src/auth/access.ts) and by the server's own endpoints that need a signed-in caller
 * (/admin/..., /oauth/register, /oauth/launch).
 */
import type { Request } from 'express';
import { forbidden } from '../fhir/errors.js';
import { unauthorized, type AccessTokenClaims, type AccessTokens } from './access-token.js';

/** The raw token of `Authorization: Bearer ...`, undefined when there is no Authorization header. */
export function bearerToken(authorization: string | undefined): string | undefined {
  if (authorization === undefined) return undefined;
  const m = /^Bearer[ ]+([A-Za-z0-9\-._~+/]+=*)\s*$/i.exec(authorization);
  if (!m) throw unauthorized('The Authorization header must be "Bearer <access token>"', 'invalid_request');
  return m[1];
}

export async function requireBearer(tokens: AccessTokens, req: Request): Promise<AccessTokenClaims> {
  const token = bearerToken(req.get('authorization'));
  if (token === undefined) throw unauthorized('This endpoint needs an access token (Authorization: Bearer ...)', undefined);
  return tokens.verify(token);
}

/** An administrator's token (or the bootstrap client's); 403 for anyone else. */
export async function requireAdmin(tokens: AccessTokens, req: Request): Promise<AccessTokenClaims> {
  const claims = await requireBearer(tokens, req);
  if (!claims.adm) throw forbidden('Only an administrator may do this');
  return claims;
}
