/**
 * Search benchmark of the FHIR server on loopback (see the "Search" section of bench/README.md).
 *
 *   node --import tsx bench/search.ts            (npm run bench:search)
 *
 * The FHIR server runs as a child process (bench/child.ts: `node --import tsx src/main.ts`,
 * NODE_ENV=production, LOG_LEVEL=warn, 127.0.0.1) on a fresh temporary embedded store; autocannon
 * runs in this process. Two data sets, each on its own fresh store:
 *
 *   1x   the 30 Synthea transaction Bundles (../shared/data/synthea, 6,878 entries), as they are
 *   Nx   the same set posted BENCH_SCALE (10) times, each round with fresh urn:uuid fullUrls and
 *        references and the Patients' family names suffixed with the round number ("Considine03")
 *
 * For each: ingest (BENCH_TX_CONNECTIONS bundles in flight) -> resources/s, then four searches,
 * each a warm-up plus BENCH_SECONDS of autocannon at BENCH_CONNECTIONS connections, the request path
 * rotated round-robin over several real values (setupRequest), and BENCH_SERIAL_SECONDS at one
 * connection (service time without queueing), on which the p50 targets are judged:
 *
 *   (a) Observation?patient=X&code=Y                  X a patient of the set, Y a LOINC code it has
 *   (b) Patient?name=P                                P a family name prefix of the set
 *   (c) Encounter?date=ge2020-01-01&_count=20
 *   (d) Observation?patient=X&_count=20&_include=Observation:subject&_include=Observation:encounter
 *
 * Env: BENCH_SECONDS (5), BENCH_WARMUP_SECONDS (1), BENCH_SERIAL_SECONDS (2, 0 = skip),
 * BENCH_CONNECTIONS (10), BENCH_TX_CONNECTIONS (4), BENCH_SCALE (10, 0 = skip the Nx set),
 * BENCH_PAIRS (8) values rotated over per query, BENCH_INGEST_TIMEOUT_SECONDS (300),
 * BENCH_AUTHORIZATION, BENCH_SHOW_SERVER_LOG, BENCH_KEEP_DATA (keep the stores, for profiling),
 * BENCH_INGEST_WARMUP (1; 0 = measure the ingest on a cold server). Prints a table with PASS/FAIL; always exits 0
 * (1 only if it cannot run at all).
 */
import fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import autocannon, { type Options, type Result } from 'autocannon';
import { BOOTSTRAP_ENV, bootstrapAuthorization, repoRoot, startChild, type Child } from './child.js';
import { num } from './env.js';
import { familySuffix, loadSources, makePosts, nameParts, type Post, type Source } from './search-data.js';


const SECONDS = num('BENCH_SECONDS', 5);
const WARMUP = num('BENCH_WARMUP_SECONDS', 1);
const SERIAL = num('BENCH_SERIAL_SECONDS', 2);
const INGEST_WARMUP = num('BENCH_INGEST_WARMUP', 1) > 0;
const CONNECTIONS = Math.max(1, Math.round(num('BENCH_CONNECTIONS', 10)));
const TX_CONNECTIONS = Math.max(1, Math.round(num('BENCH_TX_CONNECTIONS', 4)));
const SCALE = Math.round(num('BENCH_SCALE', 10));
const PAIRS = Math.max(1, Math.round(num('BENCH_PAIRS', 8)));
const INGEST_TIMEOUT_MS = num('BENCH_INGEST_TIMEOUT_SECONDS', 300) * 1000;
const AUTH = process.env.BENCH_AUTHORIZATION;

const FHIR_JSON = 'application/fhir+json';
const SYNTHEA_DIR = path.resolve(repoRoot, '../shared/data/synthea');
const DATE_FROM = '2020-01-01';
/** BENCH_AUTHORIZATION, or else a bootstrap-client token fetched when the server is up */
const authHeaders: Record<string, string> = AUTH ? { authorization: AUTH } : {};

const TARGETS = { ingest: 2000, a: 5, b: 10, c: 10, d: 20 } as const;

function log(msg: string): void {
  process.stderr.write(`[bench:search] ${msg}\n`);
}

/** Loud, and collected for the end of the report. */
const alarms: string[] = [];
function alarm(msg: string): void {
  alarms.push(msg);
  process.stderr.write(`[bench:search] !!! ${msg}\n`);
}

function fmt(n: number | undefined, digits = 0): string {
  return n === undefined || Number.isNaN(n) ? '-' : n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

function loadAverage(): string {
  return os.loadavg().map((l) => l.toFixed(2)).join(' ');
}

function machine(): string {
  const cpus = os.cpus();
  return `${cpus.length} cores (${cpus[0]?.model?.trim() ?? 'unknown CPU'}), ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB, ${os.platform()} ${os.release()}, node ${process.version}`;
}

// ---------------------------------------------------------------------------------------------
// Ingest

/**
 * The warm-up before an ingest, so a just-started server is measured with its code compiled (as
 * bench/run.ts warms up (d) with one set): every bundle once as a transaction that the server
 * executes and then rolls back, because its last entry (a PUT, which runs after the POSTs) asks
 * for a version that does not exist. Nothing is written; the totals checked later prove it.
 */
async function warmUpIngest(base: string, sources: Source[], label: string): Promise<void> {
  const t0 = performance.now();
  let next = 0;
  const statuses = new Map<number, number>();
  const worker = async (): Promise<void> => {
    while (next < sources.length) {
      const source = sources[next++]!;
      const bundle = JSON.parse(source.raw.toString('utf8')) as { entry: unknown[] };
      bundle.entry.push({
        fullUrl: `${base}/Basic/bench-warm-up`,
        resource: { resourceType: 'Basic', id: 'bench-warm-up', code: { text: 'warm-up' } },
        request: { method: 'PUT', url: 'Basic/bench-warm-up', ifMatch: 'W/"999"' },
      });
      const res = await fetch(base, { method: 'POST', headers: { 'content-type': FHIR_JSON, accept: FHIR_JSON, ...authHeaders }, body: JSON.stringify(bundle), signal: AbortSignal.timeout(120_000) });
      await res.arrayBuffer();
      statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
    }
  };
  await Promise.all(Array.from({ length: TX_CONNECTIONS }, worker));
  const answers = [...statuses].map(([s, n]) => `${n} x ${s}`).join(', ');
  log(`${label}: warm-up: ${sources.length} rolled-back transactions in ${fmt((performance.now() - t0) / 1000, 1)} s (${answers})`);
  if (statuses.has(200)) alarm(`${label}: a warm-up transaction was committed: the data set is not what it should be`);
}

interface Ingest {
  bundles: number;
  okBundles: number;
  resources: number;
  seconds: number;
  p50: number;
  p99: number;
}

const LOCATION_RE = /"location"\s*:\s*"(?:[^"]*\/)?Patient\/([A-Za-z0-9.-]{1,64})(?:\/_history\/[^"]*)?"/;

async function ingest(base: string, posts: Post[], label: string): Promise<Ingest> {
  let next = 0;
  let resources = 0;
  let okBundles = 0;
  const times: number[] = [];
  const failures: string[] = [];
  const deadline = Date.now() + INGEST_TIMEOUT_MS;
  const t0 = performance.now();
  let lastLog = Date.now();
  const worker = async (): Promise<void> => {
    while (next < posts.length && Date.now() < deadline) {
      const post = posts[next++]!;
      const s = performance.now();
      let status = 0;
      let text = '';
      try {
        const res = await fetch(`${base}`, {
          method: 'POST',
          headers: { 'content-type': FHIR_JSON, accept: FHIR_JSON, ...authHeaders },
          body: post.body as Uint8Array<ArrayBuffer>,
          signal: AbortSignal.timeout(120_000),
        });
        status = res.status;
        text = await res.text();
      } catch (err) {
        text = String(err);
      }
      times.push(performance.now() - s);
      post.doneAt = performance.now() - t0;
      if (status === 200) {
        okBundles++;
        resources += post.source.entries;
        post.patientId = LOCATION_RE.exec(text)?.[1];
        if (!post.patientId) failures.push(`POST /fhir (${post.source.file} round ${post.round}): 200 but no Patient location in the response`);
      } else {
        failures.push(`POST /fhir (${post.source.file} round ${post.round}): ${status || 'no answer'} ${text.slice(0, 400)}`);
      }
      if (Date.now() - lastLog > 10_000) {
        lastLog = Date.now();
        log(`  ${label}: ${okBundles}/${posts.length} bundles, ${resources} resources so far`);
      }
    }
  };
  await Promise.all(Array.from({ length: TX_CONNECTIONS }, worker));
  const seconds = (performance.now() - t0) / 1000;
  // Rate per round (the bundles are handed out in round order), to see whether ingest slows as the store grows
  const rounds = [...new Set(posts.map((p) => p.round))];
  if (rounds.length > 1) {
    let prev = 0;
    const rates = rounds.map((r) => {
      const mine = posts.filter((p) => p.round === r && p.doneAt !== undefined);
      const end = Math.max(...mine.map((p) => p.doneAt!));
      const rate = mine.reduce((a, p) => a + p.source.entries, 0) / ((end - prev) / 1000);
      prev = end;
      return `r${r} ${fmt(rate)}`;
    });
    log(`  ${label}: resources/s by round (to the round's last answer): ${rates.join(', ')}`);
  }
  if (next < posts.length) alarm(`${label} ingest stopped by BENCH_INGEST_TIMEOUT_SECONDS after ${next}/${posts.length} bundles`);
  for (const f of failures.slice(0, 5)) alarm(`${label} ingest non-2xx: ${f}`);
  if (failures.length > 5) alarm(`${label} ingest: ${failures.length - 5} more failures`);
  const sorted = Float64Array.from(times).sort();
  return { bundles: posts.length, okBundles, resources, seconds, p50: percentile(sorted, 50), p99: percentile(sorted, 99) };
}

// ---------------------------------------------------------------------------------------------
// Queries

function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

interface Load {
  result: Result;
  p50: number;
  p99: number;
  rps: number;
}

/** autocannon over `paths` round-robin; latencies of the 2xx answers, sub-millisecond. */
async function cannon(origin: string, paths: string[], connections: number, duration: number): Promise<Load> {
  let i = 0;
  const times: number[] = [];
  const opts: Options = {
    url: origin,
    connections,
    duration,
    timeout: 30,
    headers: { accept: FHIR_JSON, ...authHeaders },
    requests: [{ method: 'GET', setupRequest: (req) => ({ ...req, path: paths[i++ % paths.length] }) }],
  };
  const instance = autocannon(opts);
  instance.on('response', (_client: unknown, statusCode: number, _bytes: number, responseTime: number) => {
    if (statusCode >= 200 && statusCode < 300) times.push(responseTime);
  });
  const result = await instance;
  const sorted = Float64Array.from(times).sort();
  return { result, p50: percentile(sorted, 50), p99: percentile(sorted, 99), rps: result.duration > 0 ? result['2xx'] / result.duration : 0 };
}

/**
 * When autocannon stops, the requests it had in flight are still queued in the server (up to
 * `connections` of them): wait for one more answer, so the next run does not start behind them.
 */
async function drain(origin: string, p: string): Promise<void> {
  try {
    const res = await fetch(`${origin}${p}`, { headers: { accept: FHIR_JSON, ...authHeaders }, signal: AbortSignal.timeout(60_000) });
    await res.arrayBuffer();
  } catch {
    // a failure shows up in the runs themselves
  }
}

interface Probe {
  path: string;
  status: number;
  total?: number;
  matchEntries: number;
  includeEntries: number;
  expected?: number;
  bytes: number;
  ms: number;
}

/** One request per path, sequential, outside the timed runs: status, total, entries. */
async function probe(origin: string, paths: string[], expected: Array<number | undefined>, label: string): Promise<Probe[]> {
  const out: Probe[] = [];
  for (let k = 0; k < paths.length; k++) {
    const p = paths[k]!;
    const s = performance.now();
    let status = 0;
    let text = '';
    try {
      const res = await fetch(`${origin}${p}`, { headers: { accept: FHIR_JSON, ...authHeaders }, signal: AbortSignal.timeout(30_000) });
      status = res.status;
      text = await res.text();
    } catch (err) {
      text = String(err);
    }
    const ms = performance.now() - s;
    const pr: Probe = { path: p, status, matchEntries: 0, includeEntries: 0, expected: expected[k], bytes: text.length, ms };
    if (status >= 200 && status < 300) {
      const b = JSON.parse(text) as { total?: number; entry?: Array<{ search?: { mode?: string } }> };
      pr.total = b.total;
      for (const e of b.entry ?? []) {
        if (e.search?.mode === 'match') pr.matchEntries++;
        else if (e.search?.mode === 'include') pr.includeEntries++;
      }
      if (pr.expected !== undefined && pr.total !== pr.expected) alarm(`${label}: GET ${p} total ${pr.total} but the data has ${pr.expected}`);
    } else {
      alarm(`${label}: GET ${p} answered ${status || 'nothing'}: ${text.slice(0, 400)}`);
    }
    out.push(pr);
  }
  return out;
}

interface Row {
  phase: string;
  dataset: string;
  p50?: number;
  p99?: number;
  rps?: number;
  matches: string;
  measured: string;
  target: string;
  pass: boolean;
  serialP50?: number;
  serialRps?: number;
  bad: string;
}

const rows: Row[] = [];

async function measureQuery(origin: string, phase: string, dataset: string, paths: string[], expected: Array<number | undefined>, targetP50: number, matchesOf: (pr: Probe[]) => string): Promise<void> {
  const label = `${dataset} ${phase}`;
  const probes = await probe(origin, paths, expected, label);
  log(`${label}: ${paths.length} path(s), e.g. ${paths[0]} -> total ${probes[0]?.total}, ${probes[0]?.matchEntries} match + ${probes[0]?.includeEntries} include entries, ${fmt(probes[0]?.bytes)} bytes, first answer ${fmt(probes[0]?.ms, 1)} ms`);
  const okPaths = probes.filter((p) => p.status >= 200 && p.status < 300).map((p) => p.path);
  if (okPaths.length === 0) {
    rows.push({ phase, dataset, matches: '-', measured: 'no 2xx', target: `p50 < ${targetP50} ms`, pass: false, bad: 'all non-2xx' });
    return;
  }
  if (WARMUP > 0) {
    await cannon(origin, paths, CONNECTIONS, WARMUP);
    await drain(origin, paths[0]!);
  }
  const load = await cannon(origin, paths, CONNECTIONS, SECONDS);
  await drain(origin, paths[0]!);
  let serial: Load | undefined;
  if (SERIAL > 0) serial = await cannon(origin, paths, 1, SERIAL);
  const bad = [load, serial]
    .filter((l): l is Load => l !== undefined)
    .map((l) => {
      const codes = Object.entries(l.result.statusCodeStats).filter(([c]) => !c.startsWith('2')).map(([c, v]) => `${c}x${v.count}`);
      if (l.result.errors) codes.push(`errors x${l.result.errors}`);
      if (l.result.timeouts) codes.push(`timeouts x${l.result.timeouts}`);
      return codes.join(' ');
    })
    .filter(Boolean)
    .join('; ');
  if (bad) {
    alarm(`${label}: non-2xx/errors under load: ${bad}; re-checking every path:`);
    for (const pr of await probe(origin, paths, [], `${label} (re-check)`)) if (pr.status < 200 || pr.status >= 300) alarm(`  GET ${pr.path} -> ${pr.status}`);
  }
  // The targets are latencies: judged on one request at a time (the 1-connection run). At 10
  // connections a one-core server queues them, so p50 there is about 10x the service time.
  const judged = serial ?? load;
  const pass = judged.p50 < targetP50 && !bad;
  rows.push({
    phase,
    dataset,
    p50: load.p50,
    p99: load.p99,
    rps: load.rps,
    matches: matchesOf(probes),
    measured: `p50 ${fmt(judged.p50, 2)} ms @${serial ? 1 : CONNECTIONS} conn`,
    target: `p50 < ${targetP50} ms`,
    pass,
    serialP50: serial?.p50,
    serialRps: serial?.rps,
    bad: bad || '0',
  });
  log(`${label}: ${fmt(load.rps)} req/s, p50 ${fmt(load.p50, 2)} ms, p99 ${fmt(load.p99, 2)} ms` + (serial ? `; 1 connection: p50 ${fmt(serial.p50, 2)} ms, ${fmt(serial.rps)} req/s` : '') + ` -> ${pass ? 'PASS' : 'FAIL'}`);
}

function range(xs: Array<number | undefined>): string {
  const ns = xs.filter((x): x is number => x !== undefined);
  if (ns.length === 0) return '-';
  const lo = Math.min(...ns);
  const hi = Math.max(...ns);
  return lo === hi ? fmt(lo) : `${fmt(lo)}-${fmt(hi)}`;
}

/** Evenly spread picks of `n` out of `xs`. */
function spread<T>(xs: T[], n: number): T[] {
  if (xs.length <= n) return xs;
  return Array.from({ length: n }, (_, k) => xs[Math.floor((k * xs.length) / n)]!);
}

async function runDataset(sources: Source[], dataset: string, rounds: number[]): Promise<void> {
  log(`${dataset}: preparing ${rounds.length} round(s) x ${sources.length} bundles`);
  const posts = makePosts(sources, rounds, SCALE);
  const dataDir = await fsp.mkdtemp(path.join(os.tmpdir(), 'fhir-bench-search-'));
  let server: Child | undefined;
  try {
    server = await startChild('fhir-server', 'src/main.ts', (_port, origin) => ({ FHIR_DATA_DIR: dataDir, FHIR_BASE_URL: `${origin}/fhir`, ...BOOTSTRAP_ENV }));
    const origin = server.origin;
    if (!AUTH) authHeaders.authorization = await bootstrapAuthorization(origin);
    const base = `${origin}/fhir`;

    // 1. ingest, after a warm-up that writes nothing
    if (INGEST_WARMUP) await warmUpIngest(base, sources, dataset);
    const entries = posts.reduce((a, p) => a + p.source.entries, 0);
    log(`${dataset}: ingesting ${posts.length} bundles (${fmt(entries)} entries), ${TX_CONNECTIONS} at a time`);
    const ing = await ingest(base, posts, dataset);
    const rate = ing.seconds > 0 ? ing.resources / ing.seconds : 0;
    log(`${dataset}: ${ing.okBundles}/${ing.bundles} bundles, ${fmt(ing.resources)} resources in ${fmt(ing.seconds, 2)} s = ${fmt(rate)} resources/s (per bundle p50 ${fmt(ing.p50)} ms, p99 ${fmt(ing.p99)} ms)`);
    rows.push({
      phase: `ingest (${ing.bundles} bundles, ${TX_CONNECTIONS} in flight, ${fmt(ing.seconds, 1)} s)`,
      dataset,
      p50: ing.p50,
      p99: ing.p99,
      rps: ing.seconds > 0 ? ing.okBundles / ing.seconds : 0,
      matches: `${fmt(ing.resources)} created`,
      measured: `${fmt(rate)} resources/s`,
      target: `>= ${fmt(TARGETS.ingest)} resources/s`,
      pass: rate >= TARGETS.ingest && ing.okBundles === ing.bundles,
      bad: String(ing.bundles - ing.okBundles),
    });

    const loaded = posts.filter((p) => p.patientId);
    if (loaded.length === 0) throw new Error(`${dataset}: no bundle was loaded, cannot search`);
    const picks = spread(loaded, PAIRS);

    // (a) Observation?patient=X&code=Y: per patient a code it has, from the most to the less frequent
    const aPicks = picks.filter((p) => p.source.loinc.length > 0);
    const aCodes = aPicks.map((p, k) => p.source.loinc[(k * 3) % p.source.loinc.length]!);
    await measureQuery(
      origin,
      '(a) Observation?patient=X&code=Y',
      dataset,
      aPicks.map((p, k) => `/fhir/Observation?patient=${p.patientId}&code=${aCodes[k]![0]}`),
      aCodes.map((c) => c[1]),
      TARGETS.a,
      (pr) => `total ${range(pr.map((p) => p.total))} (${pr.length} pairs)`,
    );

    // (b) Patient?name=P: the 1x set a 5-letter prefix of the family name; the Nx set the family name
    // with its round suffix (every prefix of the bare name would match every round)
    const allParts = posts.map((p) => nameParts(p.source.patient, (f) => (p.round === 0 ? f : `${f}${familySuffix(p.round, SCALE)}`)));
    const prefixes = [...new Set(picks.map((p) => (p.round === 0 ? p.family.slice(0, 5) : p.family)))];
    await measureQuery(
      origin,
      '(b) Patient?name=P',
      dataset,
      prefixes.map((s) => `/fhir/Patient?name=${encodeURIComponent(s)}`),
      prefixes.map((s) => {
        const q = s.normalize('NFD').replace(/\p{M}/gu, '').toLowerCase();
        return allParts.filter((parts) => parts.some((x) => x.startsWith(q))).length;
      }),
      TARGETS.b,
      (pr) => `total ${range(pr.map((p) => p.total))} (${pr.length} names, e.g. ${prefixes[0]})`,
    );

    // (c) Encounter?date=ge2020-01-01&_count=20 (expected: period end, or start, on or after the date in UTC)
    const encExpected = posts.reduce((a, p) => a + p.source.encounterEnds.filter((e) => Date.parse(e) >= Date.parse(`${DATE_FROM}T00:00:00Z`)).length, 0);
    await measureQuery(origin, '(c) Encounter?date=ge2020-01-01&_count=20', dataset, [`/fhir/Encounter?date=ge${DATE_FROM}&_count=20`], [encExpected], TARGETS.c, (pr) => `total ${range(pr.map((p) => p.total))}, page ${pr[0]?.matchEntries ?? '-'}`);

    // (d) a page of 20 Observations with their subject and encounter
    await measureQuery(
      origin,
      '(d) Observation?patient=X&_count=20&_include=subject,encounter',
      dataset,
      picks.map((p) => `/fhir/Observation?patient=${p.patientId}&_count=20&_include=Observation:subject&_include=Observation:encounter`),
      picks.map((p) => p.source.observations),
      TARGETS.d,
      (pr) => `total ${range(pr.map((p) => p.total))}; page ${range(pr.map((p) => p.matchEntries))} + ${range(pr.map((p) => p.includeEntries))} incl.`,
    );
  } finally {
    if (server) {
      const s = server;
      await s.stop();
      if (process.env.BENCH_SHOW_SERVER_LOG) log(s.output.join('\n'));
      else if (s.output.length) log(`${dataset}: server printed ${s.output.length} log line(s) (BENCH_SHOW_SERVER_LOG=1 to see them)`);
    }
    if (process.env.BENCH_KEEP_DATA) log(`${dataset}: data kept in ${dataDir} (BENCH_KEEP_DATA)`);
    else await fsp.rm(dataDir, { recursive: true, force: true });
  }
}

function report(): void {
  const out: string[] = [];
  out.push('');
  out.push(`FHIR search benchmark, ${new Date().toISOString()}`);
  out.push(`machine: ${machine()}`);
  out.push(`load average (1/5/15 min): ${startLoad} at the start, ${loadAverage()} at the end (this run alone keeps about 2 busy)`);
  out.push(
    `queries: autocannon ${CONNECTIONS} connections, ${SECONDS} s after ${WARMUP} s warm-up, path rotated round-robin over the values; then ${SERIAL ? `${SERIAL} s at 1 connection` : 'no 1-connection run'}; ingest ${TX_CONNECTIONS} bundles in flight`,
  );
  out.push('');
  out.push('| phase | data set | p50 ms @10 conn | p99 ms @10 conn | req/s | matches | measured | target | verdict | p50 ms @1 conn | req/s @1 conn | non-2xx |');
  out.push('|---|---|---:|---:|---:|---|---:|---|---|---:|---:|---|');
  for (const r of rows) {
    out.push(
      `| ${r.phase} | ${r.dataset} | ${fmt(r.p50, 2)} | ${fmt(r.p99, 2)} | ${fmt(r.rps)} | ${r.matches} | ${r.measured} | ${r.target} | ${r.pass ? 'PASS' : 'FAIL'} | ${fmt(r.serialP50, 2)} | ${fmt(r.serialRps)} | ${r.bad} |`,
    );
  }
  out.push('');
  if (alarms.length) {
    out.push(`!!! ${alarms.length} problem(s):`);
    for (const a of alarms) out.push(`!!! ${a}`);
  } else out.push('No non-2xx answers, no socket errors, every total as expected from the data.');
  process.stdout.write(out.join('\n') + '\n');
}

let startLoad = '';

async function main(): Promise<void> {
  const start = Date.now();
  startLoad = loadAverage();
  log(`machine: ${machine()}`);
  log(`load average ${startLoad}${os.loadavg()[0]! > 0.5 ? ' -- the machine is not idle, figures will be low' : ''}`);
  const sources = loadSources(SYNTHEA_DIR);
  const total = sources.reduce((a, s) => a + s.entries, 0);
  log(`${sources.length} Synthea bundles, ${fmt(total)} entries`);
  await runDataset(sources, `1x (${fmt(total)})`, [0]);
  if (SCALE > 0) await runDataset(sources, `${SCALE}x (${fmt(total * SCALE)})`, Array.from({ length: SCALE }, (_, k) => k + 1));
  report();
  log(`done in ${fmt((Date.now() - start) / 1000, 0)} s`);
}

main().then(
  () => process.exit(0),
  (err) => {
    report();
    process.stderr.write(`[bench:search] could not run: ${(err as Error).stack ?? String(err)}\n`);
    process.exit(1);
  },
);
