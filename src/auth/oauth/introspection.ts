/**
 * POST /oauth/introspect (RFC 7662). The caller authenticates as a confidential client (Basic or a
 * client assertion) or with an administrator's bearer token. A client learns about its own tokens
 * only; administrators (and the bootstrap client) about any. Access and refresh tokens are
 * recognised; anything expired, revoked, foreign or unknown is `{ "active": false }`.
 */
import type { Request, Response } from 'express';
import type { AuthDeps } from '../types.js';
import { NO_STORE } from '../oauth-errors.js';
import { requireAdmin } from '../bearer.js';
import { smartEndpoints } from '../endpoints.js';
import { authenticateClient } from './client-auth.js';
import { clock } from '../clock.js';
import { formOf, param, requiredParam } from './params.js';
import { findRefreshToken, isActive } from './refresh-tokens.js';

interface Caller {
  admin: boolean;
  clientId?: string;
}

async function callerOf(deps: AuthDeps, req: Request, form: Record<string, unknown>): Promise<Caller> {
  if (/^Bearer\s/i.test(req.get('authorization') ?? '')) {
    await requireAdmin(deps.tokens, req);
    return { admin: true };
  }
  const { client } = (await authenticateClient(deps, req, form, { endpoint: smartEndpoints(deps.config.baseUrl).introspect, allowPublic: false }))!;
  return { admin: client.admin === true, clientId: client._id };
}

type Introspection = Record<string, unknown> & { active: boolean };

/** The launch context and user of a token, as introspection reports it (absent members left out). */
function contextMembers(c: { patient?: string; encounter?: string; fhirUser?: string }): Record<string, string> {
  const out: Record<string, string> = {};
  if (c.patient) out.patient = c.patient;
  if (c.encounter) out.encounter = c.encounter;
  if (c.fhirUser) out.fhirUser = c.fhirUser;
  return out;
}

async function accessTokenInfo(deps: AuthDeps, token: string, caller: Caller): Promise<Introspection | undefined> {
  if (token.split('.').length !== 3) return undefined;
  const claims = await deps.tokens.decode(token);
  if (!claims) return undefined;
  if (!caller.admin && claims.client_id !== caller.clientId) return { active: false };
  if (claims.exp <= clock.seconds() || (await deps.tokens.isRevoked(claims.jti))) return { active: false };
  return {
    active: true,
    scope: claims.scope,
    client_id: claims.client_id,
    token_type: 'Bearer',
    exp: claims.exp,
    iat: claims.iat,
    sub: claims.sub,
    iss: claims.iss,
    aud: claims.aud,
    jti: claims.jti,
    ...contextMembers(claims),
  };
}

async function refreshTokenInfo(deps: AuthDeps, token: string, caller: Caller): Promise<Introspection | undefined> {
  const doc = await findRefreshToken(deps, token);
  if (!doc) return undefined;
  if ((!caller.admin && doc.clientId !== caller.clientId) || !isActive(doc)) return { active: false };
  return {
    active: true,
    scope: doc.scope,
    client_id: doc.clientId,
    token_type: 'refresh_token',
    exp: doc.exp,
    iat: doc.iat,
    sub: doc.accountId,
    iss: deps.issuer,
    ...contextMembers(doc),
  };
}

export function introspectionEndpoint(deps: AuthDeps) {
  return async (req: Request, res: Response): Promise<void> => {
    const form = formOf(req);
    const caller = await callerOf(deps, req, form);
    const token = requiredParam(form, 'token');
    const hint = param(form, 'token_type_hint');
    const order = hint === 'refresh_token' ? [refreshTokenInfo, accessTokenInfo] : [accessTokenInfo, refreshTokenInfo];
    let info: Introspection = { active: false };
    for (const look of order) {
      const found = await look(deps, token, caller);
      if (found) {
        info = found;
        break;
      }
    }
    res.status(200).set(NO_STORE).json(info);
  };
}
