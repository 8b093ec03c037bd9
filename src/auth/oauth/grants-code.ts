/**
 * The authorization_code grant (RFC 6749 §4.1.3, PKCE RFC 7636): the client authenticates as
 * registered (public clients: client_id only), the code is redeemed once through the authorize
 * part (bound to client, redirect_uri and PKCE code_verifier), and the user's tokens are issued.
 */
import type { Request } from 'express';
import { pickUserGrant, type AuthDeps } from '../types.js';
import { OAuthError } from '../oauth-errors.js';
import { smartEndpoints } from '../endpoints.js';
import { redeemCode } from '../authorize/index.js';
import { authenticateClient } from './client-auth.js';
import { param, requiredParam, type Form } from './params.js';
import { userTokens } from './user-tokens.js';
import type { GrantResult } from './grants.js';

/** The code redemption in use (an indirection tests may replace). */
export const codeExchange = { redeem: redeemCode };

export async function authorizationCodeGrant(deps: AuthDeps, req: Request, form: Form): Promise<GrantResult> {
  const { client } = (await authenticateClient(deps, req, form, { endpoint: smartEndpoints(deps.config.baseUrl).token, allowPublic: true }))!;
  const code = requiredParam(form, 'code');
  // Both are checked by the redemption: redirect_uri when the authorization request had one,
  // code_verifier when it had a code_challenge (always, for public clients).
  const redirectUri = param(form, 'redirect_uri');
  const codeVerifier = param(form, 'code_verifier');
  if (!client.grant_types.includes('authorization_code')) throw new OAuthError(400, 'unauthorized_client', 'This client is not registered for the authorization_code grant');
  const grant = await codeExchange.redeem(deps, { code, clientId: client._id, redirectUri, codeVerifier });
  if (!grant) throw new OAuthError(400, 'invalid_grant', 'The authorization code is not valid (unknown, used, expired, or bound to another client, redirect_uri or code_verifier)');
  const body = await userTokens(deps, client, pickUserGrant(grant), grant.scope, { nonce: grant.nonce });
  return { body, who: grant.fhirUser ?? grant.accountId, clientId: client._id };
}
