/**
 * The one access decision. Every FHIR request passes `authorize` in the router before it reaches an
 * interaction, and so does every entry of a batch or transaction Bundle (they go through the same
 * router with the outer request's access context). What an interaction then returns or writes is
 * limited by the context's `Limits` (src/auth/limits.ts): per resource type and SMART permission
 * letter, a filter over the search index that search, _include, _revinclude, chains and _has add to
 * their queries, and that read, vread, history and every write test the resource against.
 */
import type { FhirRequest } from '../resources/interaction.js';
import { forbidden } from '../fhir/errors.js';
import { resourceScopes, type Permission, type ResourceScope } from './scopes.js';
import { unauthorized, type AccessTokenClaims, type AccessTokens } from './access-token.js';
import { bearerToken } from './bearer.js';

export interface AccessContext {
  /** the verified token; undefined for an anonymous request (only metadata is public) */
  claims?: AccessTokenClaims;
  /** the token's resource scopes */
  scopes: ResourceScope[];
}

export const ANONYMOUS: AccessContext = { scopes: [] };

/**
 * Every right without a token. Never reachable through configuration: only code building the app
 * can ask for it (bench/auth-server.ts measures what token checking costs against it).
 */
export const UNCHECKED_FULL_ACCESS: AccessContext = {
  claims: { iss: '', aud: '', sub: 'unchecked', client_id: 'unchecked', scope: 'system/*.cruds', jti: '', iat: 0, exp: Number.MAX_SAFE_INTEGER, role: 'system', adm: true },
  scopes: resourceScopes('system/*.cruds'),
};

/** The access context of a FHIR request from its Authorization header (401 when it is bad). */
export async function accessContext(tokens: AccessTokens, authorization: string | undefined): Promise<AccessContext> {
  const token = bearerToken(authorization);
  if (token === undefined) return ANONYMOUS;
  const claims = await tokens.verify(token);
  return { claims, scopes: scopesOf(claims) };
}

const scopeCache = new Map<string, ResourceScope[]>();
function scopesOf(claims: AccessTokenClaims): ResourceScope[] {
  let s = scopeCache.get(claims.scope);
  if (!s) {
    if (scopeCache.size > 10_000) scopeCache.clear();
    s = resourceScopes(claims.scope);
    scopeCache.set(claims.scope, s);
  }
  return s;
}

/** Interactions anyone may use without a token. */
function isPublic(req: FhirRequest): boolean {
  const m = req.method === 'HEAD' ? 'GET' : req.method;
  return m === 'GET' && req.segments.length === 1 && (req.segments[0] === 'metadata');
}

export function authorize(ctx: AccessContext, req: FhirRequest): void {
  if (isPublic(req)) return;
  if (!ctx.claims) throw unauthorized('This FHIR server needs an access token (Authorization: Bearer ...)', undefined);
  if (ctx.scopes.length === 0) throw forbidden('The access token grants no access to FHIR resources');
}

export type { Permission };
