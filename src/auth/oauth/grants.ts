/**
 * POST /oauth/token (RFC 6749 §3.2): dispatches on grant_type, answers JSON that is never cached,
 * and records an AuditEvent for every token issued and every refusal.
 */
import type { Request, Response } from 'express';
import type { AuthDeps } from '../types.js';
import { NO_STORE, OAuthError } from '../oauth-errors.js';
import { formOf, param, type Form } from './params.js';
import { claimedClientId } from './client-auth.js';
import type { TokenResponse } from './user-tokens.js';
import { authorizationCodeGrant } from './grants-code.js';
import { refreshTokenGrant } from './grants-refresh.js';
import { clientCredentialsGrant } from './grants-client-credentials.js';

export interface GrantResult {
  body: TokenResponse;
  /** for the AuditEvent: the user (`Patient/1`, account id) or the client */
  who: string;
  clientId: string;
}

type Grant = (deps: AuthDeps, req: Request, form: Form) => Promise<GrantResult>;

const GRANTS: Record<string, Grant> = {
  authorization_code: authorizationCodeGrant,
  refresh_token: refreshTokenGrant,
  client_credentials: clientCredentialsGrant,
};

export const GRANT_TYPES = Object.keys(GRANTS);

export function tokenEndpoint(deps: AuthDeps) {
  return async (req: Request, res: Response): Promise<void> => {
    let form: Form | undefined;
    let grantType: string | undefined;
    try {
      form = formOf(req);
      grantType = param(form, 'grant_type');
      if (grantType === undefined) throw new OAuthError(400, 'invalid_request', 'The parameter grant_type is required');
      const grant = Object.hasOwn(GRANTS, grantType) ? GRANTS[grantType] : undefined;
      if (!grant) throw new OAuthError(400, 'unsupported_grant_type', `grant_type ${grantType.slice(0, 100)} is not supported (${GRANT_TYPES.join(', ')})`);
      const result = await grant(deps, req, form);
      await deps.audit.record({ kind: 'token', success: true, who: result.who, clientId: result.clientId, detail: result.body.scope, address: req.ip });
      res.status(200).set(NO_STORE).json(result.body);
    } catch (err) {
      const why = err instanceof OAuthError ? `${err.error}: ${err.message}` : 'server_error';
      const clientId = claimedClientId(req, form);
      await deps.audit.record({ kind: 'token', success: false, who: clientId, clientId, detail: `${grantType ?? 'token request'} refused: ${why}`, address: req.ip });
      throw err;
    }
  };
}
