/**
 * The instance-level REST interactions of hl7.org/fhir/R4/http.html: create, read, vread, update,
 * patch and delete, with their version-aware headers.
 */
import fastJsonPatch, { type Operation } from 'fast-json-patch';
import { FhirError, badRequest, preconditionFailed } from '../fhir/errors.js';
import { isValidId } from '../fhir/ids.js';
import { parseHttpDate } from '../fhir/datetime.js';
import type { ResourceStore, StoredVersion } from '../store/resource-store.js';
import { type FhirRequest, type FhirResponse, versionLocation } from './interaction.js';
import { assertValid, prepareForWrite, requireResourceBody } from './resource-input.js';
import { binaryFromRaw } from './binary.js';
import { existingForCreate } from './conditional.js';
import { requireCurrentWritable, requirePermission, requireReadable, requireWritable } from '../auth/guard.js';
import { contextOf } from '../search/execute/filters.js';

const MAX_PATCH_RETRIES = 10;

export function requireId(type: string, id: string): string {
  if (!isValidId(id)) throw badRequest(`'${id.slice(0, 80)}' is not a valid FHIR id (1-64 characters of A-Z, a-z, 0-9, '-' and '.')`, [`${type}.id`]);
  return id;
}

/** W/"3", "3" or 3 -> "3"; anything else is a 400. */
export function parseETag(header: string | undefined, name: string): string | undefined {
  if (header === undefined) return undefined;
  const m = /^\s*(?:W\/)?"?([^"\s]+)"?\s*$/.exec(header);
  if (!m) throw badRequest(`${name} must be an ETag such as W/"2", not '${header}'`);
  return m[1];
}

function resourceFromRequest(req: FhirRequest, type: string): fhir4.Resource {
  if (type === 'Binary' && req.raw) return binaryFromRaw(req.raw, req.headers.securityContext);
  return requireResourceBody(req.body, type);
}

export async function createResource(store: ResourceStore, req: FhirRequest, type: string, baseUrl = ''): Promise<FhirResponse> {
  requirePermission(req, type, 'c');
  const resource = prepareForWrite(resourceFromRequest(req, type), undefined);
  assertValid(resource);
  await requireWritable(contextOf(store, baseUrl, req), resource, 'c');
  if (req.headers.ifNoneExist !== undefined) {
    const existing = await existingForCreate(contextOf(store, baseUrl, req), type, req.headers.ifNoneExist);
    if (existing) return existing;
  }
  const version = await store.create(type, resource, { session: req.session, id: req.assignedId });
  return { status: 201, resource: version.resource, version, location: versionLocation(version) };
}

export async function readResource(store: ResourceStore, req: FhirRequest, type: string, id: string, baseUrl = ''): Promise<FhirResponse> {
  requireId(type, id);
  requirePermission(req, type, 'r');
  const version = await store.read(type, id, req.session);
  await requireReadable(contextOf(store, baseUrl, req), version, `${type}/${id}`, true);
  if (notModified(req, version)) return { status: 304, version };
  return { status: 200, resource: version.resource, version, binary: type === 'Binary' ? (version.resource as fhir4.Binary) : undefined };
}

export async function vreadResource(store: ResourceStore, req: FhirRequest, type: string, id: string, vid: string, baseUrl = ''): Promise<FhirResponse> {
  requireId(type, id);
  requirePermission(req, type, 'r');
  const version = await store.vread(type, id, vid, req.session);
  await requireReadable(contextOf(store, baseUrl, req), version, `${type}/${id}/_history/${vid}`);
  if (notModified(req, version)) return { status: 304, version };
  return { status: 200, resource: version.resource, version, binary: type === 'Binary' ? (version.resource as fhir4.Binary) : undefined };
}

function notModified(req: FhirRequest, version: StoredVersion): boolean {
  const inm = req.headers.ifNoneMatch;
  if (inm !== undefined) {
    const tags = inm.split(',').map((t) => t.trim());
    return tags.includes('*') || tags.some((t) => t.replace(/^W\//, '').replace(/"/g, '') === version.versionId);
  }
  const ims = req.headers.ifModifiedSince;
  if (ims !== undefined) {
    const since = parseHttpDate(ims);
    if (since === undefined) return false; // an invalid date is ignored (RFC 7232 3.3)
    return Math.floor(Date.parse(version.lastUpdated) / 1000) * 1000 <= since;
  }
  return false;
}

export async function updateResource(store: ResourceStore, req: FhirRequest, type: string, id: string, conditional = false, baseUrl = ''): Promise<FhirResponse> {
  requireId(type, id);
  requirePermission(req, type, 'u');
  const body = resourceFromRequest(req, type);
  const bodyId = (type === 'Binary' && req.raw) || (conditional && body.id === undefined) ? id : body.id;
  if (bodyId === undefined) throw badRequest(`The ${type} in the body has no id; it must be '${id}' as in the URL`, [`${type}.id`]);
  if (bodyId !== id) throw badRequest(`The id in the body ('${String(bodyId)}') does not match the id in the URL ('${id}')`, [`${type}.id`]);
  const resource = prepareForWrite(body, id);
  assertValid(resource);
  await requireWritable(contextOf(store, baseUrl, req), resource, 'u');
  await requireCurrentWritable(contextOf(store, baseUrl, req), type, id, 'u');
  const ifMatch = parseETag(req.headers.ifMatch, 'If-Match');
  const { version, created } = await store.update(type, id, resource, { session: req.session, ifMatch });
  return { status: created ? 201 : 200, resource: version.resource, version, location: versionLocation(version) };
}

export async function patchResource(store: ResourceStore, req: FhirRequest, type: string, id: string, baseUrl = ''): Promise<FhirResponse> {
  requireId(type, id);
  requirePermission(req, type, 'u');
  const ops = req.body;
  if (!Array.isArray(ops)) throw badRequest('A JSON Patch document must be a JSON array of operations (RFC 6902)');
  const opError = fastJsonPatch.validate(ops as Operation[]);
  if (opError) throw badRequest(`Invalid JSON Patch operation at index ${opError.index}: ${opError.message.split('\n')[0]}`);
  const ifMatch = parseETag(req.headers.ifMatch, 'If-Match');
  for (let attempt = 0; ; attempt++) {
    const current = await store.read(type, id, req.session);
    await requireCurrentWritable(contextOf(store, baseUrl, req), type, id, 'u');
    if (ifMatch !== undefined && ifMatch !== current.versionId) {
      throw preconditionFailed(`If-Match W/"${ifMatch}" does not match the current version W/"${current.versionId}" of ${type}/${id}`);
    }
    const patched = applyPatch(current.resource!, ops as Operation[]);
    if (patched.resourceType !== type) throw new FhirError(422, 'processing', 'A patch must not change resourceType');
    if (patched.id !== id) throw new FhirError(422, 'processing', 'A patch must not change the id');
    const resource = prepareForWrite(patched, id);
    assertValid(resource);
    await requireWritable(contextOf(store, baseUrl, req), resource, 'u');
    try {
      const { version } = await store.update(type, id, resource, { session: req.session, ifMatch: current.versionId, method: 'PATCH' });
      return { status: 200, resource: version.resource, version, location: versionLocation(version) };
    } catch (err) {
      // Lost a race with another writer: re-read and patch again, unless the client pinned a version.
      if (!(err instanceof FhirError && err.status === 412) || ifMatch !== undefined || req.session || attempt >= MAX_PATCH_RETRIES) throw err;
    }
  }
}

function applyPatch(resource: fhir4.Resource, ops: Operation[]): fhir4.Resource {
  try {
    const doc = structuredClone(resource);
    return fastJsonPatch.applyPatch(doc, ops, true, true).newDocument as fhir4.Resource;
  } catch (err) {
    const e = err as { name?: string; message?: string; index?: number };
    if (e.name === 'TEST_OPERATION_FAILED' || /test operation failed/i.test(e.message ?? '')) {
      throw new FhirError(422, 'processing', `JSON Patch test operation failed${e.index !== undefined ? ` at index ${e.index}` : ''}`);
    }
    throw new FhirError(422, 'processing', `The JSON Patch cannot be applied: ${(e.message ?? String(err)).split('\n')[0]}`);
  }
}

export async function deleteResource(store: ResourceStore, req: FhirRequest, type: string, id: string, baseUrl = ''): Promise<FhirResponse> {
  requireId(type, id);
  requirePermission(req, type, 'd');
  await requireCurrentWritable(contextOf(store, baseUrl, req), type, id, 'd');
  const ifMatch = parseETag(req.headers.ifMatch, 'If-Match');
  const version = await store.delete(type, id, { session: req.session, ifMatch });
  const outcome: fhir4.OperationOutcome = {
    resourceType: 'OperationOutcome',
    issue: [{
      severity: 'information',
      code: 'informational',
      diagnostics: version ? `${type}/${id} is deleted (version ${version.versionId})` : `${type}/${id} did not exist; nothing to delete`,
    }],
  };
  return { status: 200, resource: outcome, version: version ?? undefined };
}

