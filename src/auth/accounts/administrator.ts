/**
 * The first administrator. With FHIR_ADMIN_EMAIL / FHIR_ADMIN_PASSWORD: that account is created
 * when missing. If it exists, its stored password is kept even when FHIR_ADMIN_PASSWORD differs
 * (a warning is logged): the environment seeds the account, it does not silently reset it; the
 * password reset changes it. Without them, and when no administrator exists at all,
 * admin@localhost is created with a generated password, returned once to be printed.
 */
import crypto from 'node:crypto';
import type { AuthDeps } from '../types.js';
import { FhirError } from '../../fhir/errors.js';
import { hash, verify } from '../hashing.js';
import { findByClaim, newAccount, newAccountId, registerAccount, users } from './directory.js';

export const GENERATED_ADMIN_EMAIL = 'admin@localhost';

/** A random password for the generated administrator (24 URL-safe characters, 144 bits). */
function generatePassword(): string {
  return crypto.randomBytes(18).toString('base64url');
}

/** Creates an administrator; false when the e-mail is already taken (e.g. another instance did it). */
async function createAdministrator(deps: AuthDeps, email: string, password: string): Promise<boolean> {
  const passwordHash = await hash(password);
  const accountId = newAccountId();
  try {
    await registerAccount(deps, accountId, [{ field: 'email', value: email }], async () => {
      const account = newAccount({ _id: accountId, role: 'admin', email, name: 'Administrator', passwordHash });
      return { account, result: undefined };
    });
  } catch (err) {
    if (err instanceof FhirError && err.status === 409) return false;
    throw err;
  }
  deps.logger.info({ account: accountId, email }, 'administrator account created');
  return true;
}

export async function ensureAdministrator(deps: AuthDeps): Promise<{ email: string; password: string } | undefined> {
  const { adminEmail, adminPassword } = deps.config.auth;
  if (adminEmail && adminPassword) {
    const email = adminEmail.toLowerCase();
    const existing = await findByClaim(deps, { field: 'email', value: email });
    if (!existing) {
      await createAdministrator(deps, email, adminPassword);
    } else if (existing.role !== 'admin') {
      deps.logger.warn({ email }, 'FHIR_ADMIN_EMAIL belongs to an account that is not an administrator: it is left unchanged');
    } else if (!(await verify(adminPassword, existing.passwordHash))) {
      deps.logger.warn({ email }, 'FHIR_ADMIN_PASSWORD differs from the stored password of this administrator: the stored password is kept (use the password reset to change it)');
    }
    return undefined;
  }
  if ((await users(deps).countDocuments({ role: 'admin' })) > 0) return undefined;
  const password = generatePassword();
  return (await createAdministrator(deps, GENERATED_ADMIN_EMAIL, password)) ? { email: GENERATED_ADMIN_EMAIL, password } : undefined;
}
