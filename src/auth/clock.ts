/**
 * The clock of the authorization server: flow, code, launch and reset-link lifetimes, log-in
 * lock-out and slow-down, refresh-token and assertion expiry, auth_time, id_token iat. Tests
 * replace `now` (to move time on without waiting) and `sleep` (to record the slow-down instead of
 * waiting), and put the originals back afterwards; everything in src/auth reads time through it.
 */
export const clock = {
  /** epoch milliseconds */
  now: (): number => Date.now(),
  sleep: (ms: number): Promise<void> => (ms > 0 ? new Promise((resolve) => setTimeout(resolve, ms)) : Promise.resolve()),
  /** epoch seconds (of `now`, so a replaced `now` moves it too) */
  seconds: (): number => Math.floor(clock.now() / 1000),
};
