/**
 * HTTP plumbing of the accounts' endpoints: body parsers limited to 64 kB for these routes only
 * (their errors become OperationOutcomes naming the problem, never echoing the body), and the
 * 201 answer carrying a created FHIR resource.
 */
import express, { type Request, type RequestHandler, type Response } from 'express';
import { FhirError } from '../../fhir/errors.js';
import type { StoredVersion } from '../../store/resource-store.js';

const LIMIT = '64kb';

const json = express.json({ limit: LIMIT, type: ['application/json', 'application/fhir+json'] });
const form = express.urlencoded({ limit: LIMIT, extended: false });

function bodyError(err: unknown): FhirError {
  const type = (err as { type?: string }).type;
  if (type === 'entity.too.large') return new FhirError(413, 'too-costly', `The request body is larger than ${LIMIT}`);
  if (type === 'entity.parse.failed') return new FhirError(400, 'invalid', 'The request body is not valid JSON');
  if (type === 'charset.unsupported' || type === 'encoding.unsupported') return new FhirError(415, 'not-supported', 'Unsupported body encoding or charset');
  return new FhirError(400, 'invalid', 'The request body could not be read');
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
  guarded(form),
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
