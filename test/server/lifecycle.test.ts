/**
 * The server as a process: bad configuration stops start-up with one line, a request is logged as
 * one line, and SIGTERM finishes in-flight requests before closing the store.
 */
import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { readFileSync } from 'node:fs';
import { repoRoot, startServer, stopServer, type ChildServer } from '../helpers/server.js';

const dirs: string[] = [];
async function tempDir(): Promise<string> {
  const d = await fs.mkdtemp(path.join(os.tmpdir(), 'fhir-life-'));
  dirs.push(d);
  return d;
}
after(async () => {
  for (const d of dirs) await fs.rm(d, { recursive: true, force: true });
});

describe('start-up configuration', () => {
  for (const [name, value] of [['PORT', 'eighty'], ['FHIR_MAX_BODY', 'huge'], ['LOG_LEVEL', 'chatty']]) {
    it(`${name}=${value} stops start-up with one clear line`, () => {
      const env: Record<string, string> = { ...process.env, [name]: value } as Record<string, string>;
      delete env.NODE_TEST_CONTEXT;
      const r = spawnSync(process.execPath, ['--import', 'tsx', 'src/main.ts'], { cwd: repoRoot, env, encoding: 'utf8', timeout: 30_000 });
      assert.equal(r.status, 1, r.stderr);
      const lines = r.stderr.trim().split('\n');
      assert.equal(lines.length, 1, r.stderr);
      assert.match(lines[0], new RegExp(name));
    });
  }
});

describe('a running server', () => {
  let server: ChildServer | undefined;
  after(() => stopServer(server, 'SIGKILL'));

  it('logs one line per request with method, path, status and ms', async () => {
    server = await startServer({ dataDir: await tempDir(), env: { LOG_LEVEL: 'info' } });
    const res = await fetch(`${server.base}/Patient/does-not-exist`, { headers: { authorization: server.authorization } });
    assert.equal(res.status, 404);
    await res.arrayBuffer();
    await new Promise((r) => setTimeout(r, 200));
    const line = server.output.map((l) => { try { return JSON.parse(l); } catch { return undefined; } })
      .find((j) => j?.path === '/fhir/Patient/does-not-exist');
    assert.ok(line, server.output.join('\n'));
    assert.equal(line.method, 'GET');
    assert.equal(line.status, 404);
    assert.equal(typeof line.ms, 'number');
  });

  it('finishes in-flight requests on SIGTERM, then exits 0', async () => {
    assert.ok(server);
    const bundle = readFileSync(path.resolve(repoRoot, '../shared/data/synthea/patient-01.json'), 'utf8');
    const inflight = fetch(server.base, { method: 'POST', headers: { 'Content-Type': 'application/fhir+json', authorization: server.authorization }, body: bundle });
    await new Promise((r) => setTimeout(r, 30));
    const stopped = stopServer(server, 'SIGTERM', 20_000);
    const res = await inflight;
    assert.equal(res.status, 200);
    const body = (await res.json()) as fhir4.Bundle;
    assert.equal(body.type, 'transaction-response');
    const exit = await stopped;
    assert.equal(exit.timedOut, false);
    assert.equal(exit.code, 0);
    // New connections are refused once it stopped.
    await assert.rejects(fetch(`${server.origin}/healthz`));
  });
});
