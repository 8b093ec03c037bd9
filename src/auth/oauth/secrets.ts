/**
 * Client secrets: generated at random, stored only as scrypt hashes with a per-secret salt
 * (`scrypt$N$r$p$salt$hash`, base64url), checked in constant time.
 */
import crypto from 'node:crypto';

const N = 16384;
const R = 8;
const P = 1;
const KEY_LENGTH = 32;

function scrypt(secret: string, salt: Buffer, n: number, r: number, p: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    crypto.scrypt(secret, salt, KEY_LENGTH, { N: n, r, p, maxmem: 64 * 1024 * 1024 }, (err, key) => (err ? reject(err) : resolve(key)));
  });
}

/** A new random secret: 32 bytes, 43 base64url characters. */
export function randomSecret(): string {
  return crypto.randomBytes(32).toString('base64url');
}

export async function hashSecret(secret: string): Promise<string> {
  const salt = crypto.randomBytes(16);
  const key = await scrypt(secret, salt, N, R, P);
  return `scrypt$${N}$${R}$${P}$${salt.toString('base64url')}$${key.toString('base64url')}`;
}

/** True when `secret` matches `hash`; false for a malformed hash. */
export async function verifySecret(secret: string, hash: string | undefined): Promise<boolean> {
  const parts = (hash ?? '').split('$');
  if (parts.length !== 6 || parts[0] !== 'scrypt') return false;
  const [n, r, p] = parts.slice(1, 4).map(Number);
  if (![n, r, p].every((x) => Number.isInteger(x) && x > 0) || n > 1 << 20) return false;
  const expected = Buffer.from(parts[5], 'base64url');
  if (expected.length !== KEY_LENGTH) return false;
  const actual = await scrypt(secret, Buffer.from(parts[4], 'base64url'), n, r, p);
  return crypto.timingSafeEqual(actual, expected);
}

/** SHA-256 of an opaque token (refresh tokens are looked up by it). */
export function tokenHash(token: string): string {
  return crypto.createHash('sha256').update(token).digest('base64url');
}
