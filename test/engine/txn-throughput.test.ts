/**
 * Embedded engine: throughput of small 3-collection transactions (the FHIR write path: current
 * version, history, search index) with concurrent callers. Each transaction is its own durable
 * commit; pipelining lets the next transaction execute while earlier commits are in flight.
 * Reported as a diagnostic (transactions/s and main-thread utilisation); the assertion is a loose
 * floor so slow CI machines do not flake.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import { test } from 'node:test';
import { performance } from 'node:perf_hooks';
import type { Database } from '../../src/store/database.js';
import { openEmbeddedDatabase } from '../../src/store/embedded/engine.js';
import { tempDir } from './harness.js';

const TAGS = Array.from({ length: 15 }, (_, i) => `tag-${i}`);

async function run(db: Database, prefix: string, total: number, concurrency: number): Promise<{ perSecond: number; busy: number }> {
  const [a, b, c] = ['a', 'b', 'c'].map((n) => db.collection(n));
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < total) {
      const i = next++;
      const id = `${prefix}-${i}`;
      await db.withTransaction(async (session) => {
        await a.insertOne({ _id: id, id, kind: 'Patient', version: 1, text: 'x'.repeat(200) }, { session });
        await b.insertOne({ _id: `${id}/1`, ref: id, version: 1, at: new Date() }, { session });
        await c.insertOne({ _id: `${id}-s`, ref: id, kind: 'Patient', tags: TAGS.map((t) => `${t}-${i % 50}`) }, { session });
      });
    }
  };
  const elu = performance.eventLoopUtilization();
  const start = performance.now();
  await Promise.all(Array.from({ length: concurrency }, worker));
  const seconds = (performance.now() - start) / 1000;
  return { perSecond: total / seconds, busy: performance.eventLoopUtilization(elu).utilization };
}

test('concurrent 3-collection transactions with secondary and multikey indexes', async (t) => {
  const dir = await tempDir();
  const db = await openEmbeddedDatabase(dir);
  try {
    await db.collection('a').createIndex({ id: 1 }, { unique: true });
    await db.collection('a').createIndex({ kind: 1 });
    await db.collection('b').createIndex({ ref: 1, version: 1 }, { unique: true });
    await db.collection('c').createIndex({ ref: 1 });
    await db.collection('c').createIndex({ tags: 1 });
    await run(db, 'warm', 300, 8);
    const total = 3000;
    let done = 300;
    for (const concurrency of [8, 16, 32]) {
      const { perSecond, busy } = await run(db, `c${concurrency}`, total, concurrency);
      done += total;
      t.diagnostic(`${Math.round(perSecond)} transactions/s at concurrency ${concurrency} (main thread ${Math.round(busy * 100)}% busy)`);
      assert.ok(perSecond > 200, `${Math.round(perSecond)} transactions/s`);
    }
    for (const n of ['a', 'b', 'c']) assert.equal(await db.collection(n).countDocuments({}), done);
    assert.equal(await db.collection('c').countDocuments({ tags: 'tag-3-7' }), done / 50);
  } finally {
    await db.close();
    await fs.rm(dir, { recursive: true, force: true });
  }
});
