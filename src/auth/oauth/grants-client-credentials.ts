/**
 * The client_credentials grant (RFC 6749 §4.4; SMART Backend Services): for confidential clients
 * registered for it. The requested system/ scopes (default: the client's registered scope) are
 * narrowed to the registered scope; nothing left is invalid_scope. Tokens: sub = client_id,
 * role 'system', at most 5 minutes, except the bootstrap client's (an hour, with adm).
 */
import type { Request } from 'express';
import type { AuthDeps } from '../types.js';
import { OAuthError } from '../oauth-errors.js';
import { smartEndpoints } from '../endpoints.js';
import { narrowScopes, parseResourceScope, splitScopes } from '../scopes.js';
import { authenticateClient } from './client-auth.js';
import { BACKEND_TTL } from './clients.js';
import { param, type Form } from './params.js';
import type { GrantResult } from './grants.js';

export async function clientCredentialsGrant(deps: AuthDeps, req: Request, form: Form): Promise<GrantResult> {
  const { client, method } = (await authenticateClient(deps, req, form, { endpoint: smartEndpoints(deps.config.baseUrl).token, allowPublic: false }))!;
  if (!client.grant_types.includes('client_credentials')) throw new OAuthError(400, 'unauthorized_client', 'This client is not registered for the client_credentials grant');
  const requested = splitScopes(param(form, 'scope') ?? client.scope).filter((s) => parseResourceScope(s)?.context === 'system');
  const scope = narrowScopes(requested, splitScopes(client.scope));
  if (scope.length === 0) throw new OAuthError(400, 'invalid_scope', 'None of the requested system/ scopes is allowed to this client');
  let ttl = Math.min(client.maxTokenTtl ?? BACKEND_TTL, 3600);
  if (method === 'private_key_jwt') ttl = Math.min(ttl, BACKEND_TTL);
  const issued = await deps.tokens.issue({
    sub: client._id,
    client_id: client._id,
    scope: scope.join(' '),
    role: 'system',
    ...(client.admin ? { adm: true } : {}),
  }, ttl);
  return {
    body: { access_token: issued.token, token_type: 'Bearer', expires_in: issued.claims.exp - issued.claims.iat, scope: issued.claims.scope },
    who: client._id,
    clientId: client._id,
  };
}
