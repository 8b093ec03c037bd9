/**
 * Access tokens: JWTs signed with the server key (RS256), checked on every FHIR request.
 *
 * Claims: iss (the server origin), aud (the FHIR base), sub (the user's account id, or the
 * client_id for client_credentials), client_id, scope (granted, space separated), jti, iat, exp,
 * and as applicable patient / encounter (launch context), fhirUser (`Patient/1`,
 * `Practitioner/2`), role (the account's role, or 'system' for a client) and adm (true for
 * administration rights: administrators and the bootstrap client).
 *
 * Verification is memoised per token string (the signature is checked once per token); expiry and
 * revocation are checked on every use, revocation in the database (`auth_revoked`, by jti), so a
 * revoked token is refused at once on every instance.
 */
import crypto from 'node:crypto';
import { SignJWT, jwtVerify } from 'jose';
import type { Database, DbCollection } from '../store/database.js';
import type { SigningKeys } from './keys.js';
import { FhirError } from '../fhir/errors.js';

export type Role = 'patient' | 'practitioner' | 'admin' | 'system';

export interface AccessTokenClaims {
  iss: string;
  aud: string;
  sub: string;
  client_id: string;
  scope: string;
  jti: string;
  iat: number;
  exp: number;
  role: Role;
  patient?: string;
  encounter?: string;
  fhirUser?: string;
  adm?: boolean;
}

export type NewAccessToken = Omit<AccessTokenClaims, 'iss' | 'aud' | 'jti' | 'iat' | 'exp'>;

interface RevokedDoc {
  _id: string;
  exp: number;
  [k: string]: unknown;
}

/** 401 with the WWW-Authenticate header RFC 6750 asks for. */
export function unauthorized(message: string, error: 'invalid_token' | 'invalid_request' | undefined = 'invalid_token'): FhirError {
  const challenge = error ? `Bearer realm="fhir", error="${error}", error_description="${message.replace(/["\\]/g, '')}"` : 'Bearer realm="fhir"';
  return new FhirError(401, 'login', message, { headers: { 'WWW-Authenticate': challenge } });
}

export class AccessTokens {
  private readonly verified = new Map<string, AccessTokenClaims>();
  private readonly revoked: DbCollection<RevokedDoc>;

  constructor(
    private readonly keys: SigningKeys,
    db: Database,
    /** iss: the server origin, e.g. http://localhost:8080 */
    readonly issuer: string,
    /** aud: the FHIR base URL */
    readonly audience: string,
  ) {
    this.revoked = db.collection<RevokedDoc>('auth_revoked');
  }

  /** Signs an access token living `ttlSeconds` (at most an hour). */
  async issue(claims: NewAccessToken, ttlSeconds: number): Promise<{ token: string; claims: AccessTokenClaims }> {
    const iat = Math.floor(Date.now() / 1000);
    const full: AccessTokenClaims = {
      ...claims,
      iss: this.issuer,
      aud: this.audience,
      jti: crypto.randomBytes(16).toString('base64url'),
      iat,
      exp: iat + Math.min(ttlSeconds, 3600),
    };
    const token = await new SignJWT({ ...full })
      .setProtectedHeader({ alg: this.keys.alg, kid: this.keys.kid, typ: 'at+jwt' })
      .sign(this.keys.privateKey);
    return { token, claims: full };
  }

  /** The claims of a valid, unexpired, unrevoked token; otherwise a 401 FhirError. */
  async verify(token: string): Promise<AccessTokenClaims> {
    let claims = this.verified.get(token);
    if (!claims) {
      try {
        const { payload } = await jwtVerify(token, this.keys.publicKey, { issuer: this.issuer, audience: this.audience, algorithms: [this.keys.alg], typ: 'at+jwt' });
        claims = payload as unknown as AccessTokenClaims;
      } catch (err) {
        const code = (err as { code?: string }).code;
        throw unauthorized(code === 'ERR_JWT_EXPIRED' ? 'The access token has expired' : 'The access token is not valid');
      }
      if (typeof claims.scope !== 'string' || typeof claims.sub !== 'string' || typeof claims.jti !== 'string') throw unauthorized('The access token is not valid');
      if (this.verified.size >= 50_000) this.verified.clear();
      this.verified.set(token, claims);
    }
    if (claims.exp * 1000 <= Date.now()) {
      this.verified.delete(token);
      throw unauthorized('The access token has expired');
    }
    if (await this.isRevoked(claims.jti)) throw unauthorized('The access token has been revoked');
    return claims;
  }

  /** Decodes a token this server signed (signature checked, expiry not): for introspection/revocation. */
  async decode(token: string): Promise<AccessTokenClaims | undefined> {
    try {
      const { payload } = await jwtVerify(token, this.keys.publicKey, { issuer: this.issuer, algorithms: [this.keys.alg], typ: 'at+jwt', clockTolerance: 10 * 365 * 86400 });
      return payload as unknown as AccessTokenClaims;
    } catch {
      return undefined;
    }
  }

  async isRevoked(jti: string): Promise<boolean> {
    return (await this.revoked.findOne({ _id: jti }, { projection: { _id: 1 } })) !== null;
  }

  /** Revokes an access token by its jti (idempotent). */
  async revoke(claims: Pick<AccessTokenClaims, 'jti' | 'exp'>): Promise<void> {
    await this.revoked.updateOne({ _id: claims.jti }, { $set: { exp: claims.exp } }, { upsert: true });
  }
}
