/**
 * Load benchmark of the FHIR server on loopback (see bench/README.md).
 *
 *   node --import tsx bench/run.ts            (npm run bench)
 *
 * Both servers run as child processes (`node --import tsx <script>`, NODE_ENV=production,
 * LOG_LEVEL=warn, 127.0.0.1); autocannon runs in this process. The FHIR server gets a fresh
 * temporary embedded store (FHIR_DATA_DIR), removed at the end.
 *
 *   (a) a bare express 5 handler answering a small JSON body (bench/baseline-server.ts): the baseline
 *   (b) GET /fhir/Patient/{id}, random ids among BENCH_PATIENTS pre-created Patients
 *   (c) POST /fhir/Patient (create)
 *   (d) the 30 Synthea transaction Bundles POSTed to /fhir, BENCH_TX_CONNECTIONS at a time, the set
 *       repeated to fill about BENCH_SECONDS; reports resources created per second
 *
 * Env: BENCH_SECONDS (10) per measured phase, BENCH_WARMUP_SECONDS (2) before each,
 * BENCH_CONNECTIONS (25) for (a)-(c), BENCH_TX_CONNECTIONS (4) for (d), BENCH_PATIENTS (1000),
 * BENCH_SWEEP (e.g. "10,25,50": also measure (a)-(c) at those connection counts),
 * BENCH_AUTHORIZATION (an Authorization header value, if the server requires one).
 * Prints PASS/FAIL against the targets; always exits 0 (unless it cannot run at all).
 */
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import crypto from 'node:crypto';
import autocannon, { type Result, type Options } from 'autocannon';
import { BOOTSTRAP_ENV, bootstrapAuthorization, repoRoot, startChild, type Child } from './child.js';
import { num } from './env.js';
import { cannon, fmt, log, machine, rotating, type Run } from './measure.js';
import { samplePatient } from './fixtures.js';


const SECONDS = num('BENCH_SECONDS', 10);
const WARMUP = num('BENCH_WARMUP_SECONDS', 2);
const CONNECTIONS = num('BENCH_CONNECTIONS', 25);
const TX_CONNECTIONS = num('BENCH_TX_CONNECTIONS', 4);
const PATIENTS = num('BENCH_PATIENTS', 1000);
const SWEEP = (process.env.BENCH_SWEEP ?? '')
  .split(',')
  .map((s) => Number(s.trim()))
  .filter((n) => Number.isInteger(n) && n > 0);
const CONNECTION_SET = [...new Set([...SWEEP, CONNECTIONS])].sort((a, b) => a - b);
const AUTH = process.env.BENCH_AUTHORIZATION;

const TARGETS = { readRatio: 0.7, createsPerSec: 1500, resourcesPerSec: 2000 };
const FHIR_JSON = 'application/fhir+json';
const SYNTHEA_DIR = path.resolve(repoRoot, '../shared/data/synthea');

/** BENCH_AUTHORIZATION, or else a bootstrap-client token fetched when the server is up */
const authHeaders: Record<string, string> = AUTH ? { authorization: AUTH } : {};

interface Figure {
  phase: string;
  connections: number;
  seconds: number;
  ok: number;
  rps: number;
  p50: number;
  p99: number;
  non2xx: number;
  errors: number;
  resourcesPerSec?: number;
  note?: string;
}

const figures: Figure[] = [];

function figure(phase: string, run: Run, extra: Partial<Figure> = {}): Figure {
  const r = run.result;
  const ok = r['2xx'];
  const f: Figure = {
    phase,
    connections: r.connections,
    seconds: r.duration,
    ok,
    rps: r.duration > 0 ? ok / r.duration : 0,
    p50: run.p50,
    p99: run.p99,
    non2xx: r.non2xx,
    errors: r.errors,
    ...extra,
  };
  const codes = Object.entries(r.statusCodeStats)
    .filter(([c]) => !c.startsWith('2'))
    .map(([c, v]) => `${c}x${v.count}`)
    .join(' ');
  if (codes) f.note = [f.note, `non-2xx: ${codes}`].filter(Boolean).join('; ');
  figures.push(f);
  log(
    `${phase} c=${f.connections}: ${f.rps.toFixed(0)} req/s, p50 ${fmt(f.p50, 2)} ms, p99 ${fmt(f.p99, 2)} ms` +
      (f.resourcesPerSec !== undefined ? `, ${f.resourcesPerSec.toFixed(0)} resources/s` : '') +
      (f.non2xx || f.errors ? ` (non-2xx ${f.non2xx}, errors ${f.errors})` : ''),
  );
  return f;
}

/** Runs a warm-up (not recorded) then the measured run. */
async function measure(phase: string, opts: Options): Promise<Figure> {
  if (WARMUP > 0) await cannon({ ...opts, duration: WARMUP });
  return figure(phase, await cannon({ ...opts, duration: SECONDS }));
}


async function precreatePatients(base: string, n: number): Promise<string[]> {
  const ids: string[] = new Array(n);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < n) {
      const i = next++;
      const res = await fetch(`${base}/Patient`, {
        method: 'POST',
        headers: { 'content-type': FHIR_JSON, accept: FHIR_JSON, ...authHeaders },
        body: JSON.stringify(samplePatient(i)),
      });
      const text = await res.text();
      if (res.status !== 201) throw new Error(`pre-create: POST ${base}/Patient answered ${res.status}: ${text.slice(0, 300)}`);
      const loc = res.headers.get('location') ?? '';
      const m = /Patient\/([^/]+)\/_history\//.exec(loc);
      const id = m?.[1] ?? (JSON.parse(text) as { id?: string }).id;
      if (!id) throw new Error(`pre-create: no id in Location ${JSON.stringify(loc)} nor body`);
      ids[i] = id;
    }
  };
  await Promise.all(Array.from({ length: 16 }, worker));
  return ids;
}



async function main(): Promise<void> {
  log(`machine: ${machine()}`);
  log(`phases of ${SECONDS} s (+${WARMUP} s warm-up), connections ${CONNECTION_SET.join('/')} for (a)-(c), ${TX_CONNECTIONS} for (d)`);

  // Fake ids of the same shape as server ids, for the baseline's URLs.
  const fakeIds = Array.from({ length: PATIENTS }, () => crypto.randomUUID());
  const rows: Record<string, Map<number, Figure>> = { a: new Map(), b: new Map(), c: new Map() };

  // (a) baseline
  let baseline: Child | undefined = await startChild('baseline', 'bench/baseline-server.ts', {});
  try {
    const paths = fakeIds.map((id) => `/fhir/Patient/${id}`);
    for (const c of CONNECTION_SET) {
      rows.a!.set(c, await measure('(a) express 5 baseline GET', { url: baseline.origin, connections: c, requests: [{ method: 'GET', setupRequest: rotating(paths) }] }));
    }
  } finally {
    await baseline.stop();
    baseline = undefined;
  }

  // FHIR server on a fresh embedded store
  const dataDir = await fsp.mkdtemp(path.join(os.tmpdir(), 'fhir-bench-'));
  let server: Child | undefined;
  try {
    server = await startChild('fhir-server', 'src/main.ts', (_port, origin) => ({
      FHIR_DATA_DIR: dataDir,
      FHIR_BASE_URL: `${origin}/fhir`,
      ...BOOTSTRAP_ENV,
    }));
    const origin = server.origin;
    if (!AUTH) authHeaders.authorization = await bootstrapAuthorization(origin);
    const base = `${origin}/fhir`;

    // (b) read by id
    const t0 = Date.now();
    const ids = await precreatePatients(base, PATIENTS);
    log(`pre-created ${ids.length} Patients in ${Date.now() - t0} ms`);
    const paths = ids.map((id) => `/fhir/Patient/${id}`);
    for (const c of CONNECTION_SET) {
      rows.b!.set(
        c,
        await measure('(b) GET Patient/{id}', {
          url: origin,
          connections: c,
          headers: { accept: FHIR_JSON, ...authHeaders },
          requests: [{ method: 'GET', setupRequest: rotating(paths) }],
        }),
      );
    }

    // (c) create
    const createBody = Buffer.from(JSON.stringify(samplePatient(424242)));
    for (const c of CONNECTION_SET) {
      rows.c!.set(
        c,
        await measure('(c) POST Patient (create)', {
          url: origin,
          connections: c,
          requests: [{ method: 'POST', path: '/fhir/Patient', headers: { 'content-type': FHIR_JSON, accept: FHIR_JSON, ...authHeaders }, body: createBody }],
        }),
      );
    }

    // (d) Synthea transactions
    const files = fs.readdirSync(SYNTHEA_DIR).filter((f) => f.endsWith('.json')).sort();
    const bodies = files.map((f) => fs.readFileSync(path.join(SYNTHEA_DIR, f)));
    const counts = bodies.map((b) => (JSON.parse(b.toString('utf8')) as { entry: unknown[] }).entry.length);
    const setEntries = counts.reduce((a, b) => a + b, 0);
    let counter = 0;
    let okEntries = 0;
    let lastResponseAt = 0;
    const failures: string[] = [];
    const txOpts = (amount: number): Options => ({
      url: origin,
      connections: TX_CONNECTIONS,
      amount,
      timeout: 120,
      requests: [
        {
          method: 'POST',
          path: '/fhir',
          headers: { 'content-type': FHIR_JSON, accept: FHIR_JSON, ...authHeaders },
          setupRequest: (req, ctx) => {
            const i = counter++ % bodies.length;
            ctx.entries = counts[i];
            ctx.file = files[i];
            return { ...req, body: bodies[i] };
          },
          onResponse: (status, body, ctx) => {
            lastResponseAt = Date.now();
            if (status === 200) okEntries += ctx.entries as number;
            else if (failures.length < 5) failures.push(`${ctx.file as string}: ${status} ${body.slice(0, 300)}`);
          },
        },
      ],
    });
    // Warm-up: the whole set once; its time sizes the measured run (whole sets, about SECONDS long).
    const w0 = Date.now();
    counter = 0;
    await cannon(txOpts(bodies.length));
    const setSeconds = (Date.now() - w0) / 1000;
    const reps = Math.max(1, Math.round(SECONDS / Math.max(setSeconds, 0.001)));
    log(`(d) one set of ${bodies.length} bundles (${setEntries} entries) took ${setSeconds.toFixed(1)} s warm-up; measuring ${reps} set(s)`);
    counter = 0;
    okEntries = 0;
    failures.length = 0;
    const m0 = Date.now();
    lastResponseAt = m0;
    const run = await cannon(txOpts(bodies.length * reps));
    // Until the last answer: autocannon itself only notices the end of a fixed-amount run on its
    // next one-second tick, so its duration (and the wall time around it) is rounded up.
    const wall = (lastResponseAt - m0) / 1000;
    log(`(d) ${bodies.length * reps} bundles, ${okEntries} entries created in ${wall.toFixed(2)} s wall (autocannon: ${run.result.duration} s)`);
    // Resources per wall-clock second: autocannon's duration of a fixed-amount run is coarse.
    figure(`(d) Synthea transactions (${bodies.length} bundles x${reps})`, run, {
      resourcesPerSec: wall > 0 ? okEntries / wall : 0,
      note: failures.length ? `failures: ${failures.join(' | ')}` : undefined,
    });
  } finally {
    if (server) {
      const s = server as Child;
      await s.stop();
      if (process.env.BENCH_SHOW_SERVER_LOG) log(s.output.join('\n'));
    }
    await fsp.rm(dataDir, { recursive: true, force: true });
  }

  report(rows);
}

function report(rows: Record<string, Map<number, Figure>>): void {
  const out: string[] = [];
  out.push('');
  out.push(`FHIR server benchmark, ${new Date().toISOString()}`);
  out.push(`machine: ${machine()}`);
  out.push(`phases: ${SECONDS} s measured after ${WARMUP} s warm-up; loopback 127.0.0.1; servers as child processes, NODE_ENV=production`);
  out.push('');
  out.push('| phase | connections | req/s | p50 ms | p99 ms | resources/s | 2xx | seconds | non-2xx | errors |');
  out.push('|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
  for (const f of figures) {
    out.push(
      `| ${f.phase} | ${f.connections} | ${fmt(f.rps)} | ${fmt(f.p50, 2)} | ${fmt(f.p99, 2)} | ${fmt(f.resourcesPerSec)} | ${f.ok} | ${fmt(f.seconds, 2)} | ${f.non2xx} | ${f.errors} |`,
    );
  }
  for (const f of figures) if (f.note) out.push(`note ${f.phase} c=${f.connections}: ${f.note}`);
  out.push('');

  const a = rows.a!.get(CONNECTIONS);
  const b = rows.b!.get(CONNECTIONS);
  const c = rows.c!.get(CONNECTIONS);
  const d = figures.find((f) => f.phase.startsWith('(d)'));
  const ratio = a && b && a.rps > 0 ? b.rps / a.rps : NaN;
  const verdict = (ok: boolean): string => (ok ? 'PASS' : 'FAIL');
  out.push(`(b)/(a) at ${CONNECTIONS} connections = ${fmt(ratio, 2)}   target >= ${TARGETS.readRatio}   ${verdict(ratio >= TARGETS.readRatio)}`);
  out.push(`(c) creates/s = ${fmt(c?.rps)}   target >= ${TARGETS.createsPerSec}   ${verdict((c?.rps ?? 0) >= TARGETS.createsPerSec && (c?.errors ?? 1) === 0)}`);
  out.push(`(d) resources/s = ${fmt(d?.resourcesPerSec)}   target >= ${TARGETS.resourcesPerSec}   ${verdict((d?.resourcesPerSec ?? 0) >= TARGETS.resourcesPerSec)}`);
  if (SWEEP.length) {
    for (const conns of CONNECTION_SET) {
      const aa = rows.a!.get(conns);
      const bb = rows.b!.get(conns);
      if (aa && bb) out.push(`  sweep c=${conns}: (b)/(a) = ${fmt(bb.rps / aa.rps, 2)}, (a) p99 ${fmt(aa.p99, 2)} ms, (b) p99 ${fmt(bb.p99, 2)} ms, (c) ${fmt(rows.c!.get(conns)?.rps)} creates/s`);
    }
  }
  process.stdout.write(out.join('\n') + '\n');
}

main().then(
  () => process.exit(0),
  (err) => {
    process.stderr.write(`[bench] could not run: ${(err as Error).stack ?? String(err)}\n`);
    process.exit(1);
  },
);
