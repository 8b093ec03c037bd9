/**
 * The parameters of an authorization request (RFC 6749 §4.1.1, RFC 7636, SMART App Launch 2.2
 * "Obtain authorization code"), checked in the order the specs ask for: the client and its
 * redirect_uri first (a problem there is shown on an error page and NEVER redirected, since the
 * redirect target cannot be trusted), then everything else (a problem there is redirected back to
 * the app with `error`, `error_description` and the `state` unchanged).
 */
import { getClient } from '../oauth/index.js';
import { isKnownScope, narrowScopes, splitScopes } from '../scopes.js';
import type { AuthDeps, OAuthClient } from '../types.js';
import { singleParam as param, type Params } from '../http.js';

/** A checked authorization request, kept server-side for the rest of the flow. */
export interface AuthorizeRequest {
  clientId: string;
  redirectUri: string;
  /** whether redirect_uri was sent (RFC 6749 §4.1.3: then the token request must repeat it) */
  redirectUriGiven: boolean;
  state: string;
  /** the requested scopes, unknown ones dropped, each intersected with what the client may get */
  scopes: string[];
  /** BASE64URL(SHA256(code_verifier)), when the app sent one */
  codeChallenge?: string;
  nonce?: string;
  /** the `launch` of an EHR launch */
  launch?: string;
}

/** Where (and with what) an error goes back to the app. */
export interface ErrorRedirect {
  redirectUri: string;
  state?: string;
  /** RFC 6749 §4.1.2.1 */
  error: 'invalid_request' | 'unauthorized_client' | 'access_denied' | 'unsupported_response_type' | 'invalid_scope' | 'server_error';
  description: string;
}

export type RequestCheck =
  | { ok: true; request: AuthorizeRequest; client: OAuthClient }
  | { ok: false; page: string }
  | { ok: false; redirect: ErrorRedirect };

/** The authorize parameters as parsed by express (query or urlencoded body). */
export type RawParams = Params;

const PKCE_CHALLENGE = /^[A-Za-z0-9\-._~]{43,128}$/;
const CLIENT_ID = /^[\x21-\x7e]{1,256}$/;
const MAX = { state: 4096, nonce: 1024, scope: 8192, launch: 512, redirectUri: 2048 } as const;

/** `redirectUri` plus the given parameters (its own query kept, fragment dropped). */
export function redirectWith(redirectUri: string, params: Record<string, string | undefined>): string {
  const url = new URL(redirectUri);
  url.hash = '';
  for (const [k, v] of Object.entries(params)) if (v !== undefined) url.searchParams.append(k, v);
  return url.href;
}

export function errorRedirectUrl(e: ErrorRedirect): string {
  return redirectWith(e.redirectUri, { error: e.error, error_description: e.description, state: e.state });
}

const stripSlashes = (s: string) => s.replace(/\/+$/, '');

/** Checks the parameters of a new authorization request. */
export async function checkAuthorizeRequest(deps: AuthDeps, params: RawParams): Promise<RequestCheck> {
  // 1. The client and the redirect_uri: errors here are pages.
  const clientId = param(params, 'client_id');
  if (clientId.repeated) return { ok: false, page: 'The request names client_id more than once.' };
  if (clientId.value === undefined) return { ok: false, page: 'The request does not name the app (client_id is missing).' };
  if (!CLIENT_ID.test(clientId.value)) return { ok: false, page: 'The app named by this request is not registered here.' };
  const client = await getClient(deps, clientId.value);
  if (!client) return { ok: false, page: 'The app named by this request is not registered here.' };
  const redirect = param(params, 'redirect_uri');
  if (redirect.repeated) return { ok: false, page: 'The request names redirect_uri more than once.' };
  const registered = Array.isArray(client.redirect_uris) ? client.redirect_uris : [];
  let redirectUri: string;
  if (redirect.value === undefined) {
    if (registered.length !== 1) return { ok: false, page: 'The request does not say where to return (redirect_uri is missing), and the app has more than one registered.' };
    redirectUri = registered[0];
  } else {
    if (redirect.value.length > MAX.redirectUri || !registered.includes(redirect.value)) {
      return { ok: false, page: 'The return address (redirect_uri) of this request is not one the app registered.' };
    }
    redirectUri = redirect.value;
  }
  try {
    new URL(redirectUri);
  } catch {
    return { ok: false, page: 'The return address (redirect_uri) the app registered is not a valid URL.' };
  }

  // 2. Everything else: errors go back to the app.
  const state = param(params, 'state');
  const fail = (error: ErrorRedirect['error'], description: string): RequestCheck =>
    ({ ok: false, redirect: { redirectUri, state: state.repeated ? undefined : state.value, error, description } });
  for (const name of ['response_type', 'scope', 'state', 'aud', 'code_challenge', 'code_challenge_method', 'launch', 'nonce']) {
    if (param(params, name).repeated) return fail('invalid_request', `The parameter ${name} is sent more than once`);
  }
  if (state.value === undefined) return fail('invalid_request', 'The state parameter is required');
  if (state.value.length > MAX.state) return fail('invalid_request', `The state parameter is longer than ${MAX.state} characters`);
  const responseType = param(params, 'response_type').value;
  if (responseType === undefined) return fail('invalid_request', 'The response_type parameter is required');
  if (responseType !== 'code') return fail('unsupported_response_type', 'Only response_type=code is supported');
  if (Array.isArray(client.grant_types) && client.grant_types.length > 0 && !client.grant_types.includes('authorization_code')) {
    return fail('unauthorized_client', 'This app is not registered for the authorization_code grant');
  }

  const aud = param(params, 'aud').value;
  if (aud === undefined) return fail('invalid_request', `The aud parameter is required: the FHIR base URL ${deps.config.baseUrl}`);
  if (stripSlashes(aud) !== stripSlashes(deps.config.baseUrl)) return fail('invalid_request', `The aud parameter must be this server's FHIR base URL ${deps.config.baseUrl}`);

  const challenge = param(params, 'code_challenge').value;
  const method = param(params, 'code_challenge_method').value;
  if (challenge === undefined && method !== undefined) return fail('invalid_request', 'code_challenge_method is sent without a code_challenge');
  if (challenge !== undefined) {
    if (method !== 'S256') return fail('invalid_request', 'code_challenge_method must be S256 (plain is not accepted)');
    if (!PKCE_CHALLENGE.test(challenge)) return fail('invalid_request', 'code_challenge must be 43 to 128 characters of [A-Za-z0-9-._~]');
  } else if (client.token_endpoint_auth_method === 'none') {
    return fail('invalid_request', 'Public apps must use PKCE: code_challenge and code_challenge_method=S256 are required');
  }

  const nonce = param(params, 'nonce').value;
  if (nonce !== undefined && nonce.length > MAX.nonce) return fail('invalid_request', `The nonce parameter is longer than ${MAX.nonce} characters`);
  const launch = param(params, 'launch').value;
  if (launch !== undefined && launch.length > MAX.launch) return fail('invalid_request', 'The launch parameter is not valid');

  const scope = param(params, 'scope').value;
  if (scope !== undefined && scope.length > MAX.scope) return fail('invalid_scope', 'The scope parameter is too long');
  const requested = splitScopes(scope).filter(isKnownScope);
  // system/ scopes belong to backend services (client_credentials), never to a user's sign-in.
  const scopes = narrowScopes(requested, splitScopes(client.scope), { contexts: ['patient', 'user'] });
  if (scopes.length === 0) return fail('invalid_scope', 'None of the requested scopes can be granted to this app');
  if (launch !== undefined && !scopes.includes('launch')) return fail('invalid_request', 'The launch parameter needs the launch scope');

  return {
    ok: true,
    client,
    request: {
      clientId: client._id,
      redirectUri,
      redirectUriGiven: redirect.value !== undefined,
      state: state.value,
      scopes,
      ...(challenge !== undefined ? { codeChallenge: challenge } : {}),
      ...(nonce !== undefined ? { nonce } : {}),
      ...(launch !== undefined ? { launch } : {}),
    },
  };
}
