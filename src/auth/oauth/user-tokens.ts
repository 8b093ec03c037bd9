/**
 * The token response for a user's authorization (authorization_code and refresh_token grants):
 * the access token, the SMART launch context (patient, encounter, fhirContext,
 * need_patient_banner, smart_style_url), an id_token when `openid` was granted and a (rotated)
 * refresh token when `offline_access` or `online_access` was.
 */
import type { AuthDeps, OAuthClient, UserGrant } from '../types.js';
import { splitScopes } from '../scopes.js';
import { smartEndpoints } from '../endpoints.js';
import { bareId } from '../references.js';
import { signIdToken } from './id-token.js';
import { issueRefreshToken, refreshAccess, type RefreshTokenDoc } from './refresh-tokens.js';

export interface TokenResponse {
  access_token: string;
  token_type: 'Bearer';
  expires_in: number;
  scope: string;
  patient?: string;
  encounter?: string;
  fhirContext?: Array<{ reference: string }>;
  need_patient_banner?: boolean;
  smart_style_url?: string;
  id_token?: string;
  refresh_token?: string;
}

export function userTokenTtl(deps: AuthDeps, client: OAuthClient): number {
  return Math.min(deps.config.auth.accessTokenTtl, client.maxTokenTtl ?? 3600);
}

/**
 * Issues the tokens of `grant` for `client`: the access token with `accessScope` (the grant's scope,
 * or a subset asked for on refresh), the refresh token with the grant's whole scope.
 */
export async function userTokens(
  deps: AuthDeps,
  client: OAuthClient,
  grant: UserGrant,
  accessScope: string,
  extra: { nonce?: string; previous?: RefreshTokenDoc } = {},
): Promise<TokenResponse> {
  const patient = bareId(grant.patient, 'Patient');
  const encounter = bareId(grant.encounter, 'Encounter');
  const issued = await deps.tokens.issue({
    sub: grant.accountId,
    client_id: client._id,
    scope: accessScope,
    role: grant.role,
    ...(patient ? { patient } : {}),
    ...(encounter ? { encounter } : {}),
    ...(grant.fhirUser ? { fhirUser: grant.fhirUser } : {}),
    ...(grant.role === 'admin' ? { adm: true } : {}),
  }, userTokenTtl(deps, client));
  const scopes = splitScopes(accessScope);
  const body: TokenResponse = {
    access_token: issued.token,
    token_type: 'Bearer',
    expires_in: issued.claims.exp - issued.claims.iat,
    scope: accessScope,
  };
  if (patient) body.patient = patient;
  if (encounter) {
    body.encounter = encounter;
    body.fhirContext = [{ reference: `Encounter/${encounter}` }];
  }
  body.need_patient_banner = grant.needPatientBanner ?? patient !== undefined;
  body.smart_style_url = smartEndpoints(deps.config.baseUrl).smartStyle;
  if (scopes.includes('openid')) {
    body.id_token = await signIdToken(deps, {
      sub: grant.accountId, clientId: client._id, scopes, authTime: grant.authTime, nonce: extra.nonce, fhirUser: grant.fhirUser,
    });
  }
  const access = extra.previous?.access ?? refreshAccess(splitScopes(grant.scope));
  if (access) body.refresh_token = await issueRefreshToken(deps, grant, access, issued.claims, extra.previous);
  return body;
}
