/**
 * Discovery: GET /.well-known/openid-configuration (OpenID Connect Discovery), GET
 * /fhir/.well-known/smart-configuration (SMART App Launch 2.2 §Conformance), the server's JWK Set
 * (GET /oauth/jwks) and the small style document apps get as smart_style_url. Every URL comes
 * from smartEndpoints(baseUrl).
 */
import type { Request, Response } from 'express';
import type { AuthDeps } from '../types.js';
import { smartEndpoints } from '../endpoints.js';
import { ASSERTION_ALGS } from './client-assertion.js';
import { GRANT_TYPES } from './grants.js';

export const SCOPES_SUPPORTED = [
  'openid', 'fhirUser', 'profile', 'launch', 'launch/patient', 'launch/encounter', 'offline_access', 'online_access',
  'patient/*.cruds', 'user/*.cruds', 'system/*.cruds',
  'patient/*.rs', 'user/*.rs', 'system/*.rs',
  'patient/*.read', 'patient/*.write', 'user/*.read', 'user/*.write', 'system/*.read', 'system/*.write',
];

export const AUTH_METHODS = ['client_secret_basic', 'private_key_jwt', 'none'];

export const CAPABILITIES = [
  'launch-ehr', 'launch-standalone', 'client-public', 'client-confidential-symmetric', 'client-confidential-asymmetric',
  'sso-openid-connect', 'context-ehr-patient', 'context-ehr-encounter', 'context-standalone-patient', 'context-banner',
  'context-style', 'permission-offline', 'permission-online', 'permission-patient', 'permission-user', 'permission-v1',
  'permission-v2', 'authorize-post',
];

export const CLAIMS_SUPPORTED = ['iss', 'sub', 'aud', 'exp', 'iat', 'auth_time', 'nonce', 'fhirUser', 'name', 'email'];

/** The style apps may follow (SMART "Styling"). */
export const SMART_STYLE = {
  color_background: '#f5f7fa',
  color_error: '#b00020',
  color_highlight: '#1565c0',
  color_modal_backdrop: '',
  color_success: '#2e7d32',
  color_text: '#1f2933',
  dim_border_radius: '6px',
  dim_font_size: '14px',
  dim_spacing_size: '16px',
  font_family_body: 'system-ui, -apple-system, "Segoe UI", Roboto, sans-serif',
  font_family_heading: 'system-ui, -apple-system, "Segoe UI", Roboto, sans-serif',
};

/** What both discovery documents say: the endpoints and the OAuth choices. */
function commonMetadata(deps: AuthDeps): Record<string, unknown> {
  const e = smartEndpoints(deps.config.baseUrl);
  return {
    issuer: e.issuer,
    jwks_uri: e.jwks,
    authorization_endpoint: e.authorize,
    token_endpoint: e.token,
    introspection_endpoint: e.introspect,
    revocation_endpoint: e.revoke,
    registration_endpoint: e.register,
    grant_types_supported: GRANT_TYPES,
    code_challenge_methods_supported: ['S256'],
    token_endpoint_auth_methods_supported: AUTH_METHODS,
    token_endpoint_auth_signing_alg_values_supported: ASSERTION_ALGS,
    scopes_supported: SCOPES_SUPPORTED,
    response_types_supported: ['code'],
  };
}

export function openidConfiguration(deps: AuthDeps): Record<string, unknown> {
  return {
    ...commonMetadata(deps),
    response_modes_supported: ['query'],
    subject_types_supported: ['public'],
    id_token_signing_alg_values_supported: [deps.keys.alg],
    claims_supported: CLAIMS_SUPPORTED,
  };
}

export function smartConfiguration(deps: AuthDeps): Record<string, unknown> {
  return { ...commonMetadata(deps), capabilities: CAPABILITIES };
}

/** A JSON document that may be cached for a while (discovery, JWKS, style). */
export function cachedJson(body: () => unknown) {
  return (_req: Request, res: Response): void => {
    res.status(200).set('Cache-Control', 'public, max-age=300').json(body());
  };
}
