/** The lifetimes of the authorize part's records, milliseconds. */
export const LIFETIME = {
  /** a sign-in flow (login, patient picker, consent) */
  request: 10 * 60_000,
  /** an authorization code */
  code: 60_000,
  /** an EHR launch context */
  launch: 5 * 60_000,
  /** how long a redeemed code is kept to recognise its reuse */
  usedCode: 10 * 60_000,
} as const;
