/**
 * Shared helpers for the FHIR search HTTP tests (test/search/*.test.ts). Not a test file itself.
 * hl7.org/fhir/R4/search.html
 *
 * Queries are written in tests in human form (`family=josé&code=http://loinc.org|8480-6`) and
 * percent-encoded here (`enc`): each name and value through encodeURIComponent, split on `&` and
 * the first `=`. So a `\` escape in a value (search.html#escaping) is written as `\,` and sent as
 * `%5C%2C`, and `+` of a zone offset is sent as `%2B`.
 */
import assert from 'node:assert/strict';
import request from 'supertest';
import type { Response } from 'supertest';
import type { TestApp } from '../helpers/app.js';
import { BASE_URL, ORIGIN, FHIR_JSON, FHIR_JSON_RE, assertNoServerKeys, show, expectStatus } from '../rest/_util.js';

export { BASE_URL, ORIGIN, FHIR_JSON, show, expectStatus };

export type Json = any; // eslint-disable-line @typescript-eslint/no-explicit-any

/** Percent-encodes a human-written query string (see the file header). */
export function enc(query: string): string {
  if (query === '') return '';
  return query
    .split('&')
    .filter((p) => p !== '')
    .map((pair) => {
      const eq = pair.indexOf('=');
      if (eq < 0) return encodeURIComponent(pair);
      return `${encodeURIComponent(pair.slice(0, eq))}=${encodeURIComponent(pair.slice(eq + 1))}`;
    })
    .join('&');
}

/** `/fhir/<path>?<enc(query)>`; path is e.g. `Patient`, `Patient/p1/Observation` or `` (system). */
export function searchUrl(path: string, query = ''): string {
  const p = path === '' ? '/fhir' : `/fhir/${path}`;
  const q = enc(query);
  return q ? `${p}?${q}` : p;
}

export interface GetOptions {
  headers?: Record<string, string>;
}

/** GET a search (path + human query); returns the raw response, no assertion. */
export function get(t: TestApp, path: string, query = '', opts: GetOptions = {}) {
  let r = request(t.app).get(searchUrl(path, query)).set('Accept', FHIR_JSON);
  for (const [k, v] of Object.entries(opts.headers ?? {})) r = r.set(k, v);
  return r;
}

/** POST [base]/<path>/_search with a form body (human form, encoded here) and optional URL query. */
export function postSearch(t: TestApp, path: string, body: string, urlQuery = '', opts: GetOptions = {}) {
  const p = path === '' ? '/fhir/_search' : `/fhir/${path}/_search`;
  const q = enc(urlQuery);
  let r = request(t.app)
    .post(q ? `${p}?${q}` : p)
    .set('Accept', FHIR_JSON)
    .set('Content-Type', 'application/x-www-form-urlencoded');
  for (const [k, v] of Object.entries(opts.headers ?? {})) r = r.set(k, v);
  return r.send(enc(body));
}

/** The entries of a Bundle with this search.mode. */
export function entriesOf(bundle: Json, mode: 'match' | 'include' | 'outcome'): Json[] {
  return (bundle?.entry ?? []).filter((e: Json) => e?.search?.mode === mode);
}

export function linkOf(bundle: Json, relation: string): string | undefined {
  return (bundle?.link ?? []).find((l: Json) => l.relation === relation)?.url;
}

/** `Type/id` of a resource. */
export const key = (r: Json): string => `${r.resourceType}/${r.id}`;

/**
 * Asserts the shape every searchset Bundle must have (search.html#return, bundle.html):
 * type searchset, a self link on the public base, every entry with an absolute fullUrl equal to
 * base/Type/id, a resource and a search.mode, OperationOutcome only as mode outcome, no entry twice,
 * a non-negative integer total when present, no server-internal keys.
 */
export function assertSearchset(res: Response, what: string): Json {
  expectStatus(res, 200, what);
  const ct = res.headers['content-type'];
  assert.ok(ct && FHIR_JSON_RE.test(ct), `${what}: expected application/fhir+json, got ${ct}`);
  const b = res.body;
  assert.equal(b?.resourceType, 'Bundle', `${what}: not a Bundle: ${show(res)}`);
  assert.equal(b.type, 'searchset', `${what}: Bundle.type`);
  const self = linkOf(b, 'self');
  assert.ok(typeof self === 'string' && self.startsWith(BASE_URL), `${what}: self link missing or not on ${BASE_URL}: ${JSON.stringify(b.link)}`);
  if (b.total !== undefined) assert.ok(Number.isInteger(b.total) && b.total >= 0, `${what}: bad total ${b.total}`);
  const seen = new Set<string>();
  for (const e of b.entry ?? []) {
    assert.ok(e.resource && typeof e.resource === 'object', `${what}: entry without resource: ${JSON.stringify(e).slice(0, 300)}`);
    const mode = e.search?.mode;
    assert.ok(['match', 'include', 'outcome'].includes(mode), `${what}: entry search.mode ${JSON.stringify(mode)} (${key(e.resource)})`);
    if (mode === 'outcome' || e.resource.resourceType === 'OperationOutcome') {
      assert.equal(mode, 'outcome', `${what}: an OperationOutcome entry must have search.mode outcome`);
      assert.equal(e.resource.resourceType, 'OperationOutcome', `${what}: a search.mode outcome entry must hold an OperationOutcome`);
      continue;
    }
    assert.equal(e.fullUrl, `${BASE_URL}/${e.resource.resourceType}/${e.resource.id}`, `${what}: fullUrl of ${key(e.resource)}`);
    assert.ok(!seen.has(e.fullUrl), `${what}: ${e.fullUrl} appears twice in one page`);
    seen.add(e.fullUrl);
  }
  assertNoServerKeys(b);
  return b;
}

/** GET one page and assert it is a searchset; returns the Bundle. */
export async function page(t: TestApp, path: string, query = '', opts: GetOptions = {}): Promise<Json> {
  const res = await get(t, path, query, opts);
  return assertSearchset(res, `GET ${searchUrl(path, query)}`);
}

export interface AllPages {
  /** `Type/id` of every match, in order, across all pages */
  matches: string[];
  /** `Type/id` of every include entry, in order, across all pages */
  includes: string[];
  /** the match resources in order */
  resources: Json[];
  pages: Json[];
  /** total of the first page (undefined when absent) */
  total: number | undefined;
}

/**
 * Fetches a search and follows its next links (path+query of the absolute URL), asserting every
 * page is a searchset, no page holds more than `count` matches when given, every page but the last
 * is full, no match appears twice across pages, and a total (when present) equals the number of
 * matches. `first` is the first response (for POST _search).
 */
export async function allPages(
  t: TestApp,
  path: string,
  query = '',
  opts: GetOptions & { count?: number; first?: Response; maxPages?: number } = {},
): Promise<AllPages> {
  const what = opts.first ? `POST /fhir/${path}/_search` : `GET ${searchUrl(path, query)}`;
  let res: Response = opts.first ?? (await get(t, path, query, opts));
  const out: AllPages = { matches: [], includes: [], resources: [], pages: [], total: undefined };
  const max = opts.maxPages ?? 200;
  for (let i = 0; ; i++) {
    assert.ok(i < max, `${what}: more than ${max} pages`);
    const b = assertSearchset(res, `${what} (page ${i + 1})`);
    out.pages.push(b);
    if (i === 0) out.total = b.total;
    const m = entriesOf(b, 'match');
    if (opts.count !== undefined) assert.ok(m.length <= opts.count, `${what}: page ${i + 1} has ${m.length} matches, more than _count=${opts.count}`);
    for (const e of m) {
      const k = key(e.resource);
      assert.ok(!out.matches.includes(k), `${what}: ${k} appears on more than one page (page ${i + 1})`);
      out.matches.push(k);
      out.resources.push(e.resource);
    }
    for (const e of entriesOf(b, 'include')) out.includes.push(key(e.resource));
    const next = linkOf(b, 'next');
    if (!next) break;
    if (opts.count !== undefined) assert.equal(m.length, opts.count, `${what}: page ${i + 1} has a next link but only ${m.length} of _count=${opts.count} matches`);
    assert.ok(next.startsWith(BASE_URL), `${what}: next link not on ${BASE_URL}: ${next}`);
    let r = request(t.app).get(next.slice(ORIGIN.length)).set('Accept', FHIR_JSON);
    for (const [k, v] of Object.entries(opts.headers ?? {})) r = r.set(k, v);
    res = await r;
  }
  if (out.total !== undefined) assert.equal(out.total, out.matches.length, `${what}: Bundle.total ${out.total} but ${out.matches.length} matches across the pages`);
  return out;
}

/** Sorted copy. */
export const sorted = (xs: Iterable<string>): string[] => [...xs].sort();

/**
 * Matches (`Type/id`) as they are compared with `expected`: when every expected value is a bare id,
 * matches of the searched type (the last segment of `path`) become bare ids; others stay `Type/id`
 * so that a match of a wrong type shows in the failure.
 */
export function comparable(matches: string[], path: string, expected: string[]): string[] {
  const type = path.split('/').pop() ?? '';
  if (!/^[A-Z]/.test(type) || expected.some((e) => e.includes('/'))) return matches;
  return matches.map((k) => (k.startsWith(`${type}/`) ? k.slice(type.length + 1) : k));
}

/** The matches of a search (all pages), compared as a set with `expected` (ids or `Type/id`). */
export async function expectMatches(t: TestApp, path: string, query: string, expected: string[], opts: GetOptions = {}): Promise<AllPages> {
  const r = await allPages(t, path, query, opts);
  assert.deepEqual(sorted(comparable(r.matches, path, expected)), sorted(expected), `GET ${searchUrl(path, query)}: matches`);
  return r;
}

/** Same for POST [base]/path/_search (form body, optional URL query). */
export async function expectPostMatches(t: TestApp, path: string, body: string, urlQuery: string, expected: string[]): Promise<AllPages> {
  const first = await postSearch(t, path, body, urlQuery);
  const r = await allPages(t, path, '', { first });
  assert.deepEqual(sorted(comparable(r.matches, path, expected)), sorted(expected), `POST /fhir/${path}/_search body '${body}' url '${urlQuery}': matches`);
  return r;
}

/**
 * The matches as ids, asserting `must` are all in and `mustNot` all out (for the places where the
 * spec leaves the rest to the server).
 */
export async function expectSome(t: TestApp, path: string, query: string, must: string[], mustNot: string[]): Promise<string[]> {
  const r = await allPages(t, path, query);
  const got = comparable(r.matches, path, [...must, ...mustNot]);
  for (const m of must) assert.ok(got.includes(m), `GET ${searchUrl(path, query)}: ${m} should match; got ${JSON.stringify(sorted(got))}`);
  for (const m of mustNot) assert.ok(!got.includes(m), `GET ${searchUrl(path, query)}: ${m} should not match; got ${JSON.stringify(sorted(got))}`);
  return got;
}

/** PUT a resource with its own id (create or update); asserts 200/201 and returns the body. */
export async function putOk(t: TestApp, resource: Json): Promise<Json> {
  const res = await request(t.app)
    .put(`/fhir/${resource.resourceType}/${resource.id}`)
    .set('Content-Type', FHIR_JSON)
    .send(JSON.stringify(resource));
  expectStatus(res, [200, 201], `PUT ${resource.resourceType}/${resource.id}`);
  return res.body;
}

/** PUTs all of them, in order. */
export async function putAll(t: TestApp, resources: Json[]): Promise<void> {
  for (const r of resources) await putOk(t, r);
}

/** POST a resource; asserts 201 and returns the body. */
export async function postOk(t: TestApp, resource: Json): Promise<Json> {
  const res = await request(t.app).post(`/fhir/${resource.resourceType}`).set('Content-Type', FHIR_JSON).send(JSON.stringify(resource));
  expectStatus(res, 201, `POST ${resource.resourceType}`);
  return res.body;
}

export async function deleteOk(t: TestApp, type: string, id: string): Promise<void> {
  const res = await request(t.app).delete(`/fhir/${type}/${id}`);
  expectStatus(res, [200, 204], `DELETE ${type}/${id}`);
}

/** POST a Bundle to the base. */
export function postBundle(t: TestApp, bundle: Json) {
  return request(t.app).post('/fhir').set('Content-Type', FHIR_JSON).set('Accept', FHIR_JSON).send(JSON.stringify(bundle));
}

/** Text of the issues of an OperationOutcome (diagnostics, expression, location, details). */
export function outcomeText(oo: Json): string {
  return JSON.stringify((oo?.issue ?? []).map((i: Json) => [i.diagnostics, i.expression, i.location, i.details?.text, i.details?.coding]));
}

/** Asserts a 4xx OperationOutcome (status one of `statuses`); returns it. */
export function expectError(res: Response, statuses: number[], what: string): Json {
  expectStatus(res, statuses, what);
  const ct = res.headers['content-type'];
  assert.ok(ct && FHIR_JSON_RE.test(ct), `${what}: expected application/fhir+json, got ${ct}`);
  assert.equal(res.body?.resourceType, 'OperationOutcome', `${what}: body is not an OperationOutcome: ${show(res)}`);
  assert.ok(
    (res.body.issue ?? []).some((i: Json) => i.severity === 'error' || i.severity === 'fatal'),
    `${what}: OperationOutcome without an error issue: ${show(res)}`,
  );
  return res.body;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Quick probe: does the server answer a type search at all (not 405 / 404)? */
export async function searchAvailable(t: TestApp): Promise<boolean> {
  const res = await request(t.app).get('/fhir/Patient?_count=1');
  return res.status === 200;
}
