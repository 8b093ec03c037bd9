/**
 * The express side of the FHIR API: turns an HTTP request into a FhirRequest (path, query, headers,
 * body by content type), passes the access decision, dispatches it, and writes the FhirResponse
 * (ETag, Last-Modified, Location, Prefer, _summary/_elements, _pretty, Binary bytes).
 */
import express, { type Request, type Response, type NextFunction } from 'express';
import { FhirError, badRequest } from './errors.js';
import { FHIR_JSON, bodyKind, mediaType, negotiateResponse, requireAcceptable, type ResponseFormat } from './negotiation.js';
import { parsePrefer } from './prefer.js';
import { applyElements, applySummary, parseElements, parseSummary } from './subsetting.js';
import { binaryBytes } from '../resources/binary.js';
import { parseQuery, queryValue, type FhirRequest, type FhirResponse, type QueryPairs } from '../resources/interaction.js';
import type { Router } from '../resources/router.js';
import { UNCHECKED_FULL_ACCESS, accessContext, type AccessContext } from '../auth/access.js';
import type { AccessTokens } from '../auth/access-token.js';

export interface FhirHttpDeps {
  route: Router;
  baseUrl: string;
  maxBody: number;
  tokens: AccessTokens;
  /** benchmarks only: skip token checks (every request has full access) */
  uncheckedAccess?: boolean;
  /** told of every request refused with 401 or 403 (src/auth writes the AuditEvent) */
  onRefused?(refusal: { status: number; method: string; path: string; reason: string; subject?: string; clientId?: string; address?: string }): void;
}

const BODY_METHODS = new Set(['POST', 'PUT', 'PATCH']);

/** One express handler (not a Router: a request pays for no extra routing layer). */
export function fhirHttpHandler(deps: FhirHttpDeps): express.RequestHandler {
  const raw = express.raw({ type: () => true, limit: deps.maxBody });
  const readRaw = (req: Request, res: Response) =>
    new Promise<void>((resolve, reject) => raw(req, res, (err?: unknown) => (err ? reject(err) : resolve())));
  return async (req: Request, res: Response, next: NextFunction) => {
    let access: AccessContext | undefined;
    try {
      // Who asks is known before anything else is read: an anonymous or forged request costs no body parsing.
      access = deps.uncheckedAccess ? UNCHECKED_FULL_ACCESS : await accessContext(deps.tokens, req.get('authorization'));
      if (BODY_METHODS.has(req.method)) await readRaw(req, res);
      const query = queryPairs(req.originalUrl);
      const format = negotiateResponse(queryValue(query, '_format'), req.get('accept'));
      const segments = pathSegments(req.path);
      const binaryRead = segments[0] === 'Binary' && segments.length >= 2 && (req.method === 'GET' || req.method === 'HEAD');
      if (!binaryRead) requireAcceptable(format, req.get('accept'));
      const pretty = queryValue(query, '_pretty');
      if (pretty !== undefined && pretty !== 'true' && pretty !== 'false') throw badRequest(`_pretty must be true or false, not '${pretty}'`, ['_pretty']);
      const summary = parseSummary(queryValue(query, '_summary'));
      const elements = parseElements(queryValue(query, '_elements'));
      const prefer = parsePrefer(req.get('prefer'));
      const fhirReq: FhirRequest = {
        method: req.method,
        segments,
        query,
        headers: {
          ifMatch: req.get('if-match'),
          ifNoneMatch: req.get('if-none-match'),
          ifModifiedSince: req.get('if-modified-since'),
          ifNoneExist: req.get('if-none-exist'),
          contentType: req.get('content-type'),
          securityContext: req.get('x-security-context'),
        },
        prefer: prefer.return,
        handling: prefer.handling,
        access,
      };
      readBody(req, fhirReq, segments);
      const response = await deps.route(fhirReq);
      writeResponse(res, req, response, { format, pretty: pretty === 'true', summary, elements, prefer: prefer.return, baseUrl: deps.baseUrl });
    } catch (err) {
      if (err instanceof FhirError && (err.status === 401 || err.status === 403) && deps.onRefused) {
        const claims = access?.claims;
        deps.onRefused({ status: err.status, method: req.method, path: req.path, reason: err.message, subject: claims?.fhirUser ?? claims?.sub, clientId: claims?.client_id, address: req.ip });
      }
      next(err);
    }
  };
}

function queryPairs(url: string): QueryPairs {
  const q = url.indexOf('?');
  return q < 0 ? [] : parseQuery(url.slice(q + 1));
}

function pathSegments(path: string): string[] {
  try {
    return path.split('/').filter((s) => s !== '').map((s) => decodeURIComponent(s));
  } catch {
    throw badRequest('The request path is not validly percent-encoded');
  }
}

/** Deeper JSON than this is refused before anything walks it recursively. */
export const MAX_JSON_DEPTH = 100;

function jsonDepthExceeds(value: unknown, max: number): boolean {
  const stack: Array<[unknown, number]> = [[value, 1]];
  while (stack.length) {
    const [v, d] = stack.pop()!;
    if (d > max) return true;
    if (v && typeof v === 'object') for (const child of Object.values(v)) if (child && typeof child === 'object') stack.push([child, d + 1]);
  }
  return false;
}

/**
 * Reads the body by its content type. A body that cannot be read is not an error until an
 * interaction asks for it, so the path and method are checked first (405 before 415).
 */
function readBody(req: Request, fhirReq: FhirRequest, segments: string[]): void {
  try {
    parseBody(req, fhirReq, segments);
  } catch (err) {
    Object.defineProperty(fhirReq, 'body', { enumerable: true, get: () => { throw err; } });
    Object.defineProperty(fhirReq, 'raw', { enumerable: true, get: () => { throw err; } });
  }
}

function parseBody(req: Request, fhirReq: FhirRequest, segments: string[]): void {
  if (!BODY_METHODS.has(req.method)) return;
  const buf = Buffer.isBuffer(req.body) ? (req.body as Buffer) : Buffer.alloc(0);
  const contentType = req.get('content-type');
  if (buf.length === 0 && contentType === undefined) return;
  const binaryWrite = segments[0] === 'Binary' && segments.length <= 2 && req.method !== 'PATCH';
  const kind = bodyKind(contentType, binaryWrite);
  if (kind === 'raw') {
    fhirReq.raw = { contentType: mediaType(contentType) ?? 'application/octet-stream', data: buf };
    return;
  }
  if (kind === 'form') {
    fhirReq.form = parseQuery(buf.toString('utf8'));
    return;
  }
  if (req.method === 'PATCH' && kind !== 'json-patch') {
    throw new FhirError(415, 'not-supported', 'PATCH takes a JSON Patch document (Content-Type: application/json-patch+json)');
  }
  if (req.method !== 'PATCH' && kind === 'json-patch') {
    throw new FhirError(415, 'not-supported', `application/json-patch+json is only for PATCH, not ${req.method}`);
  }
  if (buf.length === 0) return;
  const text = buf.toString('utf8');
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw badRequest(`The request body is not valid JSON: ${(err as Error).message}`);
  }
  if (jsonDepthExceeds(parsed, MAX_JSON_DEPTH)) throw badRequest(`The request body is nested deeper than ${MAX_JSON_DEPTH} levels`);
  fhirReq.body = parsed;
}

interface WriteOptions {
  format: ResponseFormat;
  pretty: boolean;
  summary: ReturnType<typeof parseSummary>;
  elements: string[] | undefined;
  prefer: FhirRequest['prefer'];
  baseUrl: string;
}

/** Writes status, headers and body in one go (one writeHead, one end: one socket write). */
function writeResponse(res: Response, req: Request, r: FhirResponse, o: WriteOptions): void {
  const headers: Record<string, string> = {};
  if (r.version) {
    headers.ETag = `W/"${r.version.versionId}"`;
    headers['Last-Modified'] = httpDate(r.version.lastUpdated);
  }
  if (r.location) headers[r.status === 201 ? 'Location' : 'Content-Location'] = `${o.baseUrl}/${r.location}`;
  if (r.headers) Object.assign(headers, r.headers);
  const send = (body?: string | Buffer): void => {
    if (body !== undefined) headers['Content-Length'] = String(Buffer.byteLength(body));
    res.writeHead(r.status, headers);
    res.end(req.method === 'HEAD' ? undefined : body);
  };
  if (r.status === 304 || r.resource === undefined) return send();
  if (r.binary && o.format.rawAllowed && r.binary.contentType) {
    headers['Content-Type'] = r.binary.contentType;
    if (r.binary.securityContext?.reference) headers['X-Security-Context'] = r.binary.securityContext.reference;
    return send(binaryBytes(r.binary));
  }
  const isWrite = req.method === 'POST' || req.method === 'PUT' || req.method === 'PATCH';
  let body: fhir4.Resource | undefined = r.resource;
  if (isWrite && r.resource.resourceType !== 'Bundle' && r.resource.resourceType !== 'OperationOutcome' && r.status < 300) {
    if (o.prefer === 'minimal') body = undefined;
    else if (o.prefer === 'OperationOutcome') {
      body = {
        resourceType: 'OperationOutcome',
        issue: [{ severity: 'information', code: 'informational', diagnostics: `${r.status === 201 ? 'Created' : 'Updated'} ${r.location ?? ''}`.trim() }],
      } as fhir4.OperationOutcome;
    }
  }
  if (body === undefined) return send();
  if (o.summary || o.elements) body = subsetResource(body, o);
  headers['Content-Type'] = `${o.format.type || FHIR_JSON}; charset=utf-8`;
  send(o.pretty ? JSON.stringify(body, null, 2) : JSON.stringify(body));
}

const httpDates = new Map<string, string>();
/** lastUpdated (ISO) -> RFC 7231 date, cached: many responses share a few recent instants. */
function httpDate(iso: string): string {
  let d = httpDates.get(iso);
  if (d === undefined) {
    if (httpDates.size > 10_000) httpDates.clear();
    d = new Date(iso).toUTCString();
    httpDates.set(iso, d);
  }
  return d;
}

function subsetResource(resource: fhir4.Resource, o: WriteOptions): fhir4.Resource {
  const one = (x: fhir4.Resource) => applyElements(applySummary(x, o.summary), o.elements);
  if (resource.resourceType === 'OperationOutcome') return resource;
  const bundleType = resource.resourceType === 'Bundle' ? (resource as fhir4.Bundle).type : undefined;
  if (bundleType === 'history' || bundleType === 'searchset') {
    const b = resource as fhir4.Bundle;
    const keep = (e: fhir4.BundleEntry) => e.resource && e.search?.mode !== 'outcome';
    return { ...b, entry: b.entry?.map((e) => (keep(e) ? { ...e, resource: one(e.resource!) } : e)) } as fhir4.Bundle;
  }
  return one(resource);
}
