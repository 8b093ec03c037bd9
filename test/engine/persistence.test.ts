import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { isDuplicateKeyError } from '../../src/store/database.js';
import { openEmbeddedDatabase } from '../../src/store/embedded/engine.js';
import { describeEngines, tempDir, withDb } from './harness.js';

describeEngines('persistence', (engine) => {
  test('data, indexes and unique constraints survive close and reopen', () =>
    withDb(engine, async (db, t) => {
      const c = db.collection('p');
      await c.createIndex({ email: 1 }, { unique: true });
      await c.insertMany([
        { _id: 'a', email: 'a@x', when: new Date(5000), list: [1, { b: null }] },
        { _id: 'b', email: 'b@x' },
      ]);
      await c.updateOne({ _id: 'b' }, { $set: { n: 1 } });
      await c.deleteOne({ _id: 'b' });
      const db2 = await t.reopen();
      const c2 = db2.collection('p');
      assert.deepEqual(await c2.findOne({ email: 'a@x' }), { _id: 'a', email: 'a@x', when: new Date(5000), list: [1, { b: null }] });
      assert.equal(await c2.countDocuments({}), 1);
      await assert.rejects(c2.insertOne({ email: 'a@x' }), (e) => isDuplicateKeyError(e));
      assert.equal(await c2.createIndex({ email: 1 }, { unique: true }), 'email_1');
      await c2.insertOne({ _id: 'b', email: 'b@x' });
    }));

  test('2,000 concurrent inserts all land and survive reopen', () =>
    withDb(engine, async (db, t) => {
      const c = db.collection('many');
      await c.createIndex({ k: 1 }, { unique: true });
      const results = await Promise.all(Array.from({ length: 2000 }, (_, i) => c.insertOne({ _id: `d${i}`, k: i })));
      assert.equal(new Set(results.map((r) => r.insertedId)).size, 2000);
      assert.equal(await c.countDocuments({}), 2000);
      const db2 = await t.reopen();
      const c2 = db2.collection('many');
      assert.equal(await c2.countDocuments({}), 2000);
      assert.equal(await c2.countDocuments({ k: { $gte: 1000 } }), 1000);
      assert.equal((await c2.findOne({ k: 1234 }))?._id, 'd1234');
    }));
});

const writer = path.join(path.dirname(fileURLToPath(import.meta.url)), 'crash-writer.ts');

test('SIGKILL during multi-document writes never leaves a half-applied write [embedded]', async () => {
  const dir = await tempDir();
  try {
    const child = spawn(process.execPath, ['--import', 'tsx', writer, dir], { stdio: ['ignore', 'pipe', 'inherit'] });
    await new Promise<void>((resolve, reject) => {
      child.stdout.on('data', (chunk: Buffer) => {
        if (chunk.toString().includes('ready')) resolve();
      });
      child.on('exit', (code) => reject(new Error(`writer exited early with ${code}`)));
    });
    await new Promise((r) => setTimeout(r, 400));
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));

    const db = await openEmbeddedDatabase(dir);
    try {
      const docs = db.collection('docs');
      const all = await docs.find({ batch: { $exists: true } }, { projection: { batch: 1 } }).toArray();
      const perBatch = new Map<number, number>();
      for (const d of all) perBatch.set(d.batch as number, (perBatch.get(d.batch as number) ?? 0) + 1);
      assert.ok(perBatch.size > 0, 'some batches committed');
      if (process.env.DEBUG_CRASH) console.log('batches', perBatch.size, 'txns', await db.collection('left').countDocuments({}));
      for (const [b, n] of perBatch) assert.equal(n, 50, `batch ${b} has ${n} of 50 documents`);
      for (const b of [...perBatch.keys()].slice(0, 20)) assert.equal(await docs.countDocuments({ batch: b }), 50);
      const left = await db.collection('left').countDocuments({});
      assert.equal(await db.collection('right').countDocuments({}), 2 * left);
      assert.equal((await docs.findOne({ _id: 'counter' }))?.n ?? 0, left);
      await assert.rejects(docs.insertOne({ key: all.length ? `k${all[0].batch as number}-0` : 'k0-0' }), (e) => isDuplicateKeyError(e) || all.length === 0);
    } finally {
      await db.close();
    }
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
});
