/**
 * The slow hash of the server's secrets (account passwords, client secrets): scrypt (node:crypto)
 * with a fresh random salt each, stored as `scrypt$N$r$p$salt$hash` (salt and hash base64url) so the
 * cost can be raised later; verified in constant time. A stored hash this module could not have
 * written (damaged, truncated, absurd parameters) verifies as false, never as an error.
 * `verifyDummy` spends the same work for unknown users and clients.
 */
import crypto from 'node:crypto';

const N = 16384;
const R = 8;
const P = 1;
const KEY_LENGTH = 32;
const SALT_BYTES = 16;
const MAX_WORK = 4 * N * R * P;

function scrypt(secret: string, salt: Buffer, n: number, r: number, p: number, keylen: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    crypto.scrypt(secret.normalize('NFC'), salt, keylen, { N: n, r, p, maxmem: 256 * n * r + 1024 * 1024 }, (err, key) => (err ? reject(err) : resolve(key)));
  });
}

export async function hash(secret: string): Promise<string> {
  const salt = crypto.randomBytes(SALT_BYTES);
  const key = await scrypt(secret, salt, N, R, P, KEY_LENGTH);
  return ['scrypt', N, R, P, salt.toString('base64url'), key.toString('base64url')].join('$');
}

/** True when `secret` matches `stored`; false for a missing or malformed hash (never throws). */
export async function verify(secret: string, stored: string | undefined): Promise<boolean> {
  if (typeof secret !== 'string' || typeof stored !== 'string') return false;
  const parts = stored.split('$');
  if (parts.length !== 6 || parts[0] !== 'scrypt') return false;
  const [n, r, p] = parts.slice(1, 4).map(Number);
  // Only parameters this module could have written: a damaged record must not cost a fortune.
  if (!Number.isInteger(n) || n < 2 || (n & (n - 1)) !== 0 || !Number.isInteger(r) || r < 1 || !Number.isInteger(p) || p < 1) return false;
  // ... and at most 4 times the work of this module's own (a damaged record could ask for gigabytes).
  if (n * r * p > MAX_WORK) return false;
  try {
    const salt = Buffer.from(parts[4], 'base64url');
    const expected = Buffer.from(parts[5], 'base64url');
    if (salt.length < 8 || expected.length < 16 || expected.length > 128) return false;
    const key = await scrypt(secret, salt, n, r, p, expected.length);
    return crypto.timingSafeEqual(key, expected);
  } catch {
    return false;
  }
}

let dummyHash: Promise<string> | undefined;

/** The work of one verification against a hash nobody has, so unknown names take as long. */
export async function verifyDummy(secret: string): Promise<void> {
  dummyHash ??= hash(crypto.randomBytes(16).toString('hex'));
  await verify(secret, await dummyHash);
}
