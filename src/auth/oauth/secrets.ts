/**
 * Client secrets are generated at random here (and hashed with src/auth/hashing.ts); refresh
 * tokens are looked up by their SHA-256.
 */
import crypto from 'node:crypto';

/** A new random secret: 32 bytes, 43 base64url characters. */
export function randomSecret(): string {
  return crypto.randomBytes(32).toString('base64url');
}

/** SHA-256 of an opaque token (refresh tokens are looked up by it). */
export function tokenHash(token: string): string {
  return crypto.createHash('sha256').update(token).digest('base64url');
}
