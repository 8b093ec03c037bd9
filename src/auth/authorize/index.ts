/**
 * /oauth/authorize and /oauth/launch (OWNED BY THE AUTHORIZE PART; signatures fixed, bodies to be
 * written): the login, patient-picker and consent pages, authorization codes, EHR launch contexts.
 */
import type { Router } from 'express';
import express from 'express';
import type { AuthDeps, AuthorizationGrant } from '../types.js';

export interface CodeRedemption {
  code: string;
  clientId: string;
  redirectUri: string | undefined;
  codeVerifier: string | undefined;
}

/**
 * Redeems an authorization code once: undefined when it is unknown, used, expired (60 s), or bound
 * to another client, redirect_uri or PKCE challenge (the token endpoint answers invalid_grant).
 */
export async function redeemCode(_deps: AuthDeps, _r: CodeRedemption): Promise<AuthorizationGrant | undefined> {
  return undefined;
}

export async function prepareAuthorize(_deps: AuthDeps): Promise<void> {}

/** GET/POST /oauth/authorize, POST /oauth/launch. */
export function authorizeRouter(_deps: AuthDeps): Router {
  return express.Router();
}
