/**
 * Embedded engine: sustained single-document insert throughput with concurrency (each insert is
 * its own durable commit; lmdb groups concurrent commits). Reported as a diagnostic; the assertion
 * is a loose floor so slow CI machines do not flake (the target on a 2-core box is > 5,000/s).
 */
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import { test } from 'node:test';
import { openEmbeddedDatabase } from '../../src/store/embedded/engine.js';
import { tempDir } from './harness.js';

test('concurrent single inserts with two indexes', async (t) => {
  const dir = await tempDir();
  const db = await openEmbeddedDatabase(dir);
  try {
    const c = db.collection('Observation');
    await c.createIndex({ id: 1 }, { unique: true });
    await c.createIndex({ 'idx.code': 1 });
    const total = 10_000;
    const concurrency = 32;
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < total) {
        const i = next++;
        await c.insertOne({ id: `o${i}`, status: 'final', idx: { code: [`c${i % 100}`, 'any'] }, value: i, text: 'x'.repeat(300) });
      }
    };
    const start = performance.now();
    await Promise.all(Array.from({ length: concurrency }, worker));
    const perSecond = total / ((performance.now() - start) / 1000);
    t.diagnostic(`${Math.round(perSecond)} inserts/s (concurrency ${concurrency})`);
    assert.equal(await c.countDocuments({}), total);
    assert.ok(perSecond > 1000, `${Math.round(perSecond)} inserts/s`);
  } finally {
    await db.close();
    await fs.rm(dir, { recursive: true, force: true });
  }
});
