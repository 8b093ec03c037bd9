/**
 * batch and transaction Bundles posted to the base (hl7.org/fhir/R4/http.html#transaction).
 * A transaction resolves urn:uuid full URLs, processes DELETE, POST, PUT/PATCH, GET in that order
 * inside one database transaction, and fails whole at the first failing entry. A batch processes
 * each entry on its own and reports an outcome per entry.
 */
import { newResourceId } from '../store/ids.js';
import { STATUS_CODES } from 'node:http';
import { FhirError, badRequest, notSupported } from '../fhir/errors.js';
import { isResourceType } from '../fhir/definitions.js';
import { rewriteReferences, visitReferences } from '../fhir/references.js';
import { conditionalMatches, noMatch, parseCondition, tooMany, type ConditionalContext } from './conditional.js';
import type { ResourceStore } from '../store/resource-store.js';
import { parseQuery, type FhirRequest, type FhirResponse, type QueryPairs } from './interaction.js';
import type { Router } from './router.js';
import type { ReturnPreference } from '../fhir/prefer.js';
import { toFhirError } from '../fhir/error-handler.js';

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
  /** a conditional delete that matched nothing: answered with this outcome */
  skip?: fhir4.OperationOutcome;
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
  const query = q >= 0 ? parseQuery(rel.slice(q + 1)) : [];
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

function entryRequest(p: PlannedEntry, resource: unknown, session: FhirRequest['session'], access: FhirRequest['access']): FhirRequest {
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
    access,
  };
}

async function transaction(deps: BundleDeps, req: FhirRequest, planned: PlannedEntry[], prefer: ReturnPreference): Promise<FhirResponse> {
  if (!deps.store.db.supportsTransactions) {
    throw notSupported('Transaction Bundles need MongoDB running as a replica set (a single-node replica set is enough); this server is connected to a standalone mongod. Batch Bundles work.');
  }
  const route = deps.route();
  const responses = await deps.store.transaction(async (session) => {
    const ctx = { store: deps.store, baseUrl: deps.baseUrl, session, access: req.access };
    // Conditional urls and If-None-Exist are resolved first, against the state before the bundle.
    const existing = new Map<number, string>();
    for (const p of planned) {
      try {
        const found = await resolveConditionalEntry(ctx, p);
        if (found !== undefined) existing.set(p.index, found);
      } catch (err) {
        throw entryFailure(err, p);
      }
    }
    const refMap = identityMap(planned, existing);
    checkOverlaps(planned);
    const resources: unknown[] = [];
    for (const p of planned) {
      if (p.entry.resource === undefined) {
        resources.push(undefined);
        continue;
      }
      const copy = structuredClone(p.entry.resource);
      if (copy && typeof copy === 'object' && typeof copy.resourceType === 'string') {
        rewriteReferences(copy, refMap);
        try {
          await resolveConditionalReferences(ctx, copy);
        } catch (err) {
          throw entryFailure(err, p);
        }
      }
      resources.push(copy);
    }
    const order = [...planned].sort((a, b) => ORDER[a.method] - ORDER[b.method] || a.index - b.index);
    const out: FhirResponse[] = new Array(planned.length);
    for (const p of order) {
      try {
        const match = existing.get(p.index);
        if (p.method === 'POST' && match !== undefined) {
          const version = await deps.store.read(p.segments[0], match, session);
          out[p.index] = { status: 200, resource: version.resource, version };
        } else if (p.skip) {
          out[p.index] = { status: 200, resource: p.skip };
        } else {
          out[p.index] = await route(entryRequest(p, resources[p.index], session, req.access));
        }
      } catch (err) {
        throw entryFailure(err, p);
      }
    }
    return out;
  });
  return { status: 200, resource: responseBundle('transaction-response', deps.baseUrl, planned, responses, prefer) };
}

/** Every fullUrl names one entry; urn:uuid/urn:oid ones (and POSTs) resolve to Type/id. */
function identityMap(planned: PlannedEntry[], existing: Map<number, string>): Map<string, string> {
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
      const match = existing.get(p.index);
      if (match === undefined) p.assignedId = newResourceId();
      if (fullUrl) refMap.set(fullUrl, `${type}/${match ?? p.assignedId}`);
    } else if (p.method === 'PUT' && p.segments.length === 2 && fullUrl && /^urn:(uuid|oid):/.test(fullUrl)) {
      refMap.set(fullUrl, `${type}/${id}`);
    }
  }
  return refMap;
}

/** Steps 1-3 (DELETE, POST, PUT/PATCH) must not touch the same resource twice. */
function checkOverlaps(planned: PlannedEntry[]): void {
  const identities = new Map<string, number>();
  for (const p of planned) {
    if (p.method === 'GET' || p.method === 'HEAD' || p.segments.length < 1 || p.skip) continue;
    const [type, id] = p.segments;
    const identity = p.method === 'POST' ? `${type}/${p.assignedId ?? p.index}` : id !== undefined ? `${type}/${id}` : undefined;
    if (identity === undefined) continue;
    const other = identities.get(identity);
    if (other !== undefined) {
      throw badRequest(`Bundle.entry[${p.index}] and Bundle.entry[${other}] both change ${identity}; a transaction may change a resource only once`, [`Bundle.entry[${p.index}]`]);
    }
    identities.set(identity, p.index);
  }
}

/**
 * A conditional PUT/PATCH/DELETE url becomes the matching resource's url; a POST with
 * ifNoneExist that matches returns the match's id (the entry then answers 200 with it).
 */
async function resolveConditionalEntry(ctx: ConditionalContext, p: PlannedEntry): Promise<string | undefined> {
  const [type] = p.segments;
  if (!isResourceType(type ?? '')) return undefined;
  if (p.method === 'POST' && p.segments.length === 1 && p.entry.request?.ifNoneExist) {
    const ids = await conditionalMatches(ctx, type, parseCondition(type, p.entry.request.ifNoneExist, 'ifNoneExist'), 'ifNoneExist');
    if (ids.length > 1) throw tooMany(type, 'ifNoneExist');
    return ids[0];
  }
  if ((p.method === 'PUT' || p.method === 'PATCH' || p.method === 'DELETE') && p.segments.length === 1 && p.query.length) {
    const what = `Conditional ${p.method.toLowerCase()}`;
    const ids = await conditionalMatches(ctx, type, p.query, what);
    if (ids.length > 1) throw tooMany(type, what);
    let id = ids[0];
    if (id === undefined) {
      if (p.method === 'PATCH') throw noMatch(type, what);
      if (p.method === 'DELETE') {
        p.skip = { resourceType: 'OperationOutcome', issue: [{ severity: 'information', code: 'informational', diagnostics: `No ${type} matches; nothing to delete` }] };
        return undefined;
      }
      const bodyId = (p.entry.resource as { id?: unknown } | undefined)?.id;
      id = typeof bodyId === 'string' ? bodyId : newResourceId();
    }
    p.segments = [type, id];
    p.query = [];
    if (p.method === 'PUT' && p.entry.resource && (p.entry.resource as { id?: string }).id === undefined) {
      p.entry = { ...p.entry, resource: { ...p.entry.resource, id } as fhir4.Resource };
    }
  }
  return undefined;
}

/** References like "Patient?identifier=x|1" become the one match (0 or many fail the bundle). */
async function resolveConditionalReferences(ctx: ConditionalContext, resource: unknown): Promise<void> {
  const holders: Array<{ reference: string }> = [];
  visitReferences(resource, (h) => {
    if (/^[A-Z][A-Za-z]+\?/.test(h.reference)) holders.push(h);
  });
  for (const h of holders) {
    const q = h.reference.indexOf('?');
    const type = h.reference.slice(0, q);
    if (!isResourceType(type)) throw badRequest(`Conditional reference '${h.reference}': ${type} is not a resource type`);
    const ids = await conditionalMatches(ctx, type, parseCondition(type, h.reference.slice(q + 1), 'Conditional reference'), `Conditional reference '${h.reference}'`);
    if (ids.length === 0) throw new FhirError(412, 'not-found', `Conditional reference '${h.reference}' matches no ${type}`);
    if (ids.length > 1) throw tooMany(type, `Conditional reference '${h.reference}'`);
    h.reference = `${type}/${ids[0]}`;
  }
}

function entryFailure(thrown: unknown, p: PlannedEntry): FhirError {
  const label = `Bundle.entry[${p.index}]${p.entry.fullUrl ? ` (${p.entry.fullUrl})` : ''} ${p.method} ${p.entry.request?.url}`;
  const err = toFhirError(thrown, 0);
  if (!(thrown instanceof FhirError) && err.status === 500) return new FhirError(500, 'exception', `${label} failed: ${(thrown as Error)?.message ?? String(thrown)}`);
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
      responses.push(await route(entryRequest(p, p.entry.resource, undefined, req.access)));
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
