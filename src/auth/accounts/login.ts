/**
 * Log-in: username (e-mail, CPF, `NUMBER/UF`) and password checked against the scrypt hash. Failed
 * attempts in a row are counted on the account: from ACCOUNT_POLICY.slowDownFrom on each failed
 * answer is delayed (doubling, capped), at ACCOUNT_POLICY.lockAfter the account is locked for
 * ACCOUNT_POLICY.lockMs (a right password is refused while locked; each further failure locks it
 * again); a success resets the count. Unknown usernames cost the same hashing and follow the same
 * slow-down and lock (counted in memory), so answers do not tell which accounts exist. Every
 * attempt writes a login AuditEvent. The password is never stored, logged or audited.
 */
import type { Account, AuthDeps } from '../types.js';
import { clock } from '../clock.js';
import { ACCOUNT_POLICY, failureDelayMs } from './policy.js';
import { verify, verifyDummy } from '../hashing.js';
import { claimOfUsername, findByClaim, users, withoutSecrets } from './directory.js';

export type LoginResult =
  | { ok: true; account: Account }
  | { ok: false; reason: 'unknown' | 'password' | 'locked'; message: string };

export const WRONG_CREDENTIALS = 'The username or the password is not correct';
export const LOCKED = 'Too many failed attempts: this account is locked for a while. Try again later or reset your password.';

/** Failures of usernames that have no account, so they slow down and lock like real ones. */
class UnknownUsernames {
  private readonly entries = new Map<string, { failures: number; lockedUntil: number; last: number }>();
  private static readonly MAX = 10_000;

  fail(username: string, now: number): { failures: number; locked: boolean; wasLocked: boolean } {
    const key = username.trim().toLowerCase().slice(0, 254);
    let e = this.entries.get(key);
    if (e && now - e.last > ACCOUNT_POLICY.lockMs && e.lockedUntil <= now) e = undefined;
    e ??= { failures: 0, lockedUntil: 0, last: now };
    this.entries.delete(key);
    this.entries.set(key, e);
    if (this.entries.size > UnknownUsernames.MAX) this.entries.delete(this.entries.keys().next().value as string);
    e.last = now;
    if (e.lockedUntil > now) return { failures: e.failures, locked: true, wasLocked: true };
    e.failures++;
    if (e.failures >= ACCOUNT_POLICY.lockAfter) e.lockedUntil = now + ACCOUNT_POLICY.lockMs;
    return { failures: e.failures, locked: e.lockedUntil > now, wasLocked: false };
  }
}

const unknownUsernames = new UnknownUsernames();

/** The username as recorded in an AuditEvent of a failed log-in (never the password). */
const tried = (username: string): string => username.trim().slice(0, 100) || '(empty username)';

export async function logIn(deps: AuthDeps, username: string, password: string, meta: { address?: string; clientId?: string } = {}): Promise<LoginResult> {
  const now = clock.now();
  const base = { clientId: meta.clientId, address: meta.address };
  const claim = typeof username === 'string' ? claimOfUsername(username) : undefined;
  const account = claim ? await findByClaim(deps, claim) : null;
  const pw = typeof password === 'string' ? password.slice(0, ACCOUNT_POLICY.maxPasswordLength) : '';

  if (!account) {
    await verifyDummy(pw);
    const u = typeof username === 'string' ? username : '';
    const f = unknownUsernames.fail(u, now);
    await deps.audit.record({ kind: 'login', success: false, who: tried(u), ...base, detail: 'log-in failed: unknown username' });
    if (f.wasLocked) return { ok: false, reason: 'locked', message: LOCKED };
    await clock.sleep(failureDelayMs(f.failures));
    return f.locked ? { ok: false, reason: 'locked', message: LOCKED } : { ok: false, reason: 'unknown', message: WRONG_CREDENTIALS };
  }

  const who = account.fhirUser ?? account._id;
  const matches = await verify(pw, account.passwordHash);
  if (account.lockedUntil !== undefined && account.lockedUntil > now) {
    await deps.audit.record({ kind: 'login', success: false, who, ...base, detail: `log-in refused: account locked (after ${account.failedLogins} failed attempts)` });
    return { ok: false, reason: 'locked', message: LOCKED };
  }

  if (matches) {
    if (account.failedLogins || account.lockedUntil !== undefined) {
      await users(deps).updateOne({ _id: account._id }, { $set: { failedLogins: 0 }, $unset: { lockedUntil: '' } });
    }
    await deps.audit.record({ kind: 'login', success: true, who, ...base, detail: `log-in of ${account.role} ${account.email}` });
    const { lockedUntil: _unused, ...rest } = account;
    return { ok: true, account: withoutSecrets({ ...rest, failedLogins: 0 }) };
  }

  const counted = await users(deps).findOneAndUpdate({ _id: account._id }, { $inc: { failedLogins: 1 } }, { returnDocument: 'after' });
  const failures = counted?.failedLogins ?? account.failedLogins + 1;
  const locks = failures >= ACCOUNT_POLICY.lockAfter;
  if (locks) await users(deps).updateOne({ _id: account._id }, { $set: { lockedUntil: now + ACCOUNT_POLICY.lockMs } });
  const detail = `log-in failed: wrong password (${failures} in a row)${locks ? `; account locked for ${Math.round(ACCOUNT_POLICY.lockMs / 60000)} minutes` : ''}`;
  await deps.audit.record({ kind: 'login', success: false, who, ...base, detail });
  await clock.sleep(failureDelayMs(failures));
  return locks ? { ok: false, reason: 'locked', message: LOCKED } : { ok: false, reason: 'password', message: WRONG_CREDENTIALS };
}
