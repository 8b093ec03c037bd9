/** history at instance, type and system level (hl7.org/fhir/R4/http.html#history). */
import { badRequest, notFound } from '../fhir/errors.js';
import { parseDateRange } from '../fhir/datetime.js';
import type { HistoryCursor, ResourceStore, StoredVersion } from '../store/resource-store.js';
import { type FhirRequest, type FhirResponse, queryValue, withQuery } from './interaction.js';
import { requireId } from './crud.js';
import { parseCount } from '../search/query/result.js';
import { requirePermission, visibleVersions } from '../auth/guard.js';
import { contextOf } from '../search/execute/filters.js';

export const DEFAULT_HISTORY_COUNT = 50;

function encodeCursor(c: HistoryCursor): string {
  return Buffer.from(JSON.stringify([c.ts, c.type, c.key])).toString('base64url');
}

function decodeCursor(text: string): HistoryCursor {
  try {
    const [ts, type, key] = JSON.parse(Buffer.from(text, 'base64url').toString('utf8')) as unknown[];
    if (typeof ts === 'number' && typeof type === 'string' && typeof key === 'string') return { ts, type, key };
  } catch {
    /* fall through */
  }
  throw badRequest('_cursor is not a cursor this server issued', ['_cursor']);
}

export async function history(store: ResourceStore, baseUrl: string, req: FhirRequest, type?: string, id?: string): Promise<FhirResponse> {
  if (id !== undefined && type) requireId(type, id);
  const letter = id !== undefined ? 'r' : 's';
  if (type) requirePermission(req, type, letter);
  const countText = queryValue(req.query, '_count');
  const count = countText === undefined ? DEFAULT_HISTORY_COUNT : parseCount('_count', countText);
  const sinceText = queryValue(req.query, '_since');
  const atText = queryValue(req.query, '_at');
  const since = sinceText === undefined ? undefined : parseDateRange(sinceText)?.start;
  if (sinceText !== undefined && since === undefined) throw badRequest(`_since must be an instant such as 2020-01-01T00:00:00Z, not '${sinceText}'`, ['_since']);
  const at = atText === undefined ? undefined : parseDateRange(atText);
  if (atText !== undefined && at === undefined) throw badRequest(`_at must be a date or dateTime, not '${atText}'`, ['_at']);
  const cursorText = queryValue(req.query, '_cursor');
  const before = cursorText === undefined ? undefined : decodeCursor(cursorText);

  if (type && id !== undefined) {
    // An instance that never existed has no history: 404.
    if (!(await store.readCurrent(type, id, req.session))) throw notFound(`${type}/${id} is not known`);
  }
  const page = count === 0 ? { versions: [] as StoredVersion[], next: undefined } : await store.history({ type, id, since, at, count, before }, req.session);

  const path = [type, id, '_history'].filter((s) => s !== undefined).join('/');
  const kept = req.query.filter(([k]) => k === '_since' || k === '_at');
  const link: fhir4.BundleLink[] = [{ relation: 'self', url: withQuery(`${baseUrl}/${path}`, req.query) }];
  if (page.next) {
    link.push({ relation: 'next', url: withQuery(`${baseUrl}/${path}`, [...kept, ['_count', String(count)], ['_cursor', encodeCursor(page.next)]]) });
  }
  const bundle: fhir4.Bundle = {
    resourceType: 'Bundle',
    type: 'history',
    link,
    entry: (await visibleVersions(contextOf(store, baseUrl, req), page.versions, letter)).map((v) => historyEntry(baseUrl, v)),
  };
  return { status: 200, resource: bundle };
}

export function historyEntry(baseUrl: string, v: StoredVersion): fhir4.BundleEntry {
  const entry: fhir4.BundleEntry = { fullUrl: `${baseUrl}/${v.type}/${v.id}` };
  if (v.resource) entry.resource = v.resource;
  entry.request = { method: v.method, url: v.method === 'POST' ? v.type : `${v.type}/${v.id}` };
  entry.response = {
    status: v.method === 'DELETE' ? '204 No Content' : v.method === 'POST' || v.versionId === '1' ? '201 Created' : '200 OK',
    etag: `W/"${v.versionId}"`,
    lastModified: v.lastUpdated,
  };
  return entry;
}
