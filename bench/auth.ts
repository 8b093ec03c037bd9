/**
 * What checking the bearer token costs a read (issue 4: at least 85 % of the same read without
 * auth). `npm run bench:auth`.
 *
 * The same app (bench/auth-server.ts) runs twice as a child process on a fresh embedded store, one
 * after the other: once exactly as served (every request carries a bootstrap-client bearer token:
 * signature checked once per token, expiry and revocation on every request), once built without
 * token checks. Each gets BENCH_PATIENTS Patients and GET /fhir/Patient/{id} at random ids,
 * BENCH_CONNECTIONS connections, BENCH_SECONDS (+ warm-up). Prints both and the ratio.
 */
import fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { BOOTSTRAP_ENV, bootstrapAuthorization, startChild, type Child } from './child.js';
import { num } from './env.js';
import { cannon, fmt, log, machine, rotating } from './measure.js';
import { samplePatient } from './fixtures.js';

const SECONDS = num('BENCH_SECONDS', 10);
const WARMUP = num('BENCH_WARMUP_SECONDS', 2);
const CONNECTIONS = num('BENCH_CONNECTIONS', 25);
const PATIENTS = num('BENCH_PATIENTS', 1000);
const TARGET = 0.85;
const FHIR_JSON = 'application/fhir+json';

async function createPatients(base: string, headers: Record<string, string>): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < PATIENTS; i += 50) {
    const entry = Array.from({ length: Math.min(50, PATIENTS - i) }, (_, k) => ({ resource: samplePatient(i + k), request: { method: 'POST', url: 'Patient' } }));
    const res = await fetch(base, { method: 'POST', headers: { 'content-type': FHIR_JSON, ...headers }, body: JSON.stringify({ resourceType: 'Bundle', type: 'batch', entry }) });
    const body = (await res.json()) as { entry?: Array<{ response?: { location?: string } }> };
    if (res.status !== 200) throw new Error(`batch create answered ${res.status}: ${JSON.stringify(body).slice(0, 300)}`);
    for (const e of body.entry ?? []) {
      const m = /Patient\/([^/]+)\//.exec(e.response?.location ?? '');
      if (m) ids.push(m[1]);
    }
  }
  return ids;
}

async function measureReads(unchecked: boolean): Promise<{ rps: number; p50: number; non2xx: number }> {
  const dataDir = await fsp.mkdtemp(path.join(os.tmpdir(), 'fhir-bench-auth-'));
  let server: Child | undefined;
  try {
    server = await startChild(unchecked ? 'unchecked' : 'bearer', 'bench/auth-server.ts', (port, origin) => ({
      PORT: String(port), FHIR_DATA_DIR: dataDir, FHIR_BASE_URL: `${origin}/fhir`, ...BOOTSTRAP_ENV, ...(unchecked ? { BENCH_UNCHECKED_ACCESS: '1' } : {}),
    }));
    const headers: Record<string, string> = unchecked ? {} : { authorization: await bootstrapAuthorization(server.origin) };
    const ids = await createPatients(`${server.origin}/fhir`, headers);
    const opts = { url: server.origin, connections: CONNECTIONS, headers: { accept: FHIR_JSON, ...headers }, requests: [{ method: 'GET' as const, setupRequest: rotating(ids.map((id) => `/fhir/Patient/${id}`)) }] };
    if (WARMUP > 0) await cannon({ ...opts, duration: WARMUP });
    const run = await cannon({ ...opts, duration: SECONDS });
    const r = run.result;
    const rps = r['2xx'] / r.duration;
    log(`${unchecked ? 'without auth  ' : 'bearer token  '} ${rps.toFixed(0)} req/s, p50 ${fmt(run.p50, 2)} ms (non-2xx ${r.non2xx}, errors ${r.errors})`);
    return { rps, p50: run.p50, non2xx: r.non2xx + r.errors };
  } finally {
    await server?.stop();
    await fsp.rm(dataDir, { recursive: true, force: true });
  }
}

log(`machine: ${machine()}`);
log(`GET /fhir/Patient/{id}, ${PATIENTS} Patients, ${CONNECTIONS} connections, ${SECONDS} s (+${WARMUP} s warm-up)`);
const open = await measureReads(true);
const bearer = await measureReads(false);
const ratio = bearer.rps / open.rps;
const verdict = ratio >= TARGET && bearer.non2xx === 0 ? 'PASS' : 'FAIL';
process.stdout.write(`\n| read by id | req/s | p50 ms |\n|---|---:|---:|\n| without auth | ${open.rps.toFixed(0)} | ${fmt(open.p50, 2)} |\n| bearer token | ${bearer.rps.toFixed(0)} | ${fmt(bearer.p50, 2)} |\n\nratio ${ratio.toFixed(3)} (target >= ${TARGET}): ${verdict}\n`);
