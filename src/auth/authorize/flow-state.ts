/**
 * The server-side state of a sign-in flow (collection `auth_requests`): the checked authorization
 * request, then who signed in and the patient chosen. The page carries only a random id (hidden
 * input `request_id`, stored hashed); the flow lives 10 minutes, moves forward one step at a time
 * (each step is taken once, atomically) and is deleted when it ends.
 */
import type { AuthDeps } from '../types.js';
import type { DbCollection } from '../../store/database.js';
import type { AuthorizeRequest } from './request.js';
import { opaqueToken, sweepExpired, tokenHash } from '../opaque-tokens.js';
import { clock } from '../clock.js';
import { LIFETIME } from './lifetimes.js';

export type FlowStep = 'login' | 'patient' | 'consent';

export interface SignedIn {
  accountId: string;
  role: 'patient' | 'practitioner' | 'admin';
  fhirUser?: string;
  userName: string;
  /** epoch seconds */
  authTime: number;
}

export interface FlowDoc {
  /** tokenHash(request_id) */
  _id: string;
  request: AuthorizeRequest;
  appName: string;
  step: FlowStep;
  expiresAt: number;
  user?: SignedIn;
  /** the patient context (bare id) and its display name */
  patient?: string;
  patientName?: string;
  encounter?: string;
  /** the context came from an EHR launch */
  fromLaunch?: boolean;
  [k: string]: unknown;
}

export type FlowUpdate = Partial<Pick<FlowDoc, 'user' | 'patient' | 'patientName' | 'encounter' | 'fromLaunch'>>;

const FLOWS = 'auth_requests';

function flows(deps: AuthDeps): DbCollection<FlowDoc> {
  return deps.db.collection<FlowDoc>(FLOWS);
}

const sweep = sweepExpired(FLOWS, 'expiresAt', 60_000);

/** Starts a flow; returns its id (for the hidden input). */
export async function startFlow(deps: AuthDeps, request: AuthorizeRequest, appName: string): Promise<string> {
  const now = clock.now();
  await sweep(deps.db, now);
  const id = opaqueToken();
  await flows(deps).insertOne({ _id: tokenHash(id), request, appName, step: 'login', expiresAt: now + LIFETIME.request });
  return id;
}

/** The live flow with this id, or null (unknown, finished or expired). */
export async function loadFlow(deps: AuthDeps, id: string): Promise<FlowDoc | null> {
  if (id.length > 128) return null;
  const doc = await flows(deps).findOne({ _id: tokenHash(id) });
  return doc && doc.expiresAt > clock.now() ? doc : null;
}

/** Moves the flow from `from` to `to` once (a second, concurrent submission of a step gets null). */
export async function advanceFlow(deps: AuthDeps, doc: FlowDoc, from: FlowStep, to: FlowStep, update: FlowUpdate): Promise<FlowDoc | null> {
  return flows(deps).findOneAndUpdate(
    { _id: doc._id, step: from, expiresAt: { $gt: clock.now() } },
    { $set: { ...Object.fromEntries(Object.entries(update).filter(([, v]) => v !== undefined)), step: to } },
    { returnDocument: 'after' },
  );
}

/** Ends the flow; true for the one caller that ended it (so a flow issues at most one code). */
export async function endFlow(deps: AuthDeps, doc: FlowDoc, at: FlowStep): Promise<boolean> {
  return (await flows(deps).deleteOne({ _id: doc._id, step: at })).deletedCount === 1;
}

export async function prepareFlows(deps: AuthDeps): Promise<void> {
  await flows(deps).createIndex({ expiresAt: 1 }, { name: 'expiresAt' });
}
