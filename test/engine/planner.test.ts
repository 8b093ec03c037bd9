/** Embedded-engine specifics: index-backed lookups must not scan the collection. */
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import { after, before, describe, test } from 'node:test';
import type { Database, DbCollection } from '../../src/store/database.js';
import { embeddedStats, openEmbeddedDatabase } from '../../src/store/embedded/engine.js';
import type { EngineStats } from '../../src/store/embedded/store.js';
import { tempDir } from './harness.js';

const N = 20_000;

describe('embedded query planning', () => {
  let dir: string;
  let db: Database;
  let c: DbCollection;
  let stats: EngineStats;

  before(async () => {
    dir = await tempDir();
    db = await openEmbeddedDatabase(dir);
    stats = embeddedStats(db) as EngineStats;
    c = db.collection('Obs');
    await c.createIndex({ code: 1 });
    await c.createIndex({ id: 1, v: 1 }, { unique: true });
    await c.createIndex({ 'idx.tok': 1 });
    await c.createIndex({ at: 1 });
    const docs = Array.from({ length: N }, (_, i) => ({
      _id: `o${i}`,
      id: `r${i % 5000}`,
      v: Math.floor(i / 5000),
      code: `c${i % 1000}`,
      at: i,
      idx: { tok: [`t${i % 100}`, `all`] },
    }));
    for (let i = 0; i < N; i += 5000) await c.insertMany(docs.slice(i, i + 5000));
  });

  after(async () => {
    await db.close();
    await fs.rm(dir, { recursive: true, force: true });
  });

  const measure = async <T>(fn: () => Promise<T>): Promise<{ result: T; examined: number; scans: number }> => {
    const d0 = stats.docsExamined;
    const s0 = stats.collectionScans;
    const result = await fn();
    return { result, examined: stats.docsExamined - d0, scans: stats.collectionScans - s0 };
  };

  test('_id equality and $in are direct gets', async () => {
    const one = await measure(() => c.findOne({ _id: 'o123' }));
    assert.equal(one.result?.at, 123);
    assert.equal(one.examined, 1);
    const many = await measure(() => c.find({ _id: { $in: ['o1', 'o2', 'nope', 'o1'] } }).toArray());
    assert.equal(many.result.length, 2);
    assert.ok(many.examined <= 3);
    assert.equal(many.scans, 0);
  });

  test('equality on an indexed field reads only the matching documents', async () => {
    const r = await measure(() => c.find({ code: 'c42' }).toArray());
    assert.equal(r.result.length, N / 1000);
    assert.equal(r.examined, N / 1000);
    assert.equal(r.scans, 0);
    const cnt = await measure(() => c.countDocuments({ code: { $in: ['c1', 'c2'] }, at: { $lt: 5000 } }));
    assert.equal(cnt.result, 10);
    assert.equal(cnt.examined, 2 * (N / 1000));
  });

  test('compound index prefix and full key', async () => {
    const full = await measure(() => c.findOne({ id: 'r7', v: 2 }));
    assert.equal(full.result?.at, 10007);
    assert.equal(full.examined, 1);
    const prefix = await measure(() => c.find({ id: 'r7' }, { sort: { v: 1 } }).toArray());
    assert.deepEqual(prefix.result.map((d) => d.v), [0, 1, 2, 3]);
    assert.equal(prefix.examined, 4);
    const ranged = await measure(() => c.find({ id: 'r7', v: { $gte: 2 } }).toArray());
    assert.equal(ranged.result.length, 2);
    assert.equal(ranged.examined, 2);
  });

  test('multikey nested path equality', async () => {
    const r = await measure(() => c.find({ 'idx.tok': 't5' }).toArray());
    assert.equal(r.result.length, N / 100);
    assert.equal(r.examined, N / 100);
  });

  test('two equality conditions on one multikey field read only the documents having both', async () => {
    const none = await measure(() => c.find({ $and: [{ 'idx.tok': { $in: ['t5', 't6'] } }, { 'idx.tok': 't7' }] }).toArray());
    assert.equal(none.result.length, 0);
    assert.equal(none.examined, 0); // t7's 200 entries are scanned, and none has a t5 or t6 entry
    const both = await measure(() => c.find({ $and: [{ 'idx.tok': { $in: ['t5', 't6'] } }, { 'idx.tok': 'all' }] }).toArray());
    assert.equal(both.result.length, 2 * (N / 100));
    assert.equal(both.examined, 2 * (N / 100));
  });

  test('key lookups of an intersection see a transaction\'s own writes', async () => {
    await db.withTransaction(async (session) => {
      await c.insertOne({ _id: 'px1', id: 'px', v: 0, code: 'c1', at: -1, idx: { tok: ['t5', 't7'] } }, { session });
      await c.updateOne({ _id: 'o7' }, { $set: { 'idx.tok': ['t5', 't7'] } }, { session });
      const both = await c.find({ $and: [{ 'idx.tok': 't7' }, { 'idx.tok': { $in: ['t5', 't6'] } }] }, { session }).toArray();
      assert.deepEqual(both.map((d) => d._id).sort(), ['o7', 'px1']);
      throw Object.assign(new Error('roll back'), { rollback: true });
    }).catch((e: { rollback?: boolean }) => {
      if (!e.rollback) throw e;
    });
    assert.equal(await c.countDocuments({ $and: [{ 'idx.tok': 't7' }, { 'idx.tok': 't5' }] }), 0);
  });

  test('an anchored literal $regex is an index range; other patterns are not planned', async () => {
    const re = await measure(() => c.countDocuments({ code: /^c12/ }));
    assert.equal(re.result, 11 * (N / 1000));
    assert.equal(re.scans, 0);
    const escapes = await measure(() => c.countDocuments({ code: { $regex: '^c\\/\\-' } }));
    assert.equal(escapes.result, 0);
    assert.equal(escapes.scans, 0);
    const lit = await measure(() => c.find({ code: { $regex: '^c12' } }).toArray());
    assert.equal(lit.result.length, 11 * (N / 1000)); // c12, c120 ... c129
    assert.equal(lit.examined, lit.result.length);
    assert.equal(lit.scans, 0);
    const escaped = await measure(() => c.countDocuments({ code: { $regex: '^c\\.' } }));
    assert.equal(escaped.result, 0);
    assert.equal(escaped.scans, 0);
    for (const re of ['^c12|c3', '^c1.', '^C12'] as const) {
      const r = await measure(() => c.countDocuments({ code: { $regex: re, ...(re === '^C12' ? { $options: 'i' } : {}) } }));
      const want = N / 1000 * (re === '^c12|c3' ? 11 + 111 : re === '^c1.' ? 110 : 11);
      assert.equal(r.result, want, re);
      assert.equal(r.scans, 1, re);
    }
  });

  test('an anchored prefix after the equality fields of a compound index is a range of it', async () => {
    const m = db.collection('ByOwnerName');
    await m.createIndex({ owner: 1, name: 1 });
    await m.insertMany(Array.from({ length: 2000 }, (_, i) => ({ _id: `n${i}`, owner: `o${i % 4}`, name: `${i % 2 ? 'silva' : 'souza'}${i}` })));
    const r = await measure(() => m.find({ owner: 'o1', name: { $regex: '^silva1' } }).toArray());
    const want = Array.from({ length: 2000 }, (_, i) => i).filter((i) => i % 4 === 1 && `silva${i}`.startsWith('silva1'));
    assert.deepEqual(r.result.map((d) => d._id).sort(), want.map((i) => `n${i}`).sort());
    assert.equal(r.examined, want.length);
    assert.equal(r.scans, 0);
  });

  test('range on an indexed field is an index range scan', async () => {
    const r = await measure(() => c.find({ at: { $gte: 100, $lt: 150 } }).toArray());
    assert.equal(r.result.length, 50);
    assert.equal(r.examined, 50);
    // a count whose filter reads only the index's field is answered from the index keys
    const open = await measure(() => c.countDocuments({ at: { $gt: N - 10 } }));
    assert.equal(open.result, 9);
    assert.equal(open.examined, 0);
  });

  test('$or of indexable branches is a union of index lookups', async () => {
    const r = await measure(() => c.find({ $or: [{ code: 'c1' }, { _id: 'o2' }, { 'idx.tok': 't3' }] }).toArray());
    assert.equal(r.result.length, 20 + 1 + 200);
    assert.ok(r.examined <= 20 + 1 + 200);
    assert.equal(r.scans, 0);
  });

  test('unindexed filters fall back to a scan; limit stops it early', async () => {
    const r = await measure(() => c.find({ v: 3 }).toArray());
    assert.equal(r.result.length, 5000);
    assert.equal(r.scans, 1);
    const lim = await measure(() => c.find({ v: 0 }, { limit: 5 }).toArray());
    assert.equal(lim.result.length, 5);
    assert.ok(lim.examined < 100, `examined ${lim.examined}`);
  });

  test('sorted finds with a limit walk the index in order and stop early', async () => {
    const desc = await measure(() => c.find({}, { sort: { at: -1 }, limit: 10 }).toArray());
    assert.deepEqual(desc.result.map((d) => d.at), Array.from({ length: 10 }, (_, i) => N - 1 - i));
    assert.equal(desc.scans, 0);
    assert.ok(desc.examined <= 10, `examined ${desc.examined}`);
    const asc = await measure(() => c.find({ at: { $lt: 1000 } }, { sort: { at: 1 }, skip: 5, limit: 5, projection: { _id: 0, at: 1 } }).toArray());
    assert.deepEqual(asc.result, [5, 6, 7, 8, 9].map((at) => ({ at })));
    assert.ok(asc.examined <= 10, `examined ${asc.examined}`);
    const filtered = await measure(() => c.find({ v: 2 }, { sort: { at: -1 }, limit: 3 }).toArray());
    assert.deepEqual(filtered.result.map((d) => d.at), [14999, 14998, 14997]);
    const byId = await measure(() => c.find({ id: 'r7' }, { sort: { at: -1 }, limit: 2 }).toArray());
    assert.deepEqual(byId.result.map((d) => d.at), [15007, 10007]);
    assert.equal(byId.examined, 4);
  });

  test('keyset paging newest-first reads about one page of entries per page', async () => {
    const h = db.collection('Hist');
    await h.createIndex({ ts: -1, _id: -1 }, { name: 'ts' });
    await h.createIndex({ id: 1, v: -1 }, { name: 'id_v' });
    const total = 3000;
    const all = Array.from({ length: total }, (_, i) => ({ _id: `h${String(i).padStart(5, '0')}`, id: `x${i % 10}`, v: i, ts: Math.floor(i / 3) }));
    await h.insertMany(all);
    const expected = [...all].sort((a, b) => b.ts - a.ts || (a._id < b._id ? 1 : -1)).map((d) => d._id);
    const seen: unknown[] = [];
    let cursor: { ts: number; key: string } | undefined;
    for (;;) {
      const filter = cursor ? { $and: [{ $or: [{ ts: { $lt: cursor.ts } }, { ts: cursor.ts, _id: { $lt: cursor.key } }] }] } : {};
      const page = await measure(() => h.find(filter, { sort: { ts: -1, _id: -1 }, limit: 50 }).toArray());
      assert.equal(page.scans, 0);
      assert.ok(page.examined <= 60, `examined ${page.examined}`);
      seen.push(...page.result.map((d) => d._id));
      if (page.result.length < 50) break;
      const last = page.result[page.result.length - 1];
      cursor = { ts: last.ts as number, key: last._id as string };
    }
    assert.deepEqual(seen, expected);
  });

  test('writes by indexed key do not scan either', async () => {
    const u = await measure(() => c.updateOne({ id: 'r9', v: 0 }, { $set: { flag: true } }));
    assert.equal(u.result.modifiedCount, 1);
    assert.equal(u.scans, 0);
    assert.ok(u.examined <= 3, `examined ${u.examined}`);
    const d = await measure(() => c.deleteMany({ code: 'c999' }));
    assert.equal(d.result.deletedCount, N / 1000);
    assert.equal(d.scans, 0);
  });
});
