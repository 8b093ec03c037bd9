/**
 * The OAuth 2.0 side of the SMART authorization server: clients and their registration, client
 * authentication, /oauth/token (authorization_code, refresh_token, client_credentials),
 * introspection, revocation, discovery documents and the JWKS. The parts live beside this file.
 */
import type { Router } from 'express';
import express from 'express';
import type { AuthDeps } from '../types.js';
import { methodNotAllowed, oauthErrorHandler } from '../oauth-errors.js';
import { formBody, jsonBody } from '../http.js';
import { smartEndpoints } from '../endpoints.js';
import { clients } from './clients.js';
import { prepareRefreshTokens } from './refresh-tokens.js';
import { tokenEndpoint } from './grants.js';
import { introspectionEndpoint } from './introspection.js';
import { revocationEndpoint } from './revocation.js';
import { registrationEndpoint } from './registration.js';
import { cachedJson, openidConfiguration, smartConfiguration, SMART_STYLE } from './discovery.js';

/** What the other parts use: client lookup, and the bootstrap client at start-up. */
export { ensureBootstrapClient, getClient } from './clients.js';

export async function prepareOAuth(deps: AuthDeps): Promise<void> {
  await clients(deps).createIndex({ bootstrap: 1 }, { name: 'bootstrap' });
  await deps.db.collection('auth_client_assertions').createIndex({ exp: 1 }, { name: 'exp' });
  await prepareRefreshTokens(deps);
}

/**
 * /oauth/token, /oauth/introspect, /oauth/revoke, /oauth/register, /oauth/jwks,
 * /.well-known/openid-configuration, /fhir/.well-known/smart-configuration.
 */
export function oauthRouter(deps: AuthDeps): Router {
  const router = express.Router();
  const style = new URL(smartEndpoints(deps.config.baseUrl).smartStyle).pathname;
  const posts = ['/oauth/token', '/oauth/introspect', '/oauth/revoke', '/oauth/register'];
  router.post('/oauth/token', formBody, tokenEndpoint(deps));
  router.post('/oauth/introspect', formBody, introspectionEndpoint(deps));
  router.post('/oauth/revoke', formBody, revocationEndpoint(deps));
  router.post('/oauth/register', jsonBody, registrationEndpoint(deps));
  router.all(posts, methodNotAllowed('POST'));
  router.get('/oauth/jwks', cachedJson(() => deps.keys.jwks));
  router.get('/.well-known/openid-configuration', cachedJson(() => openidConfiguration(deps)));
  router.get('/fhir/.well-known/smart-configuration', cachedJson(() => smartConfiguration(deps)));
  router.get(style, cachedJson(() => SMART_STYLE));
  router.use(posts, oauthErrorHandler(deps.logger));
  return router;
}
