/**
 * batch and transaction Bundles posted to the base (hl7.org/fhir/R4/http.html#transaction).
 * A transaction resolves urn:uuid full URLs, processes DELETE, POST, PUT/PATCH, GET in that order
 * inside one database transaction, and fails whole at the first failing entry. A batch processes
 * each entry on its own and reports an outcome per entry.
 */
import crypto from 'node:crypto';
import { STATUS_CODES } from 'node:http';
import { FhirError, badRequest, notSupported } from '../fhir/errors.js';
import { isResourceType } from '../fhir/definitions.js';
import { rewriteReferences } from '../fhir/references.js';
import type { ResourceStore } from '../store/resource-store.js';
import type { FhirRequest, FhirResponse, QueryPairs } from './interaction.js';
import type { Router } from './router.js';
import type { ReturnPreference } from '../fhir/prefer.js';

const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'] as const;
type Method = (typeof METHODS)[number];
const ORDER: Record<Method, number> = { DELETE: 0, POST: 1, PUT: 2, PATCH: 2, GET: 3, HEAD: 3 };

interface PlannedEntry {
  index: number;
  entry: fhir4.BundleEntry;
  method: Method;
  segments: string[];
  query: QueryPairs;
  assignedId?: string;
}

export interface BundleDeps {
  store: ResourceStore;
  baseUrl: string;
  route: () => Router;
}

export function createBundleProcessor(deps: BundleDeps) {
  return async function processBundle(req: FhirRequest): Promise<FhirResponse> {
    const prefer = req.prefer ?? 'representation';
    const bundle = req.body as fhir4.Bundle | undefined;
    if (!bundle || typeof bundle !== 'object' || Array.isArray(bundle) || bundle.resourceType !== 'Bundle') {
      throw badRequest('POST to the base expects a Bundle of type batch or transaction');
    }
    if (bundle.type !== 'batch' && bundle.type !== 'transaction') {
      throw badRequest(`A Bundle posted to the base must be of type batch or transaction, not '${String(bundle.type)}'`, ['Bundle.type']);
    }
    if (bundle.entry !== undefined && !Array.isArray(bundle.entry)) throw badRequest('Bundle.entry must be an array', ['Bundle.entry']);
    const planned = (bundle.entry ?? []).map((entry, index) => plan(deps.baseUrl, entry, index));
    return bundle.type === 'transaction' ? transaction(deps, req, planned, prefer) : batch(deps, req, planned, prefer);
  };
}

function plan(baseUrl: string, entry: fhir4.BundleEntry, index: number): PlannedEntry {
  const where = `Bundle.entry[${index}]`;
  if (!entry || typeof entry !== 'object') throw badRequest(`${where} must be an object`, [where]);
  const request = entry.request;
  if (!request || typeof request !== 'object') throw badRequest(`${where} has no request (method and url)`, [`${where}.request`]);
  const method = String(request.method ?? '').toUpperCase() as Method;
  if (!METHODS.includes(method)) throw badRequest(`${where}.request.method '${String(request.method)}' is not one of ${METHODS.join(', ')}`, [`${where}.request.method`]);
  if (typeof request.url !== 'string' || request.url === '') throw badRequest(`${where}.request.url is missing`, [`${where}.request.url`]);
  const { segments, query } = parseEntryUrl(baseUrl, request.url, `${where}.request.url`);
  if ((method === 'POST' || method === 'PUT') && segments.length <= 2 && isResourceType(segments[0] ?? '')) {
    if (entry.resource === undefined) throw badRequest(`${where} (${method} ${request.url}) has no resource`, [`${where}.resource`]);
  }
  return { index, entry, method, segments, query };
}

export function parseEntryUrl(baseUrl: string, url: string, where: string): { segments: string[]; query: QueryPairs } {
  let rel = url;
  if (/^[a-z][a-z0-9+.-]*:/i.test(url)) {
    if (!url.startsWith(baseUrl + '/') && url !== baseUrl) throw badRequest(`${where} '${url}' is not on this server's base ${baseUrl}`, [where]);
    rel = url.slice(baseUrl.length);
  }
  rel = rel.replace(/^\/+/, '');
  const q = rel.indexOf('?');
  const pathPart = q >= 0 ? rel.slice(0, q) : rel;
  const query: Array<[string, string]> = [];
  if (q >= 0) for (const [k, v] of new URLSearchParams(rel.slice(q + 1))) query.push([k, v]);
  let segments: string[];
  try {
    segments = pathPart === '' ? [] : pathPart.split('/').map((s) => decodeURIComponent(s));
  } catch {
    throw badRequest(`${where} '${url}' is not a valid URL`, [where]);
  }
  return { segments, query };
}

/** A PATCH entry carries its JSON Patch as a Binary (http.html#patch). */
function patchBody(p: PlannedEntry, resource: unknown): unknown {
  const binary = resource as fhir4.Binary | undefined;
  if (binary?.resourceType !== 'Binary' || binary.contentType?.split(';')[0].trim() !== 'application/json-patch+json') {
    throw new FhirError(415, 'not-supported', `Bundle.entry[${p.index}]: a PATCH entry must carry its JSON Patch as a Binary with contentType application/json-patch+json`);
  }
  try {
    return JSON.parse(Buffer.from(binary.data ?? '', 'base64').toString('utf8'));
  } catch {
    throw badRequest(`Bundle.entry[${p.index}]: the Binary's data is not a JSON Patch document`, [`Bundle.entry[${p.index}].resource.data`]);
  }
}

function entryRequest(p: PlannedEntry, resource: unknown, session: FhirRequest['session']): FhirRequest {
  const r = p.entry.request!;
  if (p.method === 'PATCH') resource = patchBody(p, resource);
  return {
    method: p.method,
    segments: p.segments,
    query: p.query,
    headers: {
      ifMatch: r.ifMatch,
      ifNoneMatch: r.ifNoneMatch,
      ifModifiedSince: r.ifModifiedSince,
      ifNoneExist: r.ifNoneExist,
      contentType: p.method === 'PATCH' ? 'application/json-patch+json' : 'application/fhir+json',
    },
    body: resource,
    session,
    assignedId: p.assignedId,
  };
}

async function transaction(deps: BundleDeps, req: FhirRequest, planned: PlannedEntry[], prefer: ReturnPreference): Promise<FhirResponse> {
  if (!deps.store.db.supportsTransactions) {
    throw notSupported('Transaction Bundles need MongoDB running as a replica set (a single-node replica set is enough); this server is connected to a standalone mongod. Batch Bundles work.');
  }
  // Identities: every fullUrl names one entry; urn:uuid/urn:oid ones are resolved to Type/id.
  const refMap = new Map<string, string>();
  const seen = new Set<string>();
  for (const p of planned) {
    const fullUrl = p.entry.fullUrl;
    if (fullUrl !== undefined) {
      if (seen.has(fullUrl)) throw badRequest(`Bundle.entry[${p.index}]: fullUrl '${fullUrl}' appears more than once`, [`Bundle.entry[${p.index}].fullUrl`]);
      seen.add(fullUrl);
    }
    const [type, id] = p.segments;
    if (p.method === 'POST' && p.segments.length === 1 && isResourceType(type)) {
      p.assignedId = crypto.randomUUID();
      if (fullUrl) refMap.set(fullUrl, `${type}/${p.assignedId}`);
    } else if (p.method === 'PUT' && p.segments.length === 2 && fullUrl && /^urn:(uuid|oid):/.test(fullUrl)) {
      refMap.set(fullUrl, `${type}/${id}`);
    }
  }
  // Steps 1-3 (DELETE, POST, PUT/PATCH) must not touch the same resource twice.
  const identities = new Map<string, number>();
  for (const p of planned) {
    if (p.method === 'GET' || p.method === 'HEAD' || p.segments.length < 1) continue;
    const [type, id] = p.segments;
    const identity = p.method === 'POST' ? `${type}/${p.assignedId ?? p.index}` : id !== undefined ? `${type}/${id}` : undefined;
    if (identity === undefined) continue;
    const other = identities.get(identity);
    if (other !== undefined) {
      throw badRequest(`Bundle.entry[${p.index}] and Bundle.entry[${other}] both change ${identity}; a transaction may change a resource only once`, [`Bundle.entry[${p.index}]`]);
    }
    identities.set(identity, p.index);
  }
  const resources = planned.map((p) => {
    if (p.entry.resource === undefined) return undefined;
    const copy = structuredClone(p.entry.resource);
    if (copy && typeof copy === 'object' && typeof copy.resourceType === 'string') rewriteReferences(copy, refMap);
    return copy;
  });
  const order = [...planned].sort((a, b) => ORDER[a.method] - ORDER[b.method] || a.index - b.index);
  const route = deps.route();
  const responses = await deps.store.transaction(async (session) => {
    const out: FhirResponse[] = new Array(planned.length);
    for (const p of order) {
      try {
        out[p.index] = await route(entryRequest(p, resources[p.index], session));
      } catch (err) {
        throw entryFailure(err, p);
      }
    }
    return out;
  });
  return { status: 200, resource: responseBundle('transaction-response', deps.baseUrl, planned, responses, prefer) };
}

function entryFailure(err: unknown, p: PlannedEntry): FhirError {
  const label = `Bundle.entry[${p.index}]${p.entry.fullUrl ? ` (${p.entry.fullUrl})` : ''} ${p.method} ${p.entry.request?.url}`;
  if (!(err instanceof FhirError)) return new FhirError(500, 'exception', `${label} failed: ${(err as Error)?.message ?? String(err)}`);
  const issues = err.outcome.issue.map((i) => ({
    ...i,
    diagnostics: `${label}: ${i.diagnostics ?? ''}`,
    expression: [`Bundle.entry[${p.index}]`, ...(i.expression ?? []).map((e) => `Bundle.entry[${p.index}].resource.${e.replace(/^[A-Z][A-Za-z]*\./, '')}`)],
  }));
  return new FhirError(err.status, issues[0]?.code ?? 'processing', issues[0]?.diagnostics ?? label, { issues });
}

async function batch(deps: BundleDeps, req: FhirRequest, planned: PlannedEntry[], prefer: ReturnPreference): Promise<FhirResponse> {
  const route = deps.route();
  const responses: FhirResponse[] = [];
  for (const p of planned) {
    try {
      responses.push(await route(entryRequest(p, p.entry.resource, undefined)));
    } catch (err) {
      if (!(err instanceof FhirError)) throw err;
      responses.push({ status: err.status, resource: err.outcome });
    }
  }
  return { status: 200, resource: responseBundle('batch-response', deps.baseUrl, planned, responses, prefer) };
}

function responseBundle(
  type: 'batch-response' | 'transaction-response',
  baseUrl: string,
  planned: PlannedEntry[],
  responses: FhirResponse[],
  prefer: ReturnPreference,
): fhir4.Bundle {
  const entry = planned.map((p, i): fhir4.BundleEntry => {
    const r = responses[i];
    const response: fhir4.BundleEntryResponse = { status: `${r.status} ${STATUS_CODES[r.status] ?? ''}`.trim() };
    if (r.location) response.location = r.location;
    if (r.version) {
      response.etag = `W/"${r.version.versionId}"`;
      response.lastModified = r.version.lastUpdated;
    }
    const isOutcome = r.resource?.resourceType === 'OperationOutcome';
    const out: fhir4.BundleEntry = {};
    if (r.version && !r.version.deleted) out.fullUrl = `${baseUrl}/${r.version.type}/${r.version.id}`;
    if (isOutcome && (r.status >= 400 || prefer === 'OperationOutcome')) response.outcome = r.resource as fhir4.OperationOutcome;
    else if (r.resource && prefer === 'representation' && !isOutcome) out.resource = r.resource;
    else if (r.resource && p.method === 'GET') out.resource = r.resource;
    out.response = response;
    return out;
  });
  return { resourceType: 'Bundle', type, entry };
}
