/**
 * OAuth 2.0 error responses (RFC 6749 §5.2): JSON `{ error, error_description }`, never cached.
 * Thrown as OAuthError and written by `oauthErrorHandler`, the error handler of the /oauth routes,
 * which also answers body-parser failures and the FhirErrors of bearer-token checks (RFC 6750:
 * 401 invalid_token with its WWW-Authenticate challenge, 403 insufficient_scope) in this format.
 */
import type { NextFunction, Request, Response } from 'express';
import type { Logger } from '../logger.js';
import { FhirError } from '../fhir/errors.js';
import { bodyProblem } from './http.js';

export type OAuthErrorCode =
  | 'invalid_request' | 'invalid_client' | 'invalid_grant' | 'unauthorized_client' | 'unsupported_grant_type'
  | 'invalid_scope' | 'access_denied' | 'server_error' | 'invalid_token' | 'invalid_client_metadata'
  | 'invalid_redirect_uri' | 'unsupported_token_type' | 'insufficient_scope';

export class OAuthError extends Error {
  constructor(readonly status: number, readonly error: OAuthErrorCode, description: string, readonly headers: Record<string, string> = {}) {
    super(description);
  }
}

export const NO_STORE = { 'Cache-Control': 'no-store', Pragma: 'no-cache' } as const;

/** A handler for the methods a route does not serve: 405 with Allow. */
export function methodNotAllowed(allow: string) {
  return (): never => {
    throw new OAuthError(405, 'invalid_request', `Use ${allow} here`, { Allow: allow });
  };
}

/** `err` as the OAuth error it stands for; undefined for an unexpected failure. */
function asOAuthError(err: unknown): OAuthError | undefined {
  if (err instanceof OAuthError) return err;
  if (err instanceof FhirError) {
    if (err.status === 401) return new OAuthError(401, 'invalid_token', err.message, err.headers);
    if (err.status === 403) return new OAuthError(403, 'insufficient_scope', err.message, err.headers);
    if (err.status < 500) return new OAuthError(err.status, 'invalid_request', err.message, err.headers);
    return undefined;
  }
  const body = bodyProblem(err);
  return body ? new OAuthError(body.status, 'invalid_request', body.message) : undefined;
}

export function oauthErrorHandler(logger: Logger) {
  return (err: unknown, _req: Request, res: Response, next: NextFunction): void => {
    if (res.headersSent) return next(err);
    let e = asOAuthError(err);
    if (!e) {
      logger.error({ err }, 'oauth endpoint failed');
      e = new OAuthError(500, 'server_error', 'The server could not complete the request');
    }
    res.status(e.status).set({ ...NO_STORE, ...e.headers }).json({ error: e.error, error_description: e.message });
  };
}
