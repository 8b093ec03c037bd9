/**
 * The refresh_token grant (RFC 6749 §6): confidential clients authenticate as on the code exchange;
 * public clients send only client_id, or nothing (the token names its client). The token is
 * rotated; a narrower `scope` may be asked for (anything beyond the original grant is
 * invalid_scope), the new refresh token keeps the original scope.
 */
import type { Request } from 'express';
import type { AuthDeps } from '../types.js';
import { OAuthError } from '../oauth-errors.js';
import { smartEndpoints } from '../endpoints.js';
import { coversAll, splitScopes } from '../scopes.js';
import { authenticateClient } from './client-auth.js';
import { getClient } from './clients.js';
import { param, requiredParam, type Form } from './params.js';
import { findRefreshToken, useRefreshToken } from './refresh-tokens.js';
import { userTokens } from './user-tokens.js';
import type { GrantResult } from './grants.js';

export function mayRefresh(grantTypes: readonly string[]): boolean {
  return grantTypes.includes('refresh_token') || grantTypes.includes('authorization_code');
}

export async function refreshTokenGrant(deps: AuthDeps, req: Request, form: Form): Promise<GrantResult> {
  const authenticated = await authenticateClient(deps, req, form, { endpoint: smartEndpoints(deps.config.baseUrl).token, allowPublic: true, optional: true });
  const token = requiredParam(form, 'refresh_token');
  const requested = param(form, 'scope');
  const doc = await findRefreshToken(deps, token);
  if (!doc) throw new OAuthError(400, 'invalid_grant', 'The refresh token is not valid');
  let client = authenticated?.client;
  if (!client) {
    client = (await getClient(deps, doc.clientId)) ?? undefined;
    if (!client) throw new OAuthError(400, 'invalid_grant', 'The refresh token is not valid');
    if (client.token_endpoint_auth_method !== 'none') throw new OAuthError(401, 'invalid_client', 'This client must authenticate to refresh');
  }
  if (!mayRefresh(client.grant_types)) throw new OAuthError(400, 'unauthorized_client', 'This client is not registered for the refresh_token grant');
  const original = splitScopes(doc.scope);
  const accessScope = requested === undefined ? doc.scope : splitScopes(requested).join(' ');
  if (requested !== undefined && (accessScope === '' || !coversAll(original, splitScopes(accessScope)))) {
    throw new OAuthError(400, 'invalid_scope', 'The requested scope goes beyond what was originally granted');
  }
  const previous = await useRefreshToken(deps, doc, client._id);
  const body = await userTokens(deps, client, previous, accessScope, { previous });
  return { body, who: doc.fhirUser ?? doc.accountId, clientId: client._id };
}
