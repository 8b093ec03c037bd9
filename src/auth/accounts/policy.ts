/**
 * The accounts' security policy in one place: password length, log-in slow-down and lock-out,
 * password-reset lifetime. (Their clock is src/auth/clock.ts.)
 */

export const ACCOUNT_POLICY = {
  /** shortest accepted password */
  minPasswordLength: 10,
  /** longest accepted password (scrypt input; a bound against abuse) */
  maxPasswordLength: 1024,
  /** from this many consecutive failures on, each failed answer is delayed */
  slowDownFrom: 3,
  /** delay of the first slowed-down failure, doubled for each further one */
  baseDelayMs: 100,
  /** the delay never exceeds this */
  maxDelayMs: 1600,
  /** this many consecutive failures lock the account (every further failure locks it again) */
  lockAfter: 5,
  /** how long a lock lasts */
  lockMs: 15 * 60 * 1000,
  /** lifetime of a password-reset link */
  resetTokenMs: 60 * 60 * 1000,
} as const;

/** The delay added to a failed log-in that is the `failures`-th in a row. */
export function failureDelayMs(failures: number): number {
  const { slowDownFrom, baseDelayMs, maxDelayMs } = ACCOUNT_POLICY;
  if (failures < slowDownFrom) return 0;
  return Math.min(baseDelayMs * 2 ** Math.min(failures - slowDownFrom, 30), maxDelayMs);
}
