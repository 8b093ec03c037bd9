/**
 * Where accounts live. `auth_users` holds the Account documents (unique e-mail). `auth_logins` holds
 * one document per login identifier, `_id` = `email:ana@x.org`, `cpf:52998224725` or `crm:123456/SP`,
 * pointing to its account: uniqueness of optional identifiers through `_id` works alike on MongoDB
 * and on the embedded engine (a unique index on an optional field would treat every missing value
 * as the same null). An account and its identifiers are written in one transaction.
 */
import crypto from 'node:crypto';
import type { DbCollection, DbSession } from '../../store/database.js';
import { isDuplicateKeyError } from '../../store/database.js';
import { FhirError } from '../../fhir/errors.js';
import type { Account, AuthDeps } from '../types.js';
import { cpfDigits } from './cpf.js';

export const USERS = 'auth_users';
export const LOGINS = 'auth_logins';

export type LoginField = 'email' | 'cpf' | 'crm';

interface LoginDoc {
  _id: string;
  accountId: string;
  [k: string]: unknown;
}

export interface LoginClaim {
  field: LoginField;
  value: string;
}

const LABEL: Record<LoginField, string> = { email: 'e-mail address', cpf: 'CPF', crm: 'CRM registration (number and UF)' };

export const users = (deps: AuthDeps): DbCollection<Account> => deps.db.collection<Account>(USERS);
const logins = (deps: AuthDeps): DbCollection<LoginDoc> => deps.db.collection<LoginDoc>(LOGINS);

export const loginKey = (c: LoginClaim): string => `${c.field}:${c.value}`;

export const newAccountId = (): string => crypto.randomUUID();

/** A new account record: no failed logins yet, created now. */
export function newAccount(fields: Pick<Account, '_id' | 'role' | 'email' | 'name' | 'passwordHash'> & Partial<Pick<Account, 'cpf' | 'crm' | 'fhirUser'>>): Account {
  return { ...fields, failedLogins: 0, createdAt: new Date().toISOString() };
}

/** The name shown on pages for a HumanName: its text, else the given names and the family name. */
export function displayName(name: fhir4.HumanName): string {
  return name.text ?? [...(name.given ?? []), name.family].join(' ');
}

/** An account as handed to other modules: without its password hash. */
export function withoutSecrets(account: Account): Account {
  return { ...account, passwordHash: '' };
}

export async function prepareDirectory(deps: AuthDeps): Promise<void> {
  await users(deps).createIndex({ email: 1 }, { unique: true, name: 'email_unique' });
  await users(deps).createIndex({ fhirUser: 1 }, { name: 'fhirUser' });
  await users(deps).createIndex({ role: 1 }, { name: 'role' });
  await logins(deps).createIndex({ accountId: 1 }, { name: 'accountId' });
}

/**
 * The login identifier a typed username stands for: an e-mail (anything with @, case-insensitive),
 * `NUMBER/UF` (CRM, UF case-insensitive), or a CPF (digits or formatted).
 */
export function claimOfUsername(username: string): LoginClaim | undefined {
  const u = username.trim();
  if (!u || u.length > 254) return undefined;
  if (u.includes('@')) return { field: 'email', value: u.toLowerCase() };
  const crm = /^(\d{1,8})\s*\/\s*([A-Za-z]{2})$/.exec(u);
  if (crm) return { field: 'crm', value: `${crm[1]}/${crm[2].toUpperCase()}` };
  const cpf = cpfDigits(u);
  if (cpf) return { field: 'cpf', value: cpf };
  return undefined;
}

/** The stored account (with its hash) for a login identifier. */
export async function findByClaim(deps: AuthDeps, claim: LoginClaim): Promise<Account | null> {
  const login = await logins(deps).findOne({ _id: loginKey(claim) });
  return login ? users(deps).findOne({ _id: login.accountId }) : null;
}

export function inUse(field: LoginField): FhirError {
  return new FhirError(409, 'duplicate', `This ${LABEL[field]} is already in use`, { expression: [field] });
}

/** 409 naming the first identifier that already belongs to an account (a quick check before the work). */
export async function checkAvailable(deps: AuthDeps, claims: LoginClaim[]): Promise<void> {
  for (const c of claims) if (await logins(deps).findOne({ _id: loginKey(c) })) throw inUse(c.field);
}

function fieldOfDuplicate(err: unknown): LoginField {
  const e = err as { message?: string; keyValue?: Record<string, unknown> };
  const where = `${e.message ?? ''} ${JSON.stringify(e.keyValue ?? {})}`;
  return where.includes('crm:') ? 'crm' : where.includes('cpf:') ? 'cpf' : 'email';
}

/**
 * Claims the identifiers, runs `work` (which creates the FHIR resources and returns the account) and
 * stores the account, all in one transaction; an identifier already taken is 409 naming its field.
 * On a MongoDB without transactions (standalone) the claims are written first and released on failure.
 */
export async function registerAccount<R>(
  deps: AuthDeps,
  accountId: string,
  claims: LoginClaim[],
  work: (session: DbSession | undefined) => Promise<{ account: Account; result: R }>,
): Promise<R> {
  const run = async (session: DbSession | undefined): Promise<R> => {
    for (const c of claims) {
      try {
        await logins(deps).insertOne({ _id: loginKey(c), accountId }, { session });
      } catch (err) {
        if (isDuplicateKeyError(err)) throw inUse(c.field);
        throw err;
      }
    }
    const { account, result } = await work(session);
    if (account._id !== accountId) throw new Error('registerAccount: the account id differs from the claimed one');
    await users(deps).insertOne(account, { session });
    return result;
  };
  try {
    if (deps.db.supportsTransactions) return await deps.db.withTransaction(run);
    try {
      return await run(undefined);
    } catch (err) {
      await logins(deps).deleteMany({ accountId }).catch(() => undefined);
      throw err;
    }
  } catch (err) {
    if (isDuplicateKeyError(err)) throw inUse(fieldOfDuplicate(err));
    throw err;
  }
}
