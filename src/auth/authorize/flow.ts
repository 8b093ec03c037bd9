/**
 * GET/POST /oauth/authorize: a new authorization request is checked and answered with the sign-in
 * page; each later POST (carrying `request_id` and `step`) takes one step of the flow:
 *
 *   login    -> the account signs in (logIn writes the audit); an EHR launch is redeemed for it,
 *               or a patient gets their own record as context when `launch/patient` is asked;
 *   patient  -> a practitioner picks one of their patients (an administrator: any patient, by id);
 *   consent  -> the user ticks what the app may have; allow issues the code, deny answers
 *               access_denied. Granted scopes are the ticked ones among those requested, never more.
 */
import type { Request, Response } from 'express';
import { ACCOUNT_POLICY, logIn } from '../accounts/index.js';
import { smartEndpoints } from '../endpoints.js';
import { pickUserGrant, type AuthDeps, type AuthorizationGrant } from '../types.js';
import { clock } from '../clock.js';
import { issueCode } from './codes.js';
import { advanceFlow, endFlow, loadFlow, startFlow, type FlowDoc, type FlowStep, type FlowUpdate, type SignedIn } from './flow-state.js';
import { isLaunchFor, redeemLaunch } from './launch.js';
import { sendPage } from '../pages.js';
import { consentPage, errorPage, loginPage, pickerPage, type FlowFields } from './pages.js';
import { bareId, referencedId } from '../references.js';
import { displayName, isPatientOf, patientsOf } from './patients.js';
import { checkAuthorizeRequest, errorRedirectUrl, redirectWith, type ErrorRedirect, type RawParams } from './request.js';
import { describeScope } from './scope-descriptions.js';

const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
const strings = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : typeof v === 'string' ? [v] : []);

const USED = 'This sign-in page has expired or was already used.';

export function sendRedirect(res: Response, url: string): void {
  res.status(302).set({ 'Cache-Control': 'no-store', Pragma: 'no-cache', 'Referrer-Policy': 'no-referrer' }).location(url).end();
}

function backToApp(res: Response, doc: FlowDoc, error: ErrorRedirect['error'], description: string): void {
  sendRedirect(res, errorRedirectUrl({ redirectUri: doc.request.redirectUri, state: doc.request.state, error, description }));
}

/** A new authorization request (GET query or POST form). */
export async function startAuthorize(deps: AuthDeps, res: Response, params: RawParams): Promise<void> {
  const check = await checkAuthorizeRequest(deps, params);
  if (!check.ok) {
    if ('page' in check) return sendPage(res, 400, errorPage(check.page));
    return sendRedirect(res, errorRedirectUrl(check.redirect));
  }
  const { request, client } = check;
  if (request.launch !== undefined && !(await isLaunchFor(deps, request.launch, request.clientId))) {
    return sendRedirect(res, errorRedirectUrl({
      redirectUri: request.redirectUri, state: request.state, error: 'invalid_request',
      description: 'The launch is unknown, expired, already used, or was created for another app',
    }));
  }
  const appName = typeof client.client_name === 'string' && client.client_name !== '' ? client.client_name : client._id;
  const id = await startFlow(deps, request, appName);
  sendPage(res, 200, loginPage(fields(deps, id, 'login', appName, request.redirectUri)));
}

function fields(deps: AuthDeps, requestId: string, step: FlowStep, appName: string, redirectUri: string): FlowFields {
  return { action: smartEndpoints(deps.config.baseUrl).authorize, requestId, step, appName, redirectUri };
}

async function patientName(deps: AuthDeps, id: string): Promise<string> {
  const found = await deps.store.readCurrent('Patient', id);
  return displayName(found?.resource as fhir4.Patient | undefined, `Patient/${id}`);
}

/** The page of the flow's current step. */
async function renderStep(deps: AuthDeps, res: Response, id: string, doc: FlowDoc, status: number, message?: string): Promise<void> {
  const f = fields(deps, id, doc.step, doc.appName, doc.request.redirectUri);
  if (doc.step === 'login' || !doc.user) return sendPage(res, status, loginPage({ ...f, step: 'login' }, { message }));
  const user = doc.user;
  if (doc.step === 'patient') {
    const me = referencedId(user.fhirUser, 'Practitioner', deps.config.baseUrl);
    const freeEntry = user.role === 'admin';
    const patients = !freeEntry && me ? await patientsOf(deps, me) : [];
    return sendPage(res, status, pickerPage(f, { userName: user.userName, patients, freeEntry, message }));
  }
  const who = user.role === 'patient' ? 'patient' : 'other';
  const scopes = doc.request.scopes.map((scope) => ({ scope, description: describeScope(scope, who) }));
  return sendPage(res, status, consentPage(f, { userName: user.userName, patientName: doc.patientName, scopes, message }));
}

/** One step of a flow (a POST with request_id). */
export async function takeStep(deps: AuthDeps, req: Request, res: Response, body: RawParams): Promise<void> {
  const id = str(body.request_id);
  const doc = id ? await loadFlow(deps, id) : null;
  if (!id || !doc) return sendPage(res, 400, errorPage(USED));
  // A form of an earlier step (the back button, a second submission): show the current step.
  if (str(body.step) !== doc.step) return renderStep(deps, res, id, doc, 200);
  if (doc.step === 'login') return loginStep(deps, req, res, id, doc, body);
  if (doc.step === 'patient') return patientStep(deps, res, id, doc, body);
  return consentStep(deps, res, id, doc, body);
}

async function loginStep(deps: AuthDeps, req: Request, res: Response, id: string, doc: FlowDoc, body: RawParams): Promise<void> {
  const username = str(body.username)?.trim() ?? '';
  const password = str(body.password) ?? '';
  if (username === '' || password === '' || username.length > 320 || password.length > ACCOUNT_POLICY.maxPasswordLength) {
    return sendPage(res, 400, loginPage(fields(deps, id, 'login', doc.appName, doc.request.redirectUri), { message: 'Enter your username and password.', username: username.slice(0, 320) }));
  }
  const result = await logIn(deps, username, password, { address: req.ip, clientId: doc.request.clientId });
  if (!result.ok) {
    return sendPage(res, 401, loginPage(fields(deps, id, 'login', doc.appName, doc.request.redirectUri), { message: result.message, username }));
  }
  const account = result.account;
  const user: SignedIn = {
    accountId: account._id,
    role: account.role,
    ...(account.fhirUser ? { fhirUser: account.fhirUser } : {}),
    userName: account.name || account.email,
    authTime: clock.seconds(),
  };
  const update: FlowUpdate = { user };
  let next: FlowStep = 'consent';
  if (doc.request.launch === undefined && doc.request.scopes.includes('launch/patient')) {
    if (account.role === 'patient') {
      const own = referencedId(account.fhirUser, 'Patient', deps.config.baseUrl);
      if (!own) {
        await endFlow(deps, doc, 'login');
        return backToApp(res, doc, 'access_denied', 'This account has no patient record to open');
      }
      update.patient = own;
      update.patientName = await patientName(deps, own);
    } else {
      next = 'patient';
    }
  }
  // Taking the step first makes a second, concurrent submission of the same login a no-op.
  let moved = await advanceFlow(deps, doc, 'login', next, update);
  if (!moved) return sendPage(res, 400, errorPage(USED));
  if (doc.request.launch !== undefined) {
    const context = await redeemLaunch(deps, doc.request.launch, doc.request.clientId, account._id);
    if (!context) {
      await endFlow(deps, moved, next);
      return backToApp(res, doc, 'invalid_request', 'The launch is not valid for this user: expired, already used, or created for another user or app');
    }
    moved = await advanceFlow(deps, moved, next, next, {
      patient: context.patient,
      patientName: await patientName(deps, context.patient),
      encounter: context.encounter,
      fromLaunch: true,
    });
    if (!moved) return sendPage(res, 400, errorPage(USED));
  }
  return renderStep(deps, res, id, moved, 200);
}

/** May the signed-in user open the app on this (existing) patient? (The picker is for practitioners and administrators.) */
async function mayChoose(deps: AuthDeps, user: SignedIn, patientId: string): Promise<boolean> {
  if (user.role === 'admin') return true;
  if (user.role === 'practitioner') {
    const me = referencedId(user.fhirUser, 'Practitioner', deps.config.baseUrl);
    return me !== undefined && (await isPatientOf(deps, me, patientId));
  }
  return referencedId(user.fhirUser, 'Patient', deps.config.baseUrl) === patientId;
}

async function patientStep(deps: AuthDeps, res: Response, id: string, doc: FlowDoc, body: RawParams): Promise<void> {
  if (str(body.decision) === 'deny') {
    if (!(await endFlow(deps, doc, 'patient'))) return sendPage(res, 400, errorPage(USED));
    return backToApp(res, doc, 'access_denied', 'The user cancelled the sign-in');
  }
  const chosen = str(body.patient);
  const patientId = chosen ? bareId(chosen.trim(), 'Patient') : undefined;
  if (!patientId) return renderStep(deps, res, id, doc, 400, 'Choose a patient.');
  const found = await deps.store.readCurrent('Patient', patientId);
  if (!doc.user || !found || !(await mayChoose(deps, doc.user, patientId))) {
    return renderStep(deps, res, id, doc, 400, `Patient/${patientId} is not one of the patients you may open.`);
  }
  const name = displayName(found.resource as fhir4.Patient, `Patient/${patientId}`);
  const moved = await advanceFlow(deps, doc, 'patient', 'consent', { patient: patientId, patientName: name });
  if (!moved) return sendPage(res, 400, errorPage(USED));
  return renderStep(deps, res, id, moved, 200);
}

/** The grant of a finished flow: the context is kept only when a scope that asks for it was granted. */
function grantOf(doc: FlowDoc, user: SignedIn, granted: string[]): AuthorizationGrant {
  const g = new Set(granted);
  const keepPatient = doc.patient !== undefined && (g.has('launch/patient') || (doc.fromLaunch === true && g.has('launch')));
  const keepEncounter = doc.encounter !== undefined && doc.fromLaunch === true && (g.has('launch') || g.has('launch/encounter'));
  const grant = pickUserGrant({
    ...user,
    clientId: doc.request.clientId,
    scope: granted.join(' '),
    patient: keepPatient ? doc.patient : undefined,
    encounter: keepEncounter ? doc.encounter : undefined,
    needPatientBanner: keepPatient,
  });
  return { ...grant, redirectUri: doc.request.redirectUri, ...(doc.request.nonce !== undefined ? { nonce: doc.request.nonce } : {}) };
}

async function consentStep(deps: AuthDeps, res: Response, id: string, doc: FlowDoc, body: RawParams): Promise<void> {
  const decision = str(body.decision);
  if (decision !== 'allow' && decision !== 'deny') return renderStep(deps, res, id, doc, 400, 'Choose Allow or Deny.');
  if (!doc.user || !(await endFlow(deps, doc, 'consent'))) return sendPage(res, 400, errorPage(USED));
  if (decision === 'deny') return backToApp(res, doc, 'access_denied', 'The user denied access');
  const ticked = new Set(strings(body.scope));
  const granted = doc.request.scopes.filter((s) => ticked.has(s));
  if (granted.length === 0) return backToApp(res, doc, 'access_denied', 'The user granted no access');
  const code = await issueCode(deps, grantOf(doc, doc.user, granted), {
    redirectUriGiven: doc.request.redirectUriGiven,
    ...(doc.request.codeChallenge ? { codeChallenge: doc.request.codeChallenge } : {}),
  });
  sendRedirect(res, redirectWith(doc.request.redirectUri, { code, state: doc.request.state }));
}
