/**
 * Covered queries of the embedded engine (src/store/embedded/covered.ts): a filter reading only the
 * fields of the scanned index is tested on the index keys. Every answer is compared with mingo's
 * answer over all the documents, and the documents read are counted.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import { after, before, describe, test } from 'node:test';
import { find as mingoFind, Query } from 'mingo';
import type { Database, DbCollection, Doc, Filter, Projection, SortSpec } from '../../src/store/database.js';
import { embeddedStats, openEmbeddedDatabase } from '../../src/store/embedded/engine.js';
import type { EngineStats } from '../../src/store/embedded/store.js';
import { tempDir } from './harness.js';

const N = 3000;
const LONG = 'x'.repeat(250);

/** Documents with numbers, gaps (missing and null), long strings that the keys cut, and negative values. */
function makeDoc(i: number): Doc {
  const doc: Doc = { _id: `d${String(i).padStart(5, '0')}`, s: { lo: (i % 500) - 100, hi: (i % 500) - 100 + (i % 7) }, other: i };
  if (i % 97 === 0) delete (doc.s as Doc).hi; // missing
  if (i % 89 === 0) (doc.s as Doc).hi = null; // null
  doc.name = i % 50 === 0 ? `${LONG}${i % 3}` : `n${i % 40}`;
  return doc;
}

describe('embedded covered queries', () => {
  let dir: string;
  let db: Database;
  let c: DbCollection;
  let stats: EngineStats;
  const all: Doc[] = [];

  before(async () => {
    dir = await tempDir();
    db = await openEmbeddedDatabase(dir);
    stats = embeddedStats(db) as EngineStats;
    c = db.collection('Cov');
    await c.createIndex({ 's.hi': 1, 's.lo': 1 });
    await c.createIndex({ name: 1 });
    for (let i = 0; i < N; i++) all.push(makeDoc(i));
    await c.insertMany(all.map((d) => structuredClone(d)));
  });

  after(async () => {
    await db.close();
    await fs.rm(dir, { recursive: true, force: true });
  });

  const expected = (filter: Filter): Doc[] => {
    const q = new Query(filter);
    return all.filter((d) => q.test(d)).sort((a, b) => (String(a._id) < String(b._id) ? -1 : 1));
  };
  const measure = async <T>(fn: () => Promise<T>): Promise<{ result: T; examined: number; covered: number }> => {
    const d0 = stats.docsExamined;
    const c0 = stats.coveredScans;
    const result = await fn();
    return { result, examined: stats.docsExamined - d0, covered: stats.coveredScans - c0 };
  };

  // the shape compile.ts gives `date=ge...` on a single-valued parameter: the exact condition and the index hint
  const ge = (lo: number, hi: number): Filter => ({
    $and: [{ $or: [{ 's.hi': { $gt: hi } }, { 's.lo': { $gte: lo }, 's.hi': { $lte: hi } }] }, { 's.hi': { $gte: lo } }],
  });

  test('a count reads no document, and agrees with mingo', async () => {
    for (const f of [ge(100, 101), ge(-50, -50), { 's.hi': { $gte: 390 } }, { 's.hi': { $lt: 0 }, 's.lo': { $ne: -100 } }]) {
      const r = await measure(() => c.countDocuments(f));
      assert.equal(r.result, expected(f).length, JSON.stringify(f));
      assert.equal(r.covered, 1);
      // entries with a missing or null end are read from their document (their key does not tell which)
      assert.ok(r.examined <= N / 89 + N / 97 + 2, `examined ${r.examined}`);
    }
    const r = await measure(() => c.countDocuments({ 's.hi': { $gte: 200 } }));
    assert.equal(r.examined, 0); // no missing/null entry in that range
  });

  test('a page sorted by _id reads only its own documents', async () => {
    const f = ge(150, 155);
    const want = expected(f);
    assert.ok(want.length > 100);
    const r = await measure(() => c.find(f, { sort: { _id: 1 }, limit: 21 }).toArray());
    assert.deepEqual(r.result, want.slice(0, 21));
    assert.equal(r.covered, 1);
    assert.equal(r.examined, 21);
    const skipped = await c.find(f, { sort: { _id: -1 }, skip: 5, limit: 10 }).toArray();
    assert.deepEqual(skipped, [...want].reverse().slice(5, 15));
  });

  test('a sort on the covering index stops at the page (and reads only the page)', async () => {
    const f = { 's.hi': { $gte: -100 } };
    const k0 = stats.keysExamined;
    const r = await measure(() => c.find(f, { sort: { 's.hi': 1, _id: 1 }, skip: 2, limit: 5 }).toArray());
    assert.deepEqual(r.result, mingoFind(all, f).sort({ 's.hi': 1, _id: 1 }).all().slice(2, 7));
    assert.ok(stats.keysExamined - k0 < 100, `read ${stats.keysExamined - k0} keys for a page of 5`);
    assert.ok(r.examined <= 5 + 2 + 1, `examined ${r.examined}`);
  });

  test('a projection onto the index fields reads no document', async () => {
    const f = { 's.hi': { $gte: 390, $lt: 395 } };
    const r = await measure(() => c.find(f, { sort: { _id: 1 }, projection: { _id: 1, 's.hi': 1 } }).toArray());
    assert.deepEqual(
      r.result,
      expected(f).map((d) => ({ _id: d._id, s: { hi: (d.s as Doc).hi } })),
    );
    assert.equal(r.examined, 0);
  });

  test('null and missing values are told apart on their documents', async () => {
    const exists = { 's.hi': { $lte: 1000 }, 's.lo': { $exists: true } };
    assert.equal(await c.countDocuments(exists), expected(exists).length);
    // `s.hi` is not the filtered field of the plan here, but a null-valued key must still not be taken for a value
    const eqNull = { 's.hi': null, 's.lo': { $gte: 0 } };
    assert.equal(await c.countDocuments(eqNull), expected(eqNull).length);
    // null but present: the missing ones have the same (null) key
    const present = { $and: [{ 's.hi': null }, { 's.hi': { $exists: true } }] };
    const want = expected(present).length;
    assert.ok(want > 0 && want < expected({ 's.hi': null }).length);
    assert.equal(await c.countDocuments(present), want);
  });

  test('strings the keys cut are tested on their documents', async () => {
    const f = { name: { $gte: LONG, $lt: `${LONG}2` } };
    const r = await measure(() => c.find(f, { sort: { _id: 1 } }).toArray());
    assert.deepEqual(r.result, expected(f));
    assert.ok(r.result.length > 0);
    const short = { name: { $gte: 'n1', $lt: 'n2' } };
    const s = await measure(() => c.countDocuments(short));
    assert.equal(s.result, expected(short).length);
    assert.equal(s.examined, 0);
  });

  test('a filter on a field outside the index is not covered', async () => {
    const f = { 's.hi': { $gte: 390 }, other: { $lt: 1000 } };
    const r = await measure(() => c.countDocuments(f));
    assert.equal(r.result, expected(f).length);
    assert.equal(r.covered, 0);
    assert.ok(r.examined > 0);
  });

  test("inside a transaction the transaction's own writes count", async () => {
    const f = { 's.hi': { $gte: 10_000 } };
    await db.withTransaction(async (session) => {
      await c.insertOne({ _id: 'new1', s: { lo: 10_000, hi: 10_001 } }, { session });
      await c.updateOne({ _id: 'd00001' }, { $set: { 's.hi': 20_000 } }, { session });
      assert.equal(await c.countDocuments(f, { session }), 2);
      const page = await c.find(f, { sort: { _id: 1 }, limit: 5, session }).toArray();
      assert.deepEqual(page.map((d) => d._id), ['d00001', 'new1']);
      throw Object.assign(new Error('roll back'), { rollback: true });
    }).catch((e: { rollback?: boolean }) => {
      if (!e.rollback) throw e;
    });
    assert.equal(await c.countDocuments(f), 0);
  });

  test('a sort on the leading field of the compound index walks it in order and stops early', async () => {
    const sorts: SortSpec[] = [{ 's.hi': 1, _id: 1 }, { 's.hi': -1, _id: -1 }, { 's.hi': 1 }];
    for (const sort of sorts) {
      const want = mingoFind(all, { other: { $gte: 100 } }).sort(sort).all().slice(3, 13);
      const r = await measure(() => c.find({ other: { $gte: 100 } }, { sort, skip: 3, limit: 10 }).toArray());
      if (Object.keys(sort).length === 2) assert.deepEqual(r.result, want, JSON.stringify(sort));
      else assert.deepEqual(r.result.map((d) => (d.s as Doc).hi ?? null), want.map((d) => (d.s as Doc).hi ?? null)); // ties in any order
      assert.ok(r.examined < 200, `examined ${r.examined}`);
    }
  });

  test('inclusion projections agree with mingo on every document shape', async () => {
    const p = db.collection('Proj');
    const docs: Doc[] = [
      { _id: 1, a: { b: 1, c: 2 }, d: 3 },
      { _id: 2, a: { c: 2 } },
      { _id: 3, a: 5 },
      { _id: 4 },
      { _id: 5, a: { b: { x: 1 } } },
      { _id: 6, a: [{ b: 1 }, { b: 2 }, 7] },
      { _id: 7, a: { b: [1, 2] }, d: null },
      { _id: 8, a: { b: null } },
    ];
    await p.insertMany(docs.map((d) => structuredClone(d)));
    const projections = [{ 'a.b': 1 }, { _id: 0, 'a.b': 1, d: 1 }, { d: 1 }, { 'a.b.x': 1, _id: 1 }, { _id: 0 }, { _id: 1 }, { _id: true, d: 1 }, { toString: 1 }, { constructor: 1, d: 1 }] as unknown as Projection[];
    for (const projection of projections) {
      const got = await p.find({}, { projection, sort: { _id: 1 } }).toArray();
      const want = mingoFind(docs, {}, projection).sort({ _id: 1 }).all();
      assert.deepEqual(got, want, JSON.stringify(projection));
    }
    // what MongoDB refuses (a path collision) is refused, not answered
    await assert.rejects(p.find({}, { projection: { a: 1, 'a.b': 1 } }).toArray());
    // and a covered scan answers `{_id: 0}` with whole documents, not its key documents
    const whole = await c.find({ 's.hi': { $gte: 390, $lt: 391 } }, { projection: { _id: 0 } }).toArray();
    assert.ok(whole.length > 0 && whole.every((d) => d._id === undefined && typeof d.other === 'number'));
  });

  test('an index that became multikey is no longer covering', async () => {
    const m = db.collection('CovMulti');
    await m.createIndex({ v: 1 });
    await m.insertMany([{ _id: 'a', v: 1 }, { _id: 'b', v: [5, 50] }, { _id: 'c', v: 40 }]);
    const r = await measure(() => m.countDocuments({ v: { $gt: 10, $lt: 20 } }));
    // mingo: an array matches when one element satisfies each bound (5 < 20, 50 > 10)
    assert.equal(r.result, 1);
    assert.equal(r.covered, 0);
  });
});
