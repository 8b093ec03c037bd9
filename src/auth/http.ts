/**
 * Request plumbing shared by the auth routes (OAuth endpoints, authorize pages, launch, accounts):
 * the body parsers (64 kB, on these routes only), what a body-parser failure means (each part
 * answers it in its own format: OAuth JSON, OperationOutcome, HTML page), and the RFC 6749 §3.1
 * rule for single-valued parameters.
 */
import express from 'express';

export const BODY_LIMIT = '64kb';

/** application/json and any application/*+json (application/fhir+json). */
export const jsonBody = express.json({ limit: BODY_LIMIT, type: ['application/json', 'application/*+json'] });
/** application/x-www-form-urlencoded, flat (no nested keys). */
export const formBody = express.urlencoded({ extended: false, limit: BODY_LIMIT, parameterLimit: 200 });

export interface BodyProblem {
  status: 400 | 413 | 415;
  message: string;
}

/** What went wrong reading the body, when `err` is a body parser's error; undefined for anything else. */
export function bodyProblem(err: unknown): BodyProblem | undefined {
  const type = (err as { type?: unknown } | null)?.type;
  switch (type) {
    case 'entity.too.large':
      return { status: 413, message: `The request body is larger than ${BODY_LIMIT}` };
    case 'parameters.too.many':
      return { status: 413, message: 'The request body has too many parameters' };
    case 'entity.parse.failed':
      return { status: 400, message: 'The request body is not valid (JSON or form syntax)' };
    case 'charset.unsupported':
    case 'encoding.unsupported':
      return { status: 415, message: 'Unsupported body encoding or charset' };
    case 'entity.verify.failed':
    case 'request.aborted':
    case 'request.size.invalid':
    case 'stream.encoding.set':
    case 'stream.not.readable':
      return { status: 400, message: 'The request body could not be read' };
    default:
      return undefined;
  }
}

export type Params = Record<string, unknown>;

/**
 * One parameter of a query or form (RFC 6749 §3.1): a parameter sent without a value counts as
 * omitted (`value` undefined); sent more than once with a value (or not as text) it is `repeated`.
 */
export function singleParam(params: Params, name: string): { value?: string; repeated?: true } {
  const v = params[name];
  if (v === undefined || v === '') return {};
  if (typeof v === 'string') return { value: v };
  if (Array.isArray(v) && v.every((x) => typeof x === 'string')) {
    const given = v.filter((x) => x !== '');
    return given.length > 1 ? { repeated: true } : given.length === 1 ? { value: given[0] } : {};
  }
  return { repeated: true };
}
