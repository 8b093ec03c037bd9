/**
 * User accounts (OWNED BY THE ACCOUNTS PART; signatures fixed, bodies to be written):
 * patients' sign-up, practitioners created by an administrator, log-in with lock-out, password reset.
 */
import type { Router } from 'express';
import express from 'express';
import type { Account, AuthDeps } from '../types.js';

export type LoginResult =
  | { ok: true; account: Account }
  | { ok: false; reason: 'unknown' | 'password' | 'locked'; message: string };

/**
 * Checks `username` (e-mail; CPF digits or formatted for patients; `NUMBER/UF` for practitioners)
 * and `password`; counts failures, slows down and locks as the policy says; writes the login
 * AuditEvent (success or failure).
 */
export async function logIn(_deps: AuthDeps, _username: string, _password: string, _meta: { address?: string; clientId?: string } = {}): Promise<LoginResult> {
  return { ok: false, reason: 'unknown', message: 'Accounts are not implemented yet' };
}

export async function getAccount(_deps: AuthDeps, _id: string): Promise<Account | null> {
  return null;
}

/** The account whose fhirUser is `reference` (`Patient/1`), if any. */
export async function accountOf(_deps: AuthDeps, _reference: string): Promise<Account | null> {
  return null;
}

/**
 * Creates the first administrator from FHIR_ADMIN_EMAIL / FHIR_ADMIN_PASSWORD when no
 * administrator exists; without them generates a password and returns the credentials (printed once
 * by main.ts). Returns undefined when nothing was generated.
 */
export async function ensureAdministrator(_deps: AuthDeps): Promise<{ email: string; password: string } | undefined> {
  return undefined;
}

/** Creates the collections' unique indexes (email, cpf, crm). */
export async function prepareAccounts(_deps: AuthDeps): Promise<void> {}

/** POST /auth/signup, POST /auth/password-reset(/confirm), POST /admin/practitioners. */
export function accountsRouter(_deps: AuthDeps): Router {
  return express.Router();
}
