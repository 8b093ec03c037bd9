/**
 * Client authentication at the token, introspection and revocation endpoints (RFC 6749 §2.3):
 * 'client_secret_basic' (HTTP Basic with the form-urlencoded id and secret, RFC 6749 §2.3.1),
 * 'private_key_jwt' (a client assertion, RFC 7523) or, for public clients, 'none' (only client_id
 * in the form). One method per request; a wrong or missing credential is 401 invalid_client.
 */
import type { Request } from 'express';
import type { AuthDeps, OAuthClient, TokenEndpointAuthMethod } from '../types.js';
import { OAuthError } from '../oauth-errors.js';
import { smartEndpoints } from '../endpoints.js';
import { getClient } from './clients.js';
import { verify, verifyDummy } from '../hashing.js';
import { assertionClientId, JWT_BEARER, verifyClientAssertion } from './client-assertion.js';
import { param, type Form } from './params.js';

export interface AuthenticatedClient {
  client: OAuthClient;
  method: TokenEndpointAuthMethod;
}

export interface ClientAuthOptions {
  /** the URL of the endpoint being called (accepted as a client assertion's aud besides the token URL) */
  endpoint: string;
  /** may a public client identify itself with only client_id? */
  allowPublic: boolean;
  /** resolve to undefined (instead of 401) when the request carries no client credential at all */
  optional?: boolean;
}

const BASIC_CHALLENGE = { 'WWW-Authenticate': 'Basic realm="oauth", charset="UTF-8"' };

function basicFailure(description: string): OAuthError {
  return new OAuthError(401, 'invalid_client', description, BASIC_CHALLENGE);
}

/** RFC 6749 §2.3.1: id and secret are form-urlencoded before Basic encoding. */
function formDecode(text: string): string {
  return decodeURIComponent(text.replace(/\+/g, ' '));
}

function basicCredentials(header: string): { id: string; secret: string } {
  const m = /^Basic[ ]+([A-Za-z0-9+/]+=*)\s*$/i.exec(header);
  if (!m) throw basicFailure('The Authorization header must be "Basic <credentials>"');
  const decoded = Buffer.from(m[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) throw basicFailure('The Basic credentials must be client_id:client_secret');
  try {
    return { id: formDecode(decoded.slice(0, colon)), secret: formDecode(decoded.slice(colon + 1)) };
  } catch {
    throw basicFailure('The Basic credentials are not validly encoded');
  }
}

async function basicClient(deps: AuthDeps, header: string, formClientId: string | undefined): Promise<OAuthClient> {
  const { id, secret } = basicCredentials(header);
  if (formClientId !== undefined && formClientId !== id) throw basicFailure('client_id does not match the Basic credentials');
  const client = await getClient(deps, id);
  const usable = client?.token_endpoint_auth_method === 'client_secret_basic';
  // Unknown client ids take as long to refuse as wrong secrets.
  const ok = usable ? await verify(secret, client.secretHash) : (await verifyDummy(secret), false);
  if (!client || !usable || !ok) throw basicFailure('The client id or secret is not valid');
  return client;
}

async function assertedClient(deps: AuthDeps, form: Form, formClientId: string | undefined, endpoint: string): Promise<OAuthClient> {
  const type = param(form, 'client_assertion_type');
  const assertion = param(form, 'client_assertion');
  if (assertion === undefined) throw new OAuthError(400, 'invalid_request', 'client_assertion_type needs a client_assertion');
  if (type !== JWT_BEARER) throw new OAuthError(401, 'invalid_client', `client_assertion_type must be ${JWT_BEARER}`);
  const clientId = assertionClientId(assertion);
  if (formClientId !== undefined && formClientId !== clientId) throw new OAuthError(401, 'invalid_client', 'client_id does not match the client_assertion');
  const client = await getClient(deps, clientId);
  if (!client || client.token_endpoint_auth_method !== 'private_key_jwt') throw new OAuthError(401, 'invalid_client', 'The client is unknown or does not authenticate with private_key_jwt');
  const token = smartEndpoints(deps.config.baseUrl).token;
  await verifyClientAssertion(deps, client, assertion, [...new Set([token, endpoint])]);
  return client;
}

/**
 * The client a request says it comes from (form client_id, the client assertion's iss, or the Basic
 * id), read with the same parsers as authenticateClient but unverified and never throwing: for
 * the AuditEvent of a refused request.
 */
export function claimedClientId(req: Request, form: Form | undefined): string | undefined {
  const attempts: Array<() => string | undefined> = [
    () => (form ? param(form, 'client_id') : undefined),
    () => (form && typeof form.client_assertion === 'string' ? assertionClientId(form.client_assertion) : undefined),
    () => {
      const authorization = req.get('authorization');
      return authorization !== undefined ? basicCredentials(authorization).id : undefined;
    },
  ];
  for (const attempt of attempts) {
    try {
      const id = attempt();
      if (id) return id.slice(0, 256);
    } catch {
      // not readable: try the next place
    }
  }
  return undefined;
}

/** The authenticated client of the request (see ClientAuthOptions). */
export async function authenticateClient(deps: AuthDeps, req: Request, form: Form, options: ClientAuthOptions): Promise<AuthenticatedClient | undefined> {
  const authorization = req.get('authorization');
  const hasAssertion = form.client_assertion !== undefined || form.client_assertion_type !== undefined;
  const formClientId = param(form, 'client_id');
  if (form.client_secret !== undefined) {
    throw new OAuthError(401, 'invalid_client', 'client_secret in the request body is not supported: use HTTP Basic (client_secret_basic)', BASIC_CHALLENGE);
  }
  if (authorization !== undefined && hasAssertion) throw new OAuthError(400, 'invalid_request', 'Use one client authentication method only');
  if (authorization !== undefined) return { client: await basicClient(deps, authorization, formClientId), method: 'client_secret_basic' };
  if (hasAssertion) return { client: await assertedClient(deps, form, formClientId, options.endpoint), method: 'private_key_jwt' };
  if (formClientId === undefined) {
    if (options.optional) return undefined;
    throw new OAuthError(401, 'invalid_client', 'Client authentication is required', BASIC_CHALLENGE);
  }
  const client = await getClient(deps, formClientId);
  if (!client) throw new OAuthError(401, 'invalid_client', 'The client is unknown');
  if (client.token_endpoint_auth_method !== 'none') {
    throw new OAuthError(401, 'invalid_client', `This client must authenticate (${client.token_endpoint_auth_method})`,
      client.token_endpoint_auth_method === 'client_secret_basic' ? BASIC_CHALLENGE : {});
  }
  if (!options.allowPublic) throw new OAuthError(401, 'invalid_client', 'A public client may not use this endpoint');
  return { client, method: 'none' };
}
