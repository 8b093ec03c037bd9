/**
 * Password reset by e-mail. POST /auth/password-reset {email} always answers 202 with the same
 * message (no account enumeration); for an existing account it mails a single-use link
 * `{issuer}/auth/password-reset?token=...` valid ACCOUNT_POLICY.resetTokenMs. Only the token's
 * SHA-256 is stored (collection `auth_password_resets`); a new request replaces older links.
 * GET /auth/password-reset shows the forms; POST /auth/password-reset/confirm {token, password}
 * sets the password, consumes the token and clears the failure count and lock.
 * JSON requests get JSON (errors as OperationOutcome); HTML-form requests get pages.
 */
import type { Request, Response } from 'express';
import type { DbCollection } from '../../store/database.js';
import { FhirError } from '../../fhir/errors.js';
import type { AuthDeps } from '../types.js';
import { smartEndpoints } from '../endpoints.js';
import { opaqueToken, tokenHash } from '../opaque-tokens.js';
import { clock } from '../clock.js';
import { ACCOUNT_POLICY } from './policy.js';
import { asBody, FieldProblems, readEmail, readPassword } from './fields.js';
import { hash } from '../hashing.js';
import { findByClaim, users } from './directory.js';
import { fromForm } from './http.js';
import { escapeHtml, htmlPage, paragraph, sendPage as sendHtml } from '../pages.js';

export const RESETS = 'auth_password_resets';

interface ResetDoc {
  /** tokenHash(token) */
  _id: string;
  accountId: string;
  /** epoch ms */
  expiresAt: number;
  createdAt: string;
  [k: string]: unknown;
}

const resets = (deps: AuthDeps): DbCollection<ResetDoc> => deps.db.collection<ResetDoc>(RESETS);

export const RESET_REQUESTED = 'If an account uses this e-mail address, a message with a link to choose a new password is on its way. The link is valid for one hour.';
const INVALID_LINK = 'This password-reset link is not valid: it is unknown, was already used or has expired. Ask for a new one.';

export async function prepareResets(deps: AuthDeps): Promise<void> {
  await resets(deps).createIndex({ accountId: 1 }, { name: 'accountId' });
  await resets(deps).createIndex({ expiresAt: 1 }, { name: 'expiresAt' });
}

/** A page of the reset: the title as its heading above `body` (HTML built from escaped parts). */
function sendPage(res: Response, status: number, title: string, body: string): void {
  sendHtml(res, status, htmlPage(title, `<h1>${escapeHtml(title)}</h1>\n${body}`));
}

const queryToken = (req: Request): string | undefined => (typeof req.query.token === 'string' && req.query.token ? req.query.token : undefined);

/** The reset's addresses (smartEndpoints().passwordReset): the link mailed, the paths of the page and of the confirmation. */
export function resetPaths(deps: AuthDeps): { link: string; page: string; confirm: string } {
  const link = smartEndpoints(deps.config.baseUrl).passwordReset;
  const page = new URL(link).pathname;
  return { link, page, confirm: `${page}/confirm` };
}

function emailForm(deps: AuthDeps, error?: string): string {
  return `${error ? paragraph(error, 'error') : ''}<form method="post" action="${escapeHtml(resetPaths(deps).page)}"><label for="email">E-mail</label><input id="email" name="email" type="email" autocomplete="email" required><button type="submit">Send me a link</button></form>`;
}

function passwordForm(deps: AuthDeps, token: string, error?: string): string {
  return `${error ? paragraph(error, 'error') : ''}<form method="post" action="${escapeHtml(resetPaths(deps).confirm)}"><input type="hidden" name="token" value="${escapeHtml(token)}"><label for="password">New password (at least ${ACCOUNT_POLICY.minPasswordLength} characters)</label><input id="password" name="password" type="password" autocomplete="new-password" minlength="${ACCOUNT_POLICY.minPasswordLength}" required><button type="submit">Set the password</button></form>`;
}

/** The stored link of a token, if it is known and not expired. */
async function liveReset(deps: AuthDeps, token: string): Promise<ResetDoc | null> {
  const doc = await resets(deps).findOne({ _id: tokenHash(token) });
  return doc && doc.expiresAt > clock.now() ? doc : null;
}

async function mailLink(deps: AuthDeps, email: string, token: string): Promise<void> {
  const link = `${resetPaths(deps).link}?token=${encodeURIComponent(token)}`;
  await deps.mail.send({
    to: email,
    subject: 'Choose a new password',
    text: `Someone (hopefully you) asked to reset the password of your account.\n\nOpen this link within one hour to choose a new password:\n${link}\n\nIf you did not ask for it, ignore this message: your password stays as it is.`,
    html: `<p>Someone (hopefully you) asked to reset the password of your account.</p><p><a href="${escapeHtml(link)}">Choose a new password</a> (valid for one hour).</p><p>If you did not ask for it, ignore this message: your password stays as it is.</p>`,
  });
}

/** GET /auth/password-reset: the e-mail form, or with ?token= the new-password form. */
export function resetPage(deps: AuthDeps) {
  return async (req: Request, res: Response): Promise<void> => {
    const token = queryToken(req);
    if (token === undefined) return sendPage(res, 200, 'Reset your password', emailForm(deps));
    if (!(await liveReset(deps, token))) return sendPage(res, 400, 'Reset your password', paragraph(INVALID_LINK, 'error') + emailForm(deps));
    sendPage(res, 200, 'Choose a new password', passwordForm(deps, token));
  };
}

/** POST /auth/password-reset: 202 whatever the address; mails a link when it has an account. */
export function requestReset(deps: AuthDeps) {
  return async (req: Request, res: Response): Promise<void> => {
    const p = new FieldProblems();
    const email = readEmail(p, asBody(req.body).email);
    if (!email) {
      if (fromForm(req)) return sendPage(res, 400, 'Reset your password', emailForm(deps, p.issues[0].diagnostics));
      p.check();
      return;
    }
    const now = clock.now();
    const account = await findByClaim(deps, { field: 'email', value: email });
    if (account) {
      const token = opaqueToken();
      await resets(deps).deleteMany({ $or: [{ accountId: account._id }, { expiresAt: { $lt: now } }] });
      await resets(deps).insertOne({ _id: tokenHash(token), accountId: account._id, expiresAt: now + ACCOUNT_POLICY.resetTokenMs, createdAt: new Date(now).toISOString() });
      // Not awaited: the answer takes as long whether or not an account exists.
      mailLink(deps, account.email, token).catch((err: unknown) => deps.logger.error({ err, account: account._id }, 'could not send the password-reset mail'));
    }
    if (fromForm(req)) return sendPage(res, 202, 'Check your e-mail', paragraph(RESET_REQUESTED));
    res.status(202).set('Cache-Control', 'no-store').json({ message: RESET_REQUESTED });
  };
}

/** POST /auth/password-reset/confirm: consumes the token and sets the new password. */
export function confirmReset(deps: AuthDeps) {
  return async (req: Request, res: Response): Promise<void> => {
    const form = fromForm(req);
    const body = asBody(req.body);
    const token = typeof body.token === 'string' && body.token.length <= 200 ? body.token : '';
    const p = new FieldProblems();
    if (!token) p.add('token', 'token is required (from the link of the e-mail)');
    const password = readPassword(p, body.password);
    if (!password || !token) {
      if (form) return sendPage(res, 400, 'Choose a new password', token ? passwordForm(deps, token, p.issues[0].diagnostics) : paragraph(INVALID_LINK, 'error'));
      p.check();
      return;
    }
    const id = tokenHash(token);
    const doc = await resets(deps).findOne({ _id: id });
    // Single use: only the request that deletes the record may go on.
    const consumed = doc ? (await resets(deps).deleteOne({ _id: id })).deletedCount === 1 : false;
    if (!doc || !consumed || doc.expiresAt <= clock.now()) {
      if (form) return sendPage(res, 400, 'Reset your password', paragraph(INVALID_LINK, 'error') + emailForm(deps));
      throw new FhirError(400, 'invalid', INVALID_LINK, { expression: ['token'] });
    }
    const passwordHash = await hash(password);
    const updated = await users(deps).updateOne({ _id: doc.accountId }, { $set: { passwordHash, failedLogins: 0 }, $unset: { lockedUntil: '' } });
    if (updated.matchedCount !== 1) throw new FhirError(400, 'invalid', INVALID_LINK, { expression: ['token'] });
    await resets(deps).deleteMany({ accountId: doc.accountId });
    deps.logger.info({ account: doc.accountId }, 'password reset');
    const message = 'Your password has been changed. You can now sign in with it.';
    if (form) return sendPage(res, 200, 'Password changed', paragraph(message));
    res.status(200).set('Cache-Control', 'no-store').json({ message });
  };
}
