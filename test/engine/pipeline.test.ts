/**
 * Embedded engine: pipelined transactions. A transaction that starts while earlier transactions'
 * commits are still queued in lmdb reads through their layers (instead of waiting for them), is
 * committed behind them, and fails (writing nothing) if one of them fails.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import { test } from 'node:test';
import { isDuplicateKeyError, type Database } from '../../src/store/database.js';
import { embeddedStats, openEmbeddedDatabase } from '../../src/store/embedded/engine.js';
import type { EngineStats } from '../../src/store/embedded/store.js';
import { ids, tempDir } from './harness.js';

async function withEmbedded(fn: (db: Database, stats: EngineStats) => Promise<void>): Promise<void> {
  const dir = await tempDir();
  let db = await openEmbeddedDatabase(dir);
  try {
    await fn(db, embeddedStats(db) as EngineStats);
    // everything acknowledged is durable and survives a reopen
    await db.close();
    db = await openEmbeddedDatabase(dir);
  } finally {
    await db.close();
    await fs.rm(dir, { recursive: true, force: true });
  }
}

const isDependencyFailure = (e: unknown): boolean => {
  const err = e as { code?: number; errorLabels?: string[]; message?: string };
  return err.code === 112 && !!err.errorLabels?.includes('TransientTransactionError') && /whose commit failed/.test(err.message ?? '');
};

test('concurrent read-modify-write transactions through pending layers lose no update', () =>
  withEmbedded(async (db, stats) => {
    const ctr = db.collection('ctr');
    const log = db.collection('log');
    await log.createIndex({ n: 1 }, { unique: true });
    await ctr.insertOne({ _id: 'c', n: 0 });
    const total = 300;
    const before = stats.pipelinedTxns;
    const seen = await Promise.all(
      Array.from({ length: total }, () =>
        db.withTransaction(async (session) => {
          const cur = await ctr.findOne({ _id: 'c' }, { session });
          const n = (cur?.n as number) + 1;
          await ctr.updateOne({ _id: 'c' }, { $set: { n } }, { session });
          await log.insertOne({ _id: `e${n}`, n }, { session }); // a lost update would collide here
          return n;
        }),
      ),
    );
    assert.deepEqual([...seen].sort((a, b) => a - b), Array.from({ length: total }, (_, i) => i + 1));
    assert.equal((await ctr.findOne({ _id: 'c' }))?.n, total);
    assert.equal(await log.countDocuments({}), total);
    assert.ok(stats.pipelinedTxns - before > total / 2, `only ${stats.pipelinedTxns - before} transactions were pipelined`);
  }));

test('a transaction started while another commit is pending sees its writes', () =>
  withEmbedded(async (db, stats) => {
    const c = db.collection('c');
    await c.createIndex({ tag: 1 });
    await c.createIndex({ key: 1 }, { unique: true });
    await c.insertMany([
      { _id: 'old', tag: 'x', key: 'k0', n: 0 },
      { _id: 'gone', tag: 'x', key: 'k9', n: 9 },
    ]);
    const t1 = db.withTransaction(async (session) => {
      await c.insertOne({ _id: 'd', tag: 'x', key: 'k1', n: 1 }, { session });
      await c.deleteOne({ _id: 'gone' }, { session });
      await c.updateOne({ _id: 'old' }, { $set: { tag: 'y' } }, { session });
    });
    const pipelined = stats.pipelinedTxns;
    const t2 = db.withTransaction(async (session) => {
      // T1 is queued, not committed: invisible without the session, visible with it
      assert.equal(await c.findOne({ _id: 'd' }), null);
      assert.equal((await c.findOne({ _id: 'd' }, { session }))?.n, 1);
      assert.deepEqual(ids(await c.find({ tag: 'x' }, { session, sort: { _id: 1 } }).toArray()), ['d']);
      assert.deepEqual(ids(await c.find({ tag: 'y' }, { session }).toArray()), ['old']);
      assert.equal(await c.countDocuments({}, { session }), 2);
      // unique checks see the pending layer: T1 freed 'k9' and took 'k1'
      await assert.rejects(c.insertOne({ _id: 'e', key: 'k1' }, { session }), (e) => isDuplicateKeyError(e));
      await c.insertOne({ _id: 'e', tag: 'x', key: 'k9', n: 5 }, { session });
      await c.updateOne({ _id: 'd' }, { $inc: { n: 10 } }, { session });
      return stats.pipelinedTxns - pipelined;
    });
    await t1;
    assert.equal(await t2, 1, 'T2 started while T1 was pending');
    assert.deepEqual(await c.find({}, { sort: { _id: 1 } }).toArray(), [
      { _id: 'd', tag: 'x', key: 'k1', n: 11 },
      { _id: 'e', tag: 'x', key: 'k9', n: 5 },
      { _id: 'old', tag: 'y', key: 'k0', n: 0 },
    ]);
    assert.deepEqual(ids(await c.find({ tag: 'x' }, { sort: { _id: 1 } }).toArray()), ['d', 'e']);
  }));

test('when a pending commit fails, the transactions that read through it fail and write nothing', () =>
  withEmbedded(async (db) => {
    const c = db.collection('c');
    const other = db.collection('other');
    await c.createIndex({ k: 1 }, { unique: true });
    // T1 passes its unique checks while it runs, but a plain write made from inside its callback
    // context (no session, so it commits on its own at once) takes the same key: T1's commit is
    // rejected at apply time by the final unique check.
    const t1 = db.withTransaction(async (session) => {
      await c.insertOne({ _id: 'a', k: 1 }, { session });
      await c.insertOne({ _id: 'b', k: 1 });
    });
    // T2 reads T1's pending insert; T3 reads T2's pending insert only; T4 is read-only.
    const t2 = db.withTransaction(async (session) => {
      const a = await c.findOne({ _id: 'a' }, { session });
      assert.ok(a, "T2 sees T1's pending write");
      await other.insertOne({ _id: 'x', from: a._id }, { session });
    });
    const t3 = db.withTransaction(async (session) => {
      assert.ok(await other.findOne({ _id: 'x' }, { session }));
      await other.insertOne({ _id: 'y' }, { session });
    });
    const t4 = db.withTransaction(async (session) => other.countDocuments({}, { session }));
    const results = await Promise.allSettled([t1, t2, t3, t4]);
    assert.equal(results[0].status, 'rejected');
    assert.ok(isDuplicateKeyError((results[0] as PromiseRejectedResult).reason));
    for (const r of results.slice(1)) {
      assert.equal(r.status, 'rejected');
      assert.ok(isDependencyFailure((r as PromiseRejectedResult).reason), String((r as PromiseRejectedResult).reason));
    }
    assert.deepEqual(await c.find({}).toArray(), [{ _id: 'b', k: 1 }]);
    assert.equal(await other.countDocuments({}), 0);
    // the failure does not stick: a retry runs against the real state
    await db.withTransaction(async (session) => {
      assert.equal(await c.findOne({ _id: 'a' }, { session }), null);
      await other.insertOne({ _id: 'z' }, { session });
    });
    assert.deepEqual(ids(await other.find({}).toArray()), ['z']);
  }));

test('a plain write pending when a transaction starts is seen by it', () =>
  withEmbedded(async (db) => {
    const c = db.collection('c');
    await c.insertOne({ _id: 'n', n: 0 });
    const work: Promise<unknown>[] = [];
    for (let i = 0; i < 50; i++) {
      work.push(c.updateOne({ _id: 'n' }, { $inc: { n: 1 } }));
      work.push(db.withTransaction(async (session) => {
        const cur = await c.findOne({ _id: 'n' }, { session });
        await c.replaceOne({ _id: 'n' }, { n: (cur?.n as number) + 1 }, { session });
      }));
    }
    await Promise.all(work);
    assert.equal((await c.findOne({ _id: 'n' }))?.n, 100);
  }));

test('sorted, limited finds through pending and own layers still walk the index', () =>
  withEmbedded(async (db, stats) => {
    const c = db.collection('c');
    await c.createIndex({ at: 1 });
    const model = new Map<string, number>();
    const docs = Array.from({ length: 200 }, (_, i) => ({ _id: `d${i}`, at: i * 10 }));
    await c.insertMany(docs);
    for (const d of docs) model.set(d._id, d.at);
    const t1 = db.withTransaction(async (session) => {
      await c.updateOne({ _id: 'd5' }, { $set: { at: 5000 } }, { session }); // moves to the top
      await c.deleteOne({ _id: 'd199' }, { session });
      await c.insertOne({ _id: 'n1', at: 1985 }, { session });
    });
    const expected = (filter: (at: number) => boolean, dir: 1 | -1, skip: number, limit: number): string[] =>
      [...model].filter(([, at]) => filter(at)).sort((a, b) => dir * (a[1] - b[1])).slice(skip, skip + limit).map(([id]) => id);
    const t2 = db.withTransaction(async (session) => {
      await c.insertOne({ _id: 'n2', at: 1984 }, { session });
      await c.updateOne({ _id: 'd198' }, { $set: { at: -1 } }, { session });
      model.set('d5', 5000).delete('d199');
      model.set('n1', 1985).set('n2', 1984).set('d198', -1);
      const scans = stats.collectionScans;
      assert.deepEqual(ids(await c.find({}, { sort: { at: -1 }, skip: 1, limit: 4, session }).toArray()), expected(() => true, -1, 1, 4));
      assert.deepEqual(ids(await c.find({}, { sort: { at: 1 }, limit: 3, session }).toArray()), expected(() => true, 1, 0, 3));
      assert.deepEqual(
        ids(await c.find({ at: { $gte: 1900 } }, { sort: { at: 1 }, limit: 6, session }).toArray()),
        expected((at) => at >= 1900, 1, 0, 6),
      );
      assert.equal(stats.collectionScans, scans, 'answered in index order');
    });
    await Promise.all([t1, t2]);
    assert.deepEqual(ids(await c.find({}, { sort: { at: -1 }, limit: 4 }).toArray()), expected(() => true, -1, 0, 4));
  }));

test('indexed queries through pending and own layers match the committed result', () =>
  withEmbedded(async (db) => {
    const c = db.collection('q');
    await c.createIndex({ tag: 1 });
    await c.createIndex({ tags: 1 });
    await c.createIndex({ n: 1 });
    const doc = (i: number) => ({ _id: `d${i}`, tag: ['x', 'y', 'z'][i % 3], tags: [`t${i % 10}`, `t${(i * 7) % 10}`], n: i });
    await c.insertMany(Array.from({ length: 30 }, (_, i) => doc(i)));
    const filters = [
      {}, { tag: 'x' }, { tags: 't3' }, { tags: { $in: ['t1', 't9'] } }, { n: { $gt: 25 } }, { n: { $gte: 2, $lt: 7 } },
      { $or: [{ tag: 'y' }, { _id: 'd3' }] }, { _id: { $in: ['d1', 'd4', 'n2', 'zz'] } }, { _id: { $gte: 'd5' } }, { tag: 'x', n: { $lt: 10 } },
    ];
    const t1 = db.withTransaction(async (session) => {
      await c.insertMany([{ _id: 'n1', tag: 'x', tags: ['t3', 't1'], n: 3 }, { _id: 'n2', tag: 'q', tags: [], n: 40 }], { session });
      await c.updateOne({ _id: 'd4' }, { $set: { tag: 'x', tags: ['t9'] }, $inc: { n: 100 } }, { session });
      await c.deleteMany({ n: { $in: [1, 3, 26] } }, { session });
    });
    const inside = db.withTransaction(async (session) => {
      await c.updateOne({ _id: 'n1' }, { $set: { tags: ['t1', 't5'] } }, { session });
      await c.replaceOne({ _id: 'd6' }, { tag: 'y', tags: ['t3'], n: 5 }, { session });
      await c.deleteOne({ _id: 'd9' }, { session });
      await c.insertOne({ _id: 'n3', tag: 'x', tags: ['t3', 't3', 't9'], n: 27 }, { session });
      const out: unknown[][] = [];
      for (const f of filters) {
        out.push(ids(await c.find(f, { session, sort: { _id: 1 } }).toArray()));
        out.push([await c.countDocuments(f, { session })]);
      }
      return out;
    });
    await t1;
    const got = await inside;
    const expected: unknown[][] = [];
    for (const f of filters) {
      expected.push(ids(await c.find(f, { sort: { _id: 1 } }).toArray()));
      expected.push([await c.countDocuments(f)]);
    }
    assert.deepEqual(got, expected);
  }));
