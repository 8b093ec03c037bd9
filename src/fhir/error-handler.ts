/** The one express error handler: everything becomes an application/fhir+json OperationOutcome. */
import type { ErrorRequestHandler } from 'express';
import type { Logger } from '../logger.js';
import { FhirError, operationOutcome } from './errors.js';

interface HttpError {
  type?: string;
  status?: number;
  statusCode?: number;
  expose?: boolean;
  message?: string;
  limit?: number;
}

export function toFhirError(err: unknown, maxBody: number): FhirError {
  if (err instanceof FhirError) return err;
  const e = err as HttpError;
  switch (e?.type) {
    case 'entity.too.large':
      return new FhirError(413, 'too-costly', `The request body is larger than the limit of ${maxBody} bytes (FHIR_MAX_BODY)`);
    case 'encoding.unsupported':
    case 'charset.unsupported':
      return new FhirError(415, 'not-supported', e.message ?? 'Unsupported body encoding');
    case 'request.aborted':
    case 'request.size.invalid':
    case 'stream.encoding.set':
      return new FhirError(400, 'invalid', e.message ?? 'The request body could not be read');
  }
  if ((e as { codeName?: string })?.codeName === 'StorageCommitFailed' || (e as { code?: number })?.code === 14031) {
    return new FhirError(503, 'transient', 'The store could not write to disk (disk full or I/O error): nothing was written; try again later', { headers: { 'Retry-After': '30' } });
  }
  const status = e?.status ?? e?.statusCode;
  if (typeof status === 'number' && status >= 400 && status < 500 && e.expose !== false) {
    return new FhirError(status, 'invalid', e.message ?? 'Bad request');
  }
  return new FhirError(500, 'exception', 'Internal server error');
}

export function fhirErrorHandler(logger: Logger, maxBody: number): ErrorRequestHandler {
  return (err, req, res, _next) => {
    const fe = toFhirError(err, maxBody);
    if (fe.status >= 500) logger.error({ err, method: req.method, url: req.originalUrl }, 'request failed');
    if (res.headersSent) {
      res.end();
      return;
    }
    res.status(fe.status);
    for (const [k, v] of Object.entries(fe.headers)) res.setHeader(k, v);
    res.setHeader('Content-Type', 'application/fhir+json; charset=utf-8');
    res.send(JSON.stringify(fe.outcome.issue.length ? fe.outcome : operationOutcome('error', 'exception', fe.message)));
  };
}
