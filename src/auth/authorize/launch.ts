/**
 * EHR launch contexts (SMART App Launch 2.2 "EHR launch"): POST /oauth/launch, called with a user's
 * own bearer token, records which patient (and encounter) an app is opened on and answers an opaque
 * `launch` value. The app passes it to /oauth/authorize, where it is redeemed once, by the same
 * client and the same user, within 5 minutes (collection `auth_launches`, stored hashed).
 */
import express, { type Request, type Response, type Router } from 'express';
import { requireBearer } from '../bearer.js';
import { methodNotAllowed, NO_STORE, OAuthError, oauthErrorHandler } from '../oauth-errors.js';
import { formBody, jsonBody } from '../http.js';
import { getClient } from '../oauth/index.js';
import { corsForApps } from '../index.js';
import type { AuthDeps } from '../types.js';
import type { AccessTokenClaims } from '../access-token.js';
import type { DbCollection } from '../../store/database.js';
import { opaqueToken, sweepExpired, tokenHash } from '../opaque-tokens.js';
import { clock } from '../clock.js';
import { LIFETIME } from './lifetimes.js';
import { bareId, referencedId } from '../references.js';
import { isPatientOf } from './patients.js';

export interface LaunchDoc {
  /** tokenHash(launch) */
  _id: string;
  clientId: string;
  /** the account that created it (the token's sub) */
  accountId: string;
  /** bare ids */
  patient: string;
  encounter?: string;
  expiresAt: number;
  used: boolean;
  [k: string]: unknown;
}

export interface LaunchContext {
  patient: string;
  encounter?: string;
}

const LAUNCHES = 'auth_launches';

export function launches(deps: AuthDeps): DbCollection<LaunchDoc> {
  return deps.db.collection<LaunchDoc>(LAUNCHES);
}

const sweep = sweepExpired(LAUNCHES, 'expiresAt', 60_000);

/** Is `launch` a live launch of this client (not yet redeemed)? Checked when the request arrives. */
export async function isLaunchFor(deps: AuthDeps, launch: string, clientId: string): Promise<boolean> {
  const doc = await launches(deps).findOne({ _id: tokenHash(launch) });
  return doc !== null && !doc.used && doc.expiresAt > clock.now() && doc.clientId === clientId;
}

/** Redeems `launch` once, for this client and the user who signed in; undefined when it cannot be. */
export async function redeemLaunch(deps: AuthDeps, launch: string, clientId: string, accountId: string): Promise<LaunchContext | undefined> {
  const now = clock.now();
  const doc = await launches(deps).findOneAndUpdate(
    { _id: tokenHash(launch), used: false, clientId, accountId, expiresAt: { $gt: now } },
    { $set: { used: true, usedAt: now } },
    { returnDocument: 'before' },
  );
  if (!doc) return undefined;
  return { patient: doc.patient, ...(doc.encounter ? { encounter: doc.encounter } : {}) };
}

/** The id of the `type` named by body field `field` (`Type/id` or `id`); 400 when missing or malformed. */
function idParam(value: unknown, type: string, field: string): string {
  if (typeof value !== 'string' || value === '') throw new OAuthError(400, 'invalid_request', `${field} is required: "${type}/{id}" or "{id}"`);
  const id = bareId(value, type);
  if (id === undefined) throw new OAuthError(400, 'invalid_request', `${field} must be "${type}/{id}" or "{id}"`);
  return id;
}

/** May this user open the app on this patient? A patient: only themselves; a practitioner: their patients; an administrator: anyone. */
async function mayLaunchOn(deps: AuthDeps, claims: AccessTokenClaims, patientId: string): Promise<boolean> {
  if (claims.role === 'admin') return true;
  if (claims.role === 'patient') return referencedId(claims.fhirUser, 'Patient', deps.config.baseUrl) === patientId;
  if (claims.role === 'practitioner') {
    const me = referencedId(claims.fhirUser, 'Practitioner', deps.config.baseUrl);
    return me !== undefined && (await isPatientOf(deps, me, patientId));
  }
  return false;
}

async function createLaunch(deps: AuthDeps, req: Request, res: Response): Promise<void> {
  const claims = await requireBearer(deps.tokens, req);
  if (claims.role === 'system') throw new OAuthError(403, 'access_denied', 'A launch is created with a user\'s own token, not a client\'s');
  const body: Record<string, unknown> = req.body && typeof req.body === 'object' && !Array.isArray(req.body) ? req.body : {};
  if (typeof body.client_id !== 'string' || body.client_id === '') throw new OAuthError(400, 'invalid_request', 'client_id is required');
  const client = await getClient(deps, body.client_id);
  if (!client) throw new OAuthError(400, 'invalid_request', 'client_id names no registered app');
  const patient = idParam(body.patient, 'Patient', 'patient');
  const encounter = body.encounter === undefined || body.encounter === null ? undefined : idParam(body.encounter, 'Encounter', 'encounter');
  if (!(await deps.store.readCurrent('Patient', patient))) throw new OAuthError(400, 'invalid_request', `patient: Patient/${patient} does not exist`);
  if (encounter !== undefined) {
    const found = await deps.store.readCurrent('Encounter', encounter);
    if (!found) throw new OAuthError(400, 'invalid_request', `encounter: Encounter/${encounter} does not exist`);
    const subject = referencedId((found.resource as fhir4.Encounter).subject?.reference, 'Patient', deps.config.baseUrl);
    if (subject !== patient) throw new OAuthError(400, 'invalid_request', `encounter: Encounter/${encounter} is not an encounter of Patient/${patient}`);
  }
  if (!(await mayLaunchOn(deps, claims, patient))) throw new OAuthError(403, 'access_denied', `You may not open an app on Patient/${patient}`);

  const launch = opaqueToken();
  const now = clock.now();
  await sweep(deps.db, now);
  await launches(deps).insertOne({
    _id: tokenHash(launch),
    clientId: client._id,
    accountId: claims.sub,
    patient,
    ...(encounter !== undefined ? { encounter } : {}),
    expiresAt: now + LIFETIME.launch,
    used: false,
  });
  res.status(201).set(NO_STORE).json({ launch });
}

/** POST /oauth/launch */
export function launchRouter(deps: AuthDeps): Router {
  const router = express.Router();
  router.options('/oauth/launch', corsForApps);
  router.post(
    '/oauth/launch',
    corsForApps,
    jsonBody,
    formBody,
    async (req, res) => createLaunch(deps, req, res),
  );
  router.all('/oauth/launch', corsForApps, methodNotAllowed('POST'));
  router.use('/oauth/launch', oauthErrorHandler(deps.logger));
  return router;
}
