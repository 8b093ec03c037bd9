/**
 * POST /oauth/revoke (RFC 7009): the client that owns the token revokes it (confidential clients
 * authenticate, public ones send client_id). An access token is revoked by its jti, so the FHIR
 * API refuses it at once; a refresh token is deleted with its whole family and the access tokens
 * issued with them. Unknown tokens, and tokens of another client (left valid), still get 200.
 */
import type { Request, Response } from 'express';
import type { AuthDeps, OAuthClient } from '../types.js';
import { NO_STORE } from '../oauth-errors.js';
import { smartEndpoints } from '../endpoints.js';
import { authenticateClient } from './client-auth.js';
import { formOf, param, requiredParam } from './params.js';
import { findRefreshToken, revokeFamily } from './refresh-tokens.js';

type Revoker = (deps: AuthDeps, token: string, client: OAuthClient) => Promise<boolean>;

const revokeAccessToken: Revoker = async (deps, token, client) => {
  if (token.split('.').length !== 3) return false;
  const claims = await deps.tokens.decode(token);
  if (!claims) return false;
  if (claims.client_id === client._id) await deps.tokens.revoke(claims);
  else deps.logger.warn({ clientId: client._id }, 'a client tried to revoke a token of another client');
  return true;
};

const revokeRefreshToken: Revoker = async (deps, token, client) => {
  const doc = await findRefreshToken(deps, token);
  if (!doc) return false;
  if (doc.clientId === client._id) await revokeFamily(deps, doc.family);
  else deps.logger.warn({ clientId: client._id }, 'a client tried to revoke a refresh token of another client');
  return true;
};

export function revocationEndpoint(deps: AuthDeps) {
  return async (req: Request, res: Response): Promise<void> => {
    const form = formOf(req);
    const { client } = (await authenticateClient(deps, req, form, { endpoint: smartEndpoints(deps.config.baseUrl).revoke, allowPublic: true }))!;
    const token = requiredParam(form, 'token');
    const order = param(form, 'token_type_hint') === 'refresh_token' ? [revokeRefreshToken, revokeAccessToken] : [revokeAccessToken, revokeRefreshToken];
    for (const revoke of order) {
      if (await revoke(deps, token, client)) break;
    }
    res.status(200).set(NO_STORE).end();
  };
}
