/**
 * Opaque single-use values of the authorization server (authorization codes, sign-in flow ids,
 * launch values, refresh tokens, password-reset links, client secrets): random, URL-safe, stored
 * only as their SHA-256; and the throttled sweep that deletes such records once they expire.
 */
import crypto from 'node:crypto';
import type { Database } from '../store/database.js';

/** A new random value: `bytes` random bytes (32 by default: 43 base64url characters). */
export function opaqueToken(bytes = 32): string {
  return crypto.randomBytes(bytes).toString('base64url');
}

/** SHA-256 of `token`, base64url: what is stored and looked up instead of the token itself. */
export function tokenHash(token: string): string {
  return crypto.createHash('sha256').update(token).digest('base64url');
}

export interface SweepOptions {
  /** the unit of `field`: epoch milliseconds (default) or epoch seconds */
  unit?: 'ms' | 's';
  /** records are kept this long after `field` has passed */
  graceMs?: number;
}

/**
 * A sweep of `collection`: deletes the records whose `field` (an expiry) has passed, at most once
 * every `everyMs` per database (callers may call it on every write). `now`: epoch milliseconds.
 */
export function sweepExpired(collection: string, field: string, everyMs: number, options: SweepOptions = {}): (db: Database, now: number) => Promise<void> {
  const last = new WeakMap<Database, number>();
  return async (db, now) => {
    const previous = last.get(db);
    if (previous !== undefined && now - previous < everyMs && now >= previous) return;
    last.set(db, now);
    const cutoff = now - (options.graceMs ?? 0);
    await db.collection(collection).deleteMany({ [field]: { $lt: options.unit === 's' ? Math.floor(cutoff / 1000) : cutoff } });
  };
}
