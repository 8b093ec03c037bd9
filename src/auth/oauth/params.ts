/**
 * The form of the OAuth endpoints: an application/x-www-form-urlencoded body (parsed by formBody of
 * src/auth/http.ts) whose parameters are single-valued (RFC 6749 §3.1: an empty parameter counts
 * as omitted, a repeated one is refused with 400 invalid_request).
 */
import type { Request } from 'express';
import { OAuthError } from '../oauth-errors.js';
import { singleParam, type Params } from '../http.js';

export type Form = Params;

/** The parsed form of an application/x-www-form-urlencoded POST; 400 for any other body. */
export function formOf(req: Request): Form {
  if (!req.is('application/x-www-form-urlencoded') || typeof req.body !== 'object' || req.body === null) {
    throw new OAuthError(400, 'invalid_request', 'The request body must be application/x-www-form-urlencoded');
  }
  return req.body as Form;
}

/** One parameter: undefined when absent or empty; 400 invalid_request when repeated. */
export function param(form: Form, name: string): string | undefined {
  const p = singleParam(form, name);
  if (p.repeated) throw new OAuthError(400, 'invalid_request', `The parameter ${name} must be given once`);
  return p.value;
}

export function requiredParam(form: Form, name: string): string {
  const v = param(form, name);
  if (v === undefined) throw new OAuthError(400, 'invalid_request', `The parameter ${name} is required`);
  return v;
}
