/**
 * The OAuth 2.0 side (OWNED BY THE OAUTH PART; signatures fixed, bodies to be written): clients and
 * their registration, client authentication, /oauth/token (authorization_code, refresh_token,
 * client_credentials), introspection, revocation, discovery documents and the JWKS.
 */
import type { Router } from 'express';
import express from 'express';
import type { AuthDeps, OAuthClient } from '../types.js';

export async function getClient(_deps: AuthDeps, _clientId: string): Promise<OAuthClient | null> {
  return null;
}

/**
 * Registers the bootstrap client from FHIR_BOOTSTRAP_CLIENT_ID / _SECRET (or generates them when
 * unset and no bootstrap client exists, returning them to be printed once).
 */
export async function ensureBootstrapClient(_deps: AuthDeps): Promise<{ clientId: string; clientSecret: string } | undefined> {
  return undefined;
}

export async function prepareOAuth(_deps: AuthDeps): Promise<void> {}

/**
 * /oauth/token, /oauth/introspect, /oauth/revoke, /oauth/register, /oauth/jwks,
 * /.well-known/openid-configuration, /fhir/.well-known/smart-configuration.
 */
export function oauthRouter(_deps: AuthDeps): Router {
  return express.Router();
}
