/**
 * Crash durability of the embedded store, through the real server process.
 *
 * The server runs as a child process on a temporary FHIR_DATA_DIR. WRITERS concurrent writers create
 * Patients and update them (each writer owns its resources, so the writes to one resource are
 * sequential and version k is the k-th body sent for it). Every request body is recorded before it
 * is sent; every 2xx answer is recorded as acknowledged with its versionId. After LOAD_MS the child
 * gets SIGKILL while requests are in flight; it is restarted on the same data dir and then:
 *
 *  - every acknowledged version reads back (vread) with exactly the acknowledged content;
 *  - the current version of every resource is >= its last acknowledged one, and <= the number of
 *    bodies sent for it (at most the one in-flight write may have landed unacknowledged);
 *  - the history of every resource is exactly versions 1..n, no gap, no extra, and version k is the
 *    k-th body sent (so an unacknowledged version is a complete resource some writer sent);
 *  - every Patient version in the type-level history (GET /Patient/_history) is a body a writer sent
 *    (an unacknowledged create may exist, once, complete); nothing else is there;
 *  - no request after the restart answers 5xx.
 *
 * The kill is repeated ROUNDS times (the second round also continues updating round-one resources,
 * so version numbering must carry on after a crash). Finally SIGTERM must stop the server cleanly.
 *
 * Env: DURABILITY_LOAD_MS (default 3000), DURABILITY_ROUNDS (default 2), DURABILITY_WRITERS (8).
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { startServer, stopServer, type ChildServer } from '../helpers/server.js';
import { diffPaths, mapLimit, withoutServerFields, type JsonObject } from '../realdata/lib.js';

const LOAD_MS = Number(process.env.DURABILITY_LOAD_MS ?? 3000);
const ROUNDS = Number(process.env.DURABILITY_ROUNDS ?? 2);
const WRITERS = Number(process.env.DURABILITY_WRITERS ?? 8);
/** Updates after each create before the writer starts a new resource. */
const UPDATES_PER_RESOURCE = 3;
const VERIFY_CONCURRENCY = 8;
const MARKER_SYSTEM = 'urn:fhir-server-test:durability';
const FHIR_JSON = 'application/fhir+json';

interface Tracked {
  marker: string;
  writer: number;
  id?: string;
  /** Bodies sent, in order: writes[k-1] is the body of version k. */
  writes: JsonObject[];
  /** Number of acknowledged writes (versions 1..acked were answered 2xx). */
  acked: number;
  /** Set once a verification has established what is stored. */
  verified: boolean;
  /** Create was never acknowledged and the resource is not stored. */
  absent?: boolean;
}

interface Reply {
  status: number;
  headers: Headers;
  body: JsonObject | undefined;
  text: string;
}

const runTag = crypto.randomBytes(4).toString('hex');
const tracked: Tracked[] = [];
const byMarker = new Map<string, Tracked>();
let writerSeq = 0;

function patientBody(t: Tracked, version: number): JsonObject {
  const k = version;
  const body: JsonObject = {
    resourceType: 'Patient',
    identifier: [{ system: MARKER_SYSTEM, value: t.marker }],
    active: k % 2 === 1,
    name: [{ use: 'official', family: `Durability${t.writer}`, given: [`v${k}`, crypto.randomBytes(6).toString('hex')] }],
    gender: (['male', 'female', 'other', 'unknown'] as const)[k % 4]!,
    birthDate: `${1950 + (k % 50)}-0${1 + (k % 9)}-${10 + (k % 18)}`,
    telecom: [{ system: 'email', value: `w${t.writer}.v${k}.${t.marker}@example.org` }],
    address: [{ line: [crypto.randomBytes(96).toString('base64')], city: 'Curitiba', state: 'PR', postalCode: '80000-000', country: 'BR' }],
  };
  if (t.id) body.id = t.id;
  return body;
}

/** The Authorization header of the server running now (each start fetches a fresh token). */
let authorization = '';

async function call(method: string, url: string, body?: JsonObject, timeoutMs = 10_000): Promise<Reply> {
  const res = await fetch(url, {
    method,
    headers: body ? { 'content-type': FHIR_JSON, accept: FHIR_JSON, authorization } : { accept: FHIR_JSON, authorization },
    body: body ? JSON.stringify(body) : undefined,
    signal: AbortSignal.timeout(timeoutMs),
  });
  const text = await res.text();
  let parsed: JsonObject | undefined;
  try {
    parsed = text ? (JSON.parse(text) as JsonObject) : undefined;
  } catch {
    parsed = undefined;
  }
  return { status: res.status, headers: res.headers, body: parsed, text };
}

/** versionId of a write answer: body meta, else ETag W/"n", else Location .../_history/n. */
function ackedVersion(r: Reply): string | undefined {
  const fromBody = (r.body?.meta as JsonObject | undefined)?.versionId;
  if (typeof fromBody === 'string') return fromBody;
  const etag = r.headers.get('etag');
  const m = etag ? /^(?:W\/)?"([^"]+)"$/.exec(etag) : null;
  if (m) return m[1];
  const loc = r.headers.get('location');
  const l = loc ? /\/_history\/([^/]+)$/.exec(loc) : null;
  return l?.[1];
}

function idFromCreate(r: Reply): string | undefined {
  const loc = r.headers.get('location');
  const m = loc ? /\/Patient\/([A-Za-z0-9\-.]{1,64})\/_history\/[^/]+$/.exec(loc) : null;
  if (m) return m[1];
  return typeof r.body?.id === 'string' ? r.body.id : undefined;
}

interface LoadResult {
  loadErrors: string[];
  acked: number;
  sent: number;
  inFlightAtKill: number;
}

/** Runs the writers against `server` and SIGKILLs it after LOAD_MS while they are busy. */
async function loadAndKill(server: ChildServer): Promise<LoadResult> {
  const loadErrors: string[] = [];
  let killed = false;
  let acked = 0;
  let sent = 0;
  let inFlight = 0;
  let inFlightAtKill = 0;

  const resumable = (w: number): Tracked | undefined =>
    [...tracked].reverse().find((t) => t.writer === w && t.id && t.verified && !t.absent && t.writes.length < 1 + UPDATES_PER_RESOURCE * 2);

  const writer = async (w: number): Promise<void> => {
    let cur = resumable(w);
    while (!killed) {
      if (!cur || cur.writes.length >= 1 + UPDATES_PER_RESOURCE * (cur.verified ? 2 : 1)) {
        cur = { marker: `${runTag}-w${w}-n${writerSeq++}`, writer: w, writes: [], acked: 0, verified: false };
        tracked.push(cur);
        byMarker.set(cur.marker, cur);
      }
      const t = cur;
      const version = t.writes.length + 1;
      const body = patientBody(t, version);
      t.writes.push(body);
      const isCreate = version === 1;
      const url = isCreate ? `${server.base}/Patient` : `${server.base}/Patient/${t.id}`;
      sent++;
      inFlight++;
      let reply: Reply;
      try {
        reply = await call(isCreate ? 'POST' : 'PUT', url, body);
      } catch (err) {
        inFlight--;
        if (killed) return; // expected: the server is gone
        loadErrors.push(`${isCreate ? 'POST' : 'PUT'} ${url} failed before the kill: ${String((err as Error).cause ?? err)}`);
        cur = undefined;
        continue;
      }
      inFlight--;
      const expectStatus = isCreate ? [201] : [200, 201];
      if (!expectStatus.includes(reply.status)) {
        loadErrors.push(`${isCreate ? 'POST' : 'PUT'} ${url} (version ${version}): expected ${expectStatus.join('/')}, got ${reply.status} ${reply.text.slice(0, 300)}`);
        cur = undefined; // state unknown; verification still checks what is stored
        continue;
      }
      const v = ackedVersion(reply);
      if (isCreate) {
        const id = idFromCreate(reply);
        if (!id) {
          loadErrors.push(`POST ${url}: 201 without a Location/id`);
          cur = undefined;
          continue;
        }
        t.id = id;
      }
      if (v !== String(version)) loadErrors.push(`${isCreate ? 'POST' : 'PUT'} ${url}: acknowledged versionId ${JSON.stringify(v)}, expected "${version}"`);
      t.acked = version;
      acked++;
    }
  };

  const writers = Array.from({ length: WRITERS }, (_, w) => writer(w));
  await new Promise((r) => setTimeout(r, LOAD_MS));
  inFlightAtKill = inFlight;
  killed = true;
  server.child.kill('SIGKILL');
  const exit = await server.exited;
  await Promise.all(writers);
  assert.equal(exit.signal, 'SIGKILL', `the child should die of SIGKILL, got ${JSON.stringify(exit)}`);
  return { loadErrors, acked, sent, inFlightAtKill };
}

/** Checks the restarted server against everything recorded; returns the problems found. */
async function verify(server: ChildServer): Promise<{ problems: string[]; requests: number; patients: number }> {
  const problems: string[] = [];
  let requests = 0;
  const get = async (url: string): Promise<Reply> => {
    requests++;
    const r = await call('GET', url);
    if (r.status >= 500) problems.push(`GET ${url}: ${r.status} after restart: ${r.text.slice(0, 300)}`);
    return r;
  };

  // 1. Every Patient version the server has, from the type-level history (following next links;
  //    it does not depend on search indexes): each must be a complete body some writer sent.
  const found = new Map<string, Map<number, JsonObject>>(); // id -> version -> resource
  let url: string | undefined = `${server.base}/Patient/_history?_count=1000`;
  for (let page = 0; url && page < 500; page++) {
    const r = await get(url);
    if (r.status !== 200 || r.body?.resourceType !== 'Bundle' || r.body.type !== 'history') {
      problems.push(`GET ${url}: expected a history Bundle, got ${r.status} ${r.text.slice(0, 300)}`);
      break;
    }
    for (const e of (r.body.entry ?? []) as JsonObject[]) {
      const res = e.resource as JsonObject | undefined;
      if (!res) {
        problems.push(`type history entry without a resource (nothing was deleted): ${JSON.stringify(e).slice(0, 300)}`);
        continue;
      }
      const v = Number((res.meta as JsonObject | undefined)?.versionId);
      if (res.resourceType !== 'Patient' || typeof res.id !== 'string' || !Number.isInteger(v)) {
        problems.push(`type history entry is not a versioned Patient: ${JSON.stringify(res).slice(0, 300)}`);
        continue;
      }
      const versions = found.get(res.id) ?? new Map<number, JsonObject>();
      if (versions.has(v)) problems.push(`type history lists Patient/${res.id} v${v} twice`);
      versions.set(v, res);
      found.set(res.id, versions);
    }
    const next = ((r.body.link ?? []) as JsonObject[]).find((l) => l.relation === 'next')?.url;
    url = typeof next === 'string' ? next : undefined;
  }
  const markerOf = (res: JsonObject): string | undefined => {
    const ident = ((res.identifier ?? []) as JsonObject[]).find((i) => i.system === MARKER_SYSTEM);
    return typeof ident?.value === 'string' ? ident.value : undefined;
  };
  const idsByMarker = new Map<string, string[]>();
  for (const [id, versions] of found) {
    const markers = new Set([...versions.values()].map(markerOf));
    const marker = markers.size === 1 ? [...markers][0] : undefined;
    const t = marker ? byMarker.get(marker) : undefined;
    if (!t) {
      problems.push(`Patient/${id} is stored but no writer sent it (markers ${JSON.stringify([...markers])}): ${JSON.stringify([...versions.values()][0]).slice(0, 300)}`);
      continue;
    }
    idsByMarker.set(marker!, [...(idsByMarker.get(marker!) ?? []), id]);
    for (const [v, res] of versions) {
      const d = diffPaths(withoutServerFields(t.writes[v - 1] ?? {}), withoutServerFields(res));
      if (d.length) problems.push(`type history Patient/${id} v${v} (${marker}) is not the body sent as v${v}: ${d.join('; ')}`);
    }
  }
  for (const [marker, ids] of idsByMarker) {
    const t = byMarker.get(marker)!;
    if (ids.length > 1) problems.push(`create ${marker} is stored ${ids.length} times: ${ids.join(', ')}`);
    if (t.id && !ids.includes(t.id)) problems.push(`create ${marker}: acknowledged as Patient/${t.id} but the history has ${ids.join(', ')}`);
    if (!t.id) t.id = ids[0]; // an unacknowledged create that landed: it must be complete, checked below
  }

  // 2. Per resource: current version, history 1..n, every version equal to the k-th body sent.
  await mapLimit(tracked, VERIFY_CONCURRENCY, async (t) => {
    if (t.absent) return;
    if (!t.id) {
      // Unacknowledged create, not in the type history: it is absent (there is no id to look up).
      if (t.acked > 0) problems.push(`create ${t.marker} was acknowledged but its id is unknown`);
      t.absent = true;
      t.writes = [];
      t.verified = true;
      return;
    }
    const where = `Patient/${t.id} (${t.marker})`;
    const listed = found.get(t.id);
    if (!listed) problems.push(`${where}: not in the type-level history`);
    const cur = await get(`${server.base}/Patient/${t.id}`);
    if (cur.status !== 200) {
      problems.push(`GET ${server.base}/Patient/${t.id}: expected 200, got ${cur.status} ${cur.text.slice(0, 200)} (acknowledged up to v${t.acked})`);
      return;
    }
    const n = Number((cur.body?.meta as JsonObject | undefined)?.versionId);
    if (!Number.isInteger(n) || n < 1) {
      problems.push(`${where}: current meta.versionId ${JSON.stringify((cur.body?.meta as JsonObject | undefined)?.versionId)} is not a positive integer`);
      return;
    }
    if (n < t.acked) problems.push(`${where}: current version ${n} < last acknowledged ${t.acked} (acknowledged writes lost)`);
    if (n > t.writes.length) problems.push(`${where}: current version ${n} > ${t.writes.length} writes ever sent`);
    const cd = diffPaths(withoutServerFields(t.writes[n - 1] ?? {}), withoutServerFields(cur.body!));
    if (cd.length) problems.push(`${where}: current (v${n}) is not the body sent as v${n}: ${cd.join('; ')}`);

    const hist = await get(`${server.base}/Patient/${t.id}/_history?_count=100`);
    if (hist.status !== 200 || hist.body?.resourceType !== 'Bundle') {
      problems.push(`GET ${server.base}/Patient/${t.id}/_history: expected a history Bundle, got ${hist.status} ${hist.text.slice(0, 200)}`);
    } else {
      const versions: number[] = [];
      for (const e of (hist.body.entry ?? []) as JsonObject[]) {
        const res = e.resource as JsonObject | undefined;
        const v = Number((res?.meta as JsonObject | undefined)?.versionId);
        versions.push(v);
        const d = diffPaths(withoutServerFields(t.writes[v - 1] ?? {}), withoutServerFields(res ?? {}));
        if (d.length) problems.push(`${where}: history entry v${v} is not the body sent as v${v}: ${d.join('; ')}`);
      }
      const sorted = [...versions].sort((a, b) => a - b);
      const want = Array.from({ length: n }, (_, i) => i + 1);
      if (JSON.stringify(sorted) !== JSON.stringify(want)) {
        problems.push(`${where}: history versions ${JSON.stringify(versions)}, expected exactly 1..${n}`);
      }
      const typeLevel = [...(listed?.keys() ?? [])].sort((a, b) => a - b);
      if (listed && JSON.stringify(typeLevel) !== JSON.stringify(want)) {
        problems.push(`${where}: type-level history has versions ${JSON.stringify(typeLevel)}, expected exactly 1..${n}`);
      }
    }

    for (let v = 1; v <= n; v++) {
      const url = `${server.base}/Patient/${t.id}/_history/${v}`;
      const r = await get(url);
      if (r.status !== 200) {
        problems.push(`GET ${url}: expected 200, got ${r.status} ${r.text.slice(0, 200)}${v <= t.acked ? ' (acknowledged version)' : ''}`);
        continue;
      }
      const d = diffPaths(withoutServerFields(t.writes[v - 1]!), withoutServerFields(r.body ?? {}));
      if (d.length) problems.push(`GET ${url}${v <= t.acked ? ' (acknowledged)' : ' (unacknowledged)'}: not the body sent: ${d.join('; ')}`);
      if ((r.body?.meta as JsonObject | undefined)?.versionId !== String(v)) problems.push(`GET ${url}: meta.versionId ${JSON.stringify((r.body?.meta as JsonObject | undefined)?.versionId)}`);
    }
    // What is stored is now known: forget the in-flight write that did not land.
    t.writes = t.writes.slice(0, n);
    t.acked = n;
    t.verified = true;
  });
  return { problems, requests, patients: found.size };
}

describe(`durability: SIGKILL under ${WRITERS} concurrent writers, ${ROUNDS} rounds`, { timeout: 90_000 }, () => {
  let dataDir: string;
  let server: ChildServer | undefined;

  before(async () => {
    dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'fhir-durability-'));
  });

  after(async () => {
    if (server?.isRunning()) await stopServer(server, 'SIGKILL');
    await fs.rm(dataDir, { recursive: true, force: true });
  });

  for (let round = 1; round <= ROUNDS; round++) {
    it(`round ${round}: ${LOAD_MS} ms of creates/updates, SIGKILL mid-load, restart, everything acknowledged is there and nothing is half-written`, async (t) => {
      const t0 = Date.now();
      if (!server?.isRunning()) server = await startServer({ dataDir }); // round 2+ reuses the verified restart
      authorization = server.authorization;
      const startedMs = Date.now() - t0;
      const load = await loadAndKill(server);
      const t1 = Date.now();
      server = await startServer({ dataDir });
      authorization = server.authorization;
      const restartMs = Date.now() - t1;
      const t2 = Date.now();
      const { problems, requests, patients } = await verify(server);
      const verifyMs = Date.now() - t2;
      t.diagnostic(
        `start ${startedMs} ms; ${load.sent} writes sent, ${load.acked} acknowledged (${Math.round(load.acked / (LOAD_MS / 1000))}/s), ` +
          `${load.inFlightAtKill} in flight at SIGKILL; restart ${restartMs} ms; verify ${requests} requests in ${verifyMs} ms, ${patients} Patients stored`,
      );
      assert.deepEqual(load.loadErrors.slice(0, 10), [], `${load.loadErrors.length} errors during the load (before the kill)`);
      assert.ok(load.acked > 0, 'no write was acknowledged during the load');
      assert.ok(load.inFlightAtKill > 0, 'no request was in flight at the kill (the test did not kill mid-load)');
      assert.equal(problems.length, 0, `${problems.length} problems after restart; first ones:\n  ${problems.slice(0, 15).join('\n  ')}`);
    });
  }

  it('after the crashes, SIGTERM stops the server cleanly (exit 0) and a restart still serves the data', async () => {
    if (!server?.isRunning()) server = await startServer({ dataDir });
    authorization = server.authorization;
    const sample = tracked.filter((t) => t.id && !t.absent && t.verified).slice(-20);
    assert.ok(sample.length > 0, 'nothing was written in the rounds before');
    const exit = await stopServer(server, 'SIGTERM', 10_000);
    assert.equal(exit.timedOut, false, 'the server did not exit within 10 s of SIGTERM');
    assert.equal(exit.code, 0, `exit after SIGTERM: ${JSON.stringify(exit)}\n${server.output.slice(-10).join('\n')}`);
    server = await startServer({ dataDir });
    authorization = server.authorization;
    for (const t of sample) {
      const r = await call('GET', `${server.base}/Patient/${t.id}`);
      assert.equal(r.status, 200, `GET Patient/${t.id} after a clean restart: ${r.text.slice(0, 200)}`);
      assert.equal((r.body?.meta as JsonObject).versionId, String(t.writes.length));
      assert.deepEqual(diffPaths(withoutServerFields(t.writes.at(-1)!), withoutServerFields(r.body!)), []);
    }
    const exit2 = await stopServer(server, 'SIGTERM', 10_000);
    assert.equal(exit2.code, 0, `second exit after SIGTERM: ${JSON.stringify(exit2)}`);
  });
});
