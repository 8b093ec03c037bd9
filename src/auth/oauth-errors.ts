/**
 * OAuth 2.0 error responses (RFC 6749 §5.2): JSON `{ error, error_description }`, never cached.
 * Thrown as OAuthError and written by `oauthErrorHandler`, the error handler of the /oauth routes.
 */
import type { NextFunction, Request, Response } from 'express';
import type { Logger } from '../logger.js';

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

export function oauthErrorHandler(logger: Logger) {
  return (err: unknown, _req: Request, res: Response, next: NextFunction): void => {
    if (res.headersSent) return next(err);
    let e: OAuthError;
    if (err instanceof OAuthError) e = err;
    else if ((err as { type?: string }).type === 'entity.parse.failed') e = new OAuthError(400, 'invalid_request', 'The request body is not valid');
    else if ((err as { type?: string }).type === 'entity.too.large') e = new OAuthError(413, 'invalid_request', 'The request body is too large');
    else {
      logger.error({ err }, 'oauth endpoint failed');
      e = new OAuthError(500, 'server_error', 'The server could not complete the request');
    }
    res.status(e.status).set({ ...NO_STORE, ...e.headers }).json({ error: e.error, error_description: e.message });
  };
}
