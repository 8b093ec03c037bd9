/**
 * HTTP plumbing of the accounts' endpoints: the auth routes' body parsers (src/auth/http.ts) with
 * their errors as OperationOutcomes naming the problem (never echoing the body), and the 201
 * answer carrying a created FHIR resource.
 */
import type { Request, RequestHandler, Response } from 'express';
import { FhirError } from '../../fhir/errors.js';
import type { StoredVersion } from '../../store/resource-store.js';
import { bodyProblem, formBody, jsonBody as json } from '../http.js';

const ISSUE_CODE = { 400: 'invalid', 413: 'too-costly', 415: 'not-supported' } as const;

function bodyError(err: unknown): unknown {
  const problem = bodyProblem(err);
  return problem ? new FhirError(problem.status, ISSUE_CODE[problem.status], problem.message) : err;
}

const guarded = (parser: RequestHandler): RequestHandler => (req, res, next) => parser(req, res, (err?: unknown) => next(err ? bodyError(err) : undefined));

/** Parses a JSON body (application/json or application/fhir+json); 415 for anything else. */
export const jsonBody: RequestHandler[] = [
  guarded(json),
  (req, _res, next) => next(req.body === undefined ? new FhirError(415, 'not-supported', 'Send the body as application/json') : undefined),
];

/** Parses a JSON or an HTML-form body; 415 for anything else. */
export const jsonOrFormBody: RequestHandler[] = [
  guarded(json),
  guarded(formBody),
  (req, _res, next) =>
    next(req.body === undefined ? new FhirError(415, 'not-supported', 'Send the body as application/json or application/x-www-form-urlencoded') : undefined),
];

/** True when the request came from an HTML form (answer with a page rather than JSON). */
export const fromForm = (req: Request): boolean => typeof req.is('application/x-www-form-urlencoded') === 'string';

/** 201 with the resource, its absolute versioned Location, ETag and Last-Modified. */
export function sendCreated(res: Response, baseUrl: string, v: StoredVersion): void {
  res
    .status(201)
    .set({
      Location: `${baseUrl}/${v.type}/${v.id}/_history/${v.versionId}`,
      ETag: `W/"${v.versionId}"`,
      'Last-Modified': new Date(v.lastUpdated).toUTCString(),
      'Cache-Control': 'no-store',
      'Content-Type': 'application/fhir+json; charset=utf-8',
    })
    .send(JSON.stringify(v.resource));
}
