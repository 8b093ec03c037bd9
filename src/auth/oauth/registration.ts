/**
 * POST /oauth/register (RFC 7591 dynamic client registration), for administrators and the bootstrap
 * client only. Metadata: redirect_uris (absolute, no fragment; required for authorization_code),
 * grant_types (authorization_code, refresh_token, client_credentials; default authorization_code),
 * token_endpoint_auth_method (none, client_secret_basic, private_key_jwt; default
 * client_secret_basic), jwks or jwks_uri (exactly one, for private_key_jwt only; public keys;
 * jwks_uri https unless FHIR_ALLOW_HTTP_JWKS_URI), scope (known scopes; the most the client may
 * ever get; required with client_credentials), client_name. Unknown members are ignored.
 */
import crypto from 'node:crypto';
import type { Request, Response } from 'express';
import { importJWK, type JWK } from 'jose';
import type { AuthDeps, OAuthClient, TokenEndpointAuthMethod } from '../types.js';
import { NO_STORE, OAuthError } from '../oauth-errors.js';
import { requireAdmin } from '../bearer.js';
import { isKnownScope, splitScopes } from '../scopes.js';
import { insertClient, newClientId } from './clients.js';
import { hash } from '../hashing.js';
import { opaqueToken } from '../opaque-tokens.js';

const GRANTS = ['authorization_code', 'refresh_token', 'client_credentials'];
const METHODS: TokenEndpointAuthMethod[] = ['none', 'client_secret_basic', 'private_key_jwt'];
const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'];

function invalid(description: string): OAuthError {
  return new OAuthError(400, 'invalid_client_metadata', description);
}

function redirectUris(value: unknown, needed: boolean): string[] {
  if (value === undefined) {
    if (needed) throw new OAuthError(400, 'invalid_redirect_uri', 'redirect_uris is required for the authorization_code grant');
    return [];
  }
  if (!Array.isArray(value) || !value.every((u) => typeof u === 'string')) throw new OAuthError(400, 'invalid_redirect_uri', 'redirect_uris must be an array of strings');
  if (needed && value.length === 0) throw new OAuthError(400, 'invalid_redirect_uri', 'redirect_uris must list at least one URI');
  if (value.length > 20) throw new OAuthError(400, 'invalid_redirect_uri', 'redirect_uris may list at most 20 URIs');
  for (const uri of value as string[]) {
    let url: URL;
    try {
      url = new URL(uri);
    } catch {
      throw new OAuthError(400, 'invalid_redirect_uri', `redirect_uri ${JSON.stringify(uri.slice(0, 200))} is not an absolute URI`);
    }
    if (uri.includes('#')) throw new OAuthError(400, 'invalid_redirect_uri', 'a redirect_uri must not have a fragment');
    if (uri.length > 2000) throw new OAuthError(400, 'invalid_redirect_uri', 'a redirect_uri is too long');
    if (['javascript:', 'data:', 'file:', 'vbscript:'].includes(url.protocol)) throw new OAuthError(400, 'invalid_redirect_uri', `redirect_uri scheme ${url.protocol} is not allowed`);
  }
  return [...new Set(value as string[])];
}

async function publicJwks(value: unknown): Promise<{ keys: Array<Record<string, unknown>> }> {
  const keys = (value as { keys?: unknown } | null)?.keys;
  if (typeof value !== 'object' || value === null || !Array.isArray(keys) || keys.length === 0 || keys.length > 10) {
    throw invalid('jwks must be a JWK Set: { "keys": [ ... ] } with 1 to 10 keys');
  }
  for (const key of keys as unknown[]) {
    if (typeof key !== 'object' || key === null || Array.isArray(key)) throw invalid('every member of jwks.keys must be a JWK object');
    const jwk = key as JWK;
    if (jwk.kty !== 'RSA' && jwk.kty !== 'EC') throw invalid('jwks keys must be RSA or EC public keys');
    if (PRIVATE_MEMBERS.some((m) => m in jwk)) throw invalid('jwks must hold public keys only (a private key member is present)');
    if (!(await usablePublicKey(jwk))) {
      throw invalid(`a jwks key${jwk.kid ? ` (kid ${String(jwk.kid).slice(0, 100)})` : ''} is not a valid ${jwk.kty === 'RSA' ? 'RSA (2048 bits or more)' : 'P-384 EC'} public key`);
    }
  }
  return { keys: keys as Array<Record<string, unknown>> };
}

/** An RSA key of at least 2048 bits, or a P-384 EC key, usable for RS384 / ES384. */
async function usablePublicKey(jwk: JWK): Promise<boolean> {
  try {
    const key = crypto.createPublicKey({ key: jwk as crypto.JsonWebKey, format: 'jwk' });
    const details = key.asymmetricKeyDetails ?? {};
    const ok = jwk.kty === 'RSA' ? key.asymmetricKeyType === 'rsa' && (details.modulusLength ?? 0) >= 2048 : key.asymmetricKeyType === 'ec' && details.namedCurve === 'secp384r1';
    if (!ok) return false;
    await importJWK(jwk, jwk.kty === 'RSA' ? 'RS384' : 'ES384');
    return true;
  } catch {
    return false;
  }
}

function jwksUri(value: unknown, allowHttp: boolean): string {
  let url: URL;
  try {
    if (typeof value !== 'string') throw new Error();
    url = new URL(value);
  } catch {
    throw invalid('jwks_uri must be an absolute URL');
  }
  if (url.protocol !== 'https:' && !(allowHttp && url.protocol === 'http:')) throw invalid('jwks_uri must be an https URL');
  if (url.hash) throw invalid('jwks_uri must not have a fragment');
  return value as string;
}

/** The client registered by `metadata`, and its secret (symmetric clients); 400 for bad metadata. */
export async function clientFromMetadata(deps: AuthDeps, metadata: unknown): Promise<{ client: OAuthClient; secret?: string }> {
  if (typeof metadata !== 'object' || metadata === null || Array.isArray(metadata)) throw invalid('The body must be a JSON object of client metadata');
  const m = metadata as Record<string, unknown>;
  const grantTypes = m.grant_types === undefined ? ['authorization_code'] : m.grant_types;
  if (!Array.isArray(grantTypes) || grantTypes.length === 0 || !grantTypes.every((g) => typeof g === 'string' && GRANTS.includes(g))) {
    throw invalid(`grant_types must be a non-empty array of ${GRANTS.join(', ')}`);
  }
  const grants = [...new Set(grantTypes as string[])];
  if (grants.includes('refresh_token') && !grants.includes('authorization_code')) throw invalid('refresh_token needs the authorization_code grant');
  const method = (m.token_endpoint_auth_method ?? 'client_secret_basic') as TokenEndpointAuthMethod;
  if (!METHODS.includes(method)) throw invalid(`token_endpoint_auth_method must be one of ${METHODS.join(', ')}`);
  if (method === 'none' && grants.includes('client_credentials')) throw invalid('a public client (token_endpoint_auth_method none) cannot use client_credentials');
  const redirect_uris = redirectUris(m.redirect_uris, grants.includes('authorization_code'));

  const client: OAuthClient = {
    _id: newClientId(),
    token_endpoint_auth_method: method,
    redirect_uris,
    grant_types: grants,
    scope: '',
    createdAt: new Date().toISOString(),
  };
  if (m.jwks !== undefined || m.jwks_uri !== undefined) {
    if (method !== 'private_key_jwt') throw invalid('jwks and jwks_uri are for private_key_jwt clients only');
    if (m.jwks !== undefined && m.jwks_uri !== undefined) throw invalid('give jwks or jwks_uri, not both');
    if (m.jwks !== undefined) client.jwks = await publicJwks(m.jwks);
    else client.jwks_uri = jwksUri(m.jwks_uri, deps.config.auth.allowHttpJwksUri);
  } else if (method === 'private_key_jwt') {
    throw invalid('a private_key_jwt client needs jwks or jwks_uri');
  }
  if (m.scope !== undefined) {
    if (typeof m.scope !== 'string' || m.scope.length > 4000) throw invalid('scope must be a space-separated string');
    const scopes = splitScopes(m.scope);
    const unknown = scopes.filter((s) => !isKnownScope(s));
    if (unknown.length) throw invalid(`unknown scope ${unknown.slice(0, 5).map((s) => JSON.stringify(s.slice(0, 100))).join(', ')}`);
    if (scopes.length === 0) throw invalid('scope must name at least one scope');
    client.scope = scopes.join(' ');
  } else if (grants.includes('client_credentials')) {
    throw invalid('a client_credentials client must register the scope it may get (e.g. system/*.rs)');
  } else {
    client.scope = 'openid fhirUser profile launch launch/patient launch/encounter offline_access online_access patient/*.cruds user/*.cruds';
  }
  if (m.client_name !== undefined) {
    if (typeof m.client_name !== 'string' || m.client_name.trim() === '' || m.client_name.length > 200) throw invalid('client_name must be a string of 1 to 200 characters');
    client.client_name = m.client_name.trim();
  }
  if (method !== 'client_secret_basic') return { client };
  const secret = opaqueToken();
  client.secretHash = await hash(secret);
  return { client, secret };
}

export function registrationEndpoint(deps: AuthDeps) {
  return async (req: Request, res: Response): Promise<void> => {
    const admin = await requireAdmin(deps.tokens, req);
    if (!req.is('application/json') && !req.is('application/*+json')) throw invalid('The body must be application/json');
    const { client, secret } = await clientFromMetadata(deps, req.body);
    await insertClient(deps, client);
    deps.logger.info({ clientId: client._id, by: admin.sub, method: client.token_endpoint_auth_method }, 'client registered');
    res.status(201).set(NO_STORE).json({
      client_id: client._id,
      ...(secret ? { client_secret: secret } : {}),
      client_secret_expires_at: 0,
      client_id_issued_at: Math.floor(Date.parse(client.createdAt) / 1000),
      ...(client.client_name ? { client_name: client.client_name } : {}),
      redirect_uris: client.redirect_uris,
      grant_types: client.grant_types,
      response_types: client.grant_types.includes('authorization_code') ? ['code'] : [],
      token_endpoint_auth_method: client.token_endpoint_auth_method,
      scope: client.scope,
      ...(client.jwks ? { jwks: client.jwks } : {}),
      ...(client.jwks_uri ? { jwks_uri: client.jwks_uri } : {}),
    });
  };
}
