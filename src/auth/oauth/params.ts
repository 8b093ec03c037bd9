/**
 * Request helpers shared by the OAuth endpoints: single-valued form parameters (RFC 6749 §3.1:
 * an empty parameter counts as omitted, a repeated one is refused), the express body parsers of
 * these routes, and turning the FhirErrors of bearer-token checks into OAuth JSON errors.
 */
import express, { type Request } from 'express';
import { FhirError } from '../../fhir/errors.js';
import { OAuthError } from '../oauth-errors.js';

export type Form = Record<string, unknown>;

export const urlencodedBody = express.urlencoded({ extended: false, limit: '64kb' });
export const jsonBody = express.json({ limit: '64kb', type: ['application/json', 'application/*+json'] });

/** The parsed form of an application/x-www-form-urlencoded POST; 400 for any other body. */
export function formOf(req: Request): Form {
  if (!req.is('application/x-www-form-urlencoded') || typeof req.body !== 'object' || req.body === null) {
    throw new OAuthError(400, 'invalid_request', 'The request body must be application/x-www-form-urlencoded');
  }
  return req.body as Form;
}

/** One parameter: undefined when absent or empty; 400 invalid_request when repeated. */
export function param(form: Form, name: string): string | undefined {
  const v = form[name];
  if (v === undefined || v === '') return undefined;
  if (typeof v !== 'string') throw new OAuthError(400, 'invalid_request', `The parameter ${name} must be given once`);
  return v;
}

export function requiredParam(form: Form, name: string): string {
  const v = param(form, name);
  if (v === undefined) throw new OAuthError(400, 'invalid_request', `The parameter ${name} is required`);
  return v;
}

/** A 401/403 FhirError of requireBearer/requireAdmin as the OAuth error RFC 6750 names. */
export function asOAuthError(err: unknown): unknown {
  if (!(err instanceof FhirError)) return err;
  if (err.status === 401) return new OAuthError(401, 'invalid_token', err.message, err.headers);
  if (err.status === 403) return new OAuthError(403, 'insufficient_scope', err.message, err.headers);
  return new OAuthError(err.status, 'invalid_request', err.message, err.headers);
}
