/**
 * User accounts: patients' sign-up, practitioners created by an administrator, the first
 * administrator, log-in with slow-down and lock-out, password reset. Collections: `auth_users`
 * (accounts), `auth_logins` (one per e-mail / CPF / CRM, the uniqueness of each),
 * `auth_password_resets` (hashed single-use links). The pieces live beside this file.
 */
import type { Account, AuthDeps } from '../types.js';
import { prepareDirectory, users, withoutSecrets } from './directory.js';
import { prepareResets } from './password-reset.js';

export { logIn, type LoginResult } from './login.js';
export { ensureAdministrator } from './administrator.js';
export { accountsRouter } from './routes.js';
export { ACCOUNT_POLICY } from './policy.js';

/** The account with this id (as in a token's `sub`), without its password hash. */
export async function getAccount(deps: AuthDeps, id: string): Promise<Account | null> {
  if (typeof id !== 'string' || !id) return null;
  const account = await users(deps).findOne({ _id: id });
  return account ? withoutSecrets(account) : null;
}

/** The account whose fhirUser is `reference` (`Patient/1`), if any. */
export async function accountOf(deps: AuthDeps, reference: string): Promise<Account | null> {
  if (typeof reference !== 'string' || !reference) return null;
  const account = await users(deps).findOne({ fhirUser: reference });
  return account ? withoutSecrets(account) : null;
}

/** Creates the collections' indexes: unique e-mail on the accounts; CPF and CRM are unique as `auth_logins` ids. */
export async function prepareAccounts(deps: AuthDeps): Promise<void> {
  await prepareDirectory(deps);
  await prepareResets(deps);
}
