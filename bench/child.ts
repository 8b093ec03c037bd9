/**
 * Starts a server script as a child process (`node --import tsx <script>`) on a free loopback port
 * and waits for GET /readyz to answer 200.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { TEST_BOOTSTRAP, bootstrapAuthorization, freePort } from '../test/helpers/server.js';

export { freePort };

/** The bootstrap client the benchmarked FHIR servers start with, and how to get its token. */
export const BOOTSTRAP_ENV = { FHIR_BOOTSTRAP_CLIENT_ID: TEST_BOOTSTRAP.id, FHIR_BOOTSTRAP_CLIENT_SECRET: TEST_BOOTSTRAP.secret };
export { bootstrapAuthorization };
export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

export interface Child {
  name: string;
  child: ChildProcess;
  origin: string;
  output: string[];
  stop(): Promise<void>;
}

const running = new Set<ChildProcess>();
process.on('exit', () => {
  for (const c of running) c.kill('SIGKILL');
});

/** `env` may be a function of the chosen port and origin (e.g. for FHIR_BASE_URL). */
export async function startChild(
  name: string,
  script: string,
  env: Record<string, string> | ((port: number, origin: string) => Record<string, string>),
  readyTimeoutMs = 60_000,
): Promise<Child> {
  const port = await freePort();
  const origin = `http://127.0.0.1:${port}`;
  const extra = typeof env === 'function' ? env(port, origin) : env;
  const childEnv: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined) childEnv[k] = v;
  delete childEnv.MONGODB_URI;
  Object.assign(childEnv, { NODE_ENV: 'production', LOG_LEVEL: 'warn', ...extra, PORT: String(port) });
  const child = spawn(process.execPath, ['--import', 'tsx', script], { cwd: repoRoot, env: childEnv, stdio: ['ignore', 'pipe', 'pipe'] });
  running.add(child);
  const output: string[] = [];
  const collect = (b: Buffer): void => {
    for (const line of b.toString('utf8').split('\n')) if (line) output.push(line);
    if (output.length > 200) output.splice(0, output.length - 200);
  };
  child.stdout!.on('data', collect);
  child.stderr!.on('data', collect);
  let alive = true;
  const exited = new Promise<void>((resolve) =>
    child.on('exit', () => {
      alive = false;
      running.delete(child);
      resolve();
    }),
  );
  const stop = async (): Promise<void> => {
    if (!alive) return;
    child.kill('SIGTERM');
    const t = setTimeout(() => child.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(t);
  };
  const deadline = Date.now() + readyTimeoutMs;
  while (Date.now() < deadline) {
    if (!alive) throw new Error(`${name} exited before it was ready:\n${output.slice(-30).join('\n')}`);
    try {
      const res = await fetch(`${origin}/readyz`, { signal: AbortSignal.timeout(2000) });
      await res.arrayBuffer();
      if (res.status === 200) return { name, child, origin, output, stop };
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  await stop();
  throw new Error(`${name} not ready after ${readyTimeoutMs} ms:\n${output.slice(-30).join('\n')}`);
}
