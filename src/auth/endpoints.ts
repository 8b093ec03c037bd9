/**
 * The URLs of the authorization server, from the FHIR base: one place for discovery documents,
 * the CapabilityStatement's security section, the token `aud` checks and the pages' form actions.
 */
export interface SmartEndpoints {
  issuer: string;
  authorize: string;
  token: string;
  introspect: string;
  revoke: string;
  register: string;
  jwks: string;
  launch: string;
  smartConfiguration: string;
  openidConfiguration: string;
  smartStyle: string;
  signup: string;
  passwordReset: string;
}

export function smartEndpoints(baseUrl: string): SmartEndpoints {
  const issuer = new URL(baseUrl).origin;
  return {
    issuer,
    authorize: `${issuer}/oauth/authorize`,
    token: `${issuer}/oauth/token`,
    introspect: `${issuer}/oauth/introspect`,
    revoke: `${issuer}/oauth/revoke`,
    register: `${issuer}/oauth/register`,
    jwks: `${issuer}/oauth/jwks`,
    launch: `${issuer}/oauth/launch`,
    smartConfiguration: `${baseUrl}/.well-known/smart-configuration`,
    openidConfiguration: `${issuer}/.well-known/openid-configuration`,
    smartStyle: `${issuer}/oauth/smart-style.json`,
    signup: `${issuer}/auth/signup`,
    passwordReset: `${issuer}/auth/password-reset`,
  };
}
