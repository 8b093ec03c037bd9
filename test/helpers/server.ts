/**
 * Runs the real server (`node --import tsx src/main.ts`) as a child process on a given data dir, for
 * tests that need a process boundary (crash, restart, graceful stop).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import crypto from 'node:crypto';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

export interface ChildServer {
  child: ChildProcess;
  port: number;
  origin: string;
  /** FHIR base, e.g. http://127.0.0.1:PORT/fhir */
  base: string;
  /** Last lines the child wrote on stdout/stderr (JSON log lines), for diagnostics. */
  output: string[];
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  isRunning(): boolean;
  /**
   * `Bearer <token>` of the bootstrap client (client_credentials, system/*.cruds), fetched once the
   * server is ready: FHIR requests send it as their Authorization header.
   */
  authorization: string;
}

/** The bootstrap client the child servers are started with (a fresh secret per test process). */
export const TEST_BOOTSTRAP = { id: 'test-bootstrap', secret: crypto.randomBytes(24).toString('base64url') };

/** A bootstrap-client token from a running server's /oauth/token. */
export async function bootstrapAuthorization(origin: string): Promise<string> {
  const res = await fetch(`${origin}/oauth/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${Buffer.from(`${TEST_BOOTSTRAP.id}:${TEST_BOOTSTRAP.secret}`).toString('base64')}` },
    body: 'grant_type=client_credentials&scope=system%2F*.cruds',
    signal: AbortSignal.timeout(10_000),
  });
  const body = (await res.json()) as { access_token?: string };
  if (res.status !== 200 || !body.access_token) throw new Error(`no bootstrap token: ${res.status} ${JSON.stringify(body)}`);
  return `Bearer ${body.access_token}`;
}

export interface StartOptions {
  dataDir: string;
  env?: Record<string, string>;
  /** How long to wait for GET /readyz to answer 200. */
  readyTimeoutMs?: number;
}

export async function startServer(opts: StartOptions): Promise<ChildServer> {
  const port = await freePort();
  const origin = `http://127.0.0.1:${port}`;
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined) env[k] = v;
  delete env.MONGODB_URI; // the embedded engine on FHIR_DATA_DIR, whatever the caller's env says
  delete env.NODE_TEST_CONTEXT; // the child is not a node:test subprocess
  Object.assign(env, {
    PORT: String(port),
    FHIR_DATA_DIR: opts.dataDir,
    LOG_LEVEL: 'warn',
    FHIR_BASE_URL: `${origin}/fhir`,
    FHIR_BOOTSTRAP_CLIENT_ID: TEST_BOOTSTRAP.id,
    FHIR_BOOTSTRAP_CLIENT_SECRET: TEST_BOOTSTRAP.secret,
    ...opts.env,
  });
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    cwd: repoRoot,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output: string[] = [];
  const collect = (chunk: Buffer): void => {
    for (const line of chunk.toString('utf8').split('\n')) {
      if (!line) continue;
      output.push(line);
      if (output.length > 200) output.shift();
    }
  };
  child.stdout!.on('data', collect);
  child.stderr!.on('data', collect);
  let running = true;
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.on('exit', (code, signal) => {
      running = false;
      resolve({ code, signal });
    });
  });
  const server: ChildServer = { child, port, origin, base: `${origin}/fhir`, output, exited, isRunning: () => running, authorization: '' };

  const deadline = Date.now() + (opts.readyTimeoutMs ?? 30_000);
  let last = '';
  while (Date.now() < deadline) {
    if (!running) throw new Error(`server exited before it was ready:\n${output.slice(-30).join('\n')}`);
    try {
      const res = await fetch(`${origin}/readyz`, { signal: AbortSignal.timeout(2000) });
      await res.arrayBuffer();
      if (res.status === 200) {
        server.authorization = await bootstrapAuthorization(origin);
        return server;
      }
      last = `readyz answered ${res.status}`;
    } catch (err) {
      last = String((err as Error).cause ?? err);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  child.kill('SIGKILL');
  throw new Error(`server not ready after ${opts.readyTimeoutMs ?? 30_000} ms (${last}):\n${output.slice(-30).join('\n')}`);
}

/** Sends `signal` and waits for the exit (SIGKILL after `timeoutMs` if it does not go). */
export async function stopServer(
  server: ChildServer | undefined,
  signal: NodeJS.Signals = 'SIGTERM',
  timeoutMs = 10_000,
): Promise<{ code: number | null; signal: NodeJS.Signals | null; timedOut: boolean }> {
  if (!server) return { code: null, signal: null, timedOut: false };
  if (!server.isRunning()) return { ...(await server.exited), timedOut: false };
  server.child.kill(signal);
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<'timeout'>((r) => {
    timer = setTimeout(() => r('timeout'), timeoutMs);
  });
  const first = await Promise.race([server.exited, timeout]);
  clearTimeout(timer);
  if (first === 'timeout') {
    server.child.kill('SIGKILL');
    return { ...(await server.exited), timedOut: true };
  }
  return { ...first, timedOut: false };
}
