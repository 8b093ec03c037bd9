import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isDuplicateKeyError } from '../../src/store/database.js';
import { describeEngines, ids, withDb } from './harness.js';

const dup = (e: unknown): boolean => isDuplicateKeyError(e);

describeEngines('indexes', (engine) => {
  test('createIndex returns the name and is idempotent', () =>
    withDb(engine, async (db) => {
      const c = db.collection('c');
      assert.equal(await c.createIndex({ a: 1 }), 'a_1');
      assert.equal(await c.createIndex({ a: 1 }), 'a_1');
      assert.equal(await c.createIndex({ id: 1, v: -1 }, { unique: true }), 'id_1_v_-1');
      assert.equal(await c.createIndex({ id: 1, v: -1 }, { unique: true }), 'id_1_v_-1');
      assert.equal(await c.createIndex({ b: 1 }, { name: 'by_b' }), 'by_b');
      assert.equal(await c.createIndex({ b: 1 }, { name: 'by_b' }), 'by_b');
      await assert.rejects(c.createIndex({ c: 1 }, { name: 'by_b' }));
    }));

  test('dropIndex: the index is gone (a unique one no longer refuses), and stays gone after a reopen; a missing one is code 27', () =>
    withDb(engine, async (db, t) => {
      const c = db.collection('c');
      await c.createIndex({ email: 1 }, { unique: true });
      await c.createIndex({ a: 1 });
      await c.insertMany([{ _id: '1', email: 'x', a: 1 }, { _id: '2', email: 'y', a: 2 }]);
      await c.dropIndex('email_1');
      await c.insertOne({ _id: '3', email: 'x', a: 3 }); // no unique index any more
      assert.equal(await c.countDocuments({ email: 'x' }), 2);
      await assert.rejects(c.dropIndex('email_1'), (e: { code?: number }) => e.code === 27);
      await assert.rejects(c.dropIndex('nope'), (e: { code?: number }) => e.code === 27);
      const again = await t.reopen();
      const c2 = again.collection('c');
      await assert.rejects(c2.dropIndex('email_1'), (e: { code?: number }) => e.code === 27);
      assert.equal(await c2.countDocuments({ a: { $gte: 2 } }), 2); // the other index still answers
      assert.equal(await c2.createIndex({ email: 1 }), 'email_1'); // and it can be made again
      assert.equal(await c2.countDocuments({ email: 'x' }), 2);
    }));

  test('unique index: insert violation throws 11000 and writes nothing', () =>
    withDb(engine, async (db) => {
      const c = db.collection('c');
      await c.createIndex({ email: 1 }, { unique: true });
      await c.insertOne({ _id: '1', email: 'a@x' });
      await assert.rejects(c.insertOne({ _id: '2', email: 'a@x' }), (e: Error & { code?: number }) => {
        assert.equal(e.code, 11000);
        assert.match(e.message, /email/);
        return true;
      });
      assert.equal(await c.findOne({ _id: '2' }), null);
      assert.equal(await c.countDocuments({}), 1);
      await c.insertOne({ _id: '3', email: 'b@x' });
      assert.equal(await c.countDocuments({}), 2);
    }));

  test('unique index: update, replace and upsert violations', () =>
    withDb(engine, async (db) => {
      const c = db.collection('c');
      await c.createIndex({ email: 1 }, { unique: true });
      await c.insertMany([
        { _id: '1', email: 'a@x', n: 1 },
        { _id: '2', email: 'b@x', n: 2 },
      ]);
      await assert.rejects(c.updateOne({ _id: '2' }, { $set: { email: 'a@x', n: 20 } }), dup);
      await assert.rejects(c.replaceOne({ _id: '2' }, { email: 'a@x' }), dup);
      await assert.rejects(c.updateOne({ _id: '9' }, { $set: { email: 'a@x' } }, { upsert: true }), dup);
      await assert.rejects(c.findOneAndUpdate({ _id: '2' }, { $set: { email: 'a@x' } }), dup);
      assert.deepEqual(await c.findOne({ _id: '2' }), { _id: '2', email: 'b@x', n: 2 });
      assert.equal(await c.findOne({ _id: '9' }), null);
      // updating a document to its own key is fine
      assert.equal((await c.updateOne({ _id: '1' }, { $set: { email: 'a@x', n: 5 } })).modifiedCount, 1);
      // freeing a key lets another document take it
      await c.updateOne({ _id: '1' }, { $set: { email: 'c@x' } });
      await c.updateOne({ _id: '2' }, { $set: { email: 'a@x' } });
      assert.equal((await c.findOne({ email: 'a@x' }))?._id, '2');
      await c.deleteOne({ _id: '2' });
      await c.insertOne({ _id: '4', email: 'a@x' });
    }));

  test('compound unique index', () =>
    withDb(engine, async (db) => {
      const c = db.collection('h');
      await c.createIndex({ id: 1, v: 1 }, { unique: true });
      await c.insertOne({ id: 'x', v: 1 });
      await c.insertOne({ id: 'x', v: 2 });
      await c.insertOne({ id: 'y', v: 1 });
      await assert.rejects(c.insertOne({ id: 'x', v: 2 }), dup);
      await assert.rejects(c.insertMany([{ id: 'z', v: 1 }, { id: 'z', v: 1 }]), dup);
      assert.equal(await c.countDocuments({ id: 'x' }), 2);
      assert.deepEqual((await c.find({ id: 'x' }, { sort: { v: -1 } }).toArray()).map((d) => d.v), [2, 1]);
    }));

  test('unique index built over existing documents; violating build fails', () =>
    withDb(engine, async (db) => {
      const c = db.collection('c');
      await c.insertMany([{ k: 1 }, { k: 2 }, { k: 2 }]);
      await assert.rejects(c.createIndex({ k: 1 }, { unique: true }), dup);
      await c.insertOne({ k: 2 }); // no index was left behind
      await c.deleteMany({ k: 2 });
      await c.createIndex({ k: 1 }, { unique: true });
      await assert.rejects(c.insertOne({ k: 1 }), dup);
      await c.insertOne({ k: 3 });
    }));

  test('multikey index on an array of scalars', () =>
    withDb(engine, async (db) => {
      const c = db.collection('m');
      await c.createIndex({ tags: 1 });
      await c.insertMany([
        { _id: 'a', tags: ['x', 'y'] },
        { _id: 'b', tags: ['y'] },
        { _id: 'c', tags: 'x' },
        { _id: 'd', tags: [] },
        { _id: 'e' },
      ]);
      const q = async (f: Record<string, unknown>): Promise<unknown[]> => ids(await c.find(f, { sort: { _id: 1 } }).toArray());
      assert.deepEqual(await q({ tags: 'x' }), ['a', 'c']);
      assert.deepEqual(await q({ tags: { $in: ['y', 'x'] } }), ['a', 'b', 'c']);
      assert.deepEqual(await q({ tags: null }), ['e']);
      assert.deepEqual(await q({ tags: { $gte: 'y' } }), ['a', 'b']);
      await c.updateOne({ _id: 'a' }, { $pull: { tags: 'x' } });
      assert.deepEqual(await q({ tags: 'x' }), ['c']);
    }));

  test('unique multikey index conflicts across documents only', () =>
    withDb(engine, async (db) => {
      const c = db.collection('m');
      await c.createIndex({ codes: 1 }, { unique: true });
      await c.insertOne({ _id: 'a', codes: ['1', '2', '2'] });
      await assert.rejects(c.insertOne({ _id: 'b', codes: ['3', '2'] }), dup);
      await c.insertOne({ _id: 'b', codes: ['3', '4'] });
      await c.updateOne({ _id: 'a' }, { $push: { codes: '5' } });
      await assert.rejects(c.updateOne({ _id: 'b' }, { $push: { codes: '5' } }), dup);
    }));

  test('range and equality queries through indexes match a plain scan', () =>
    withDb(engine, async (db) => {
      const plain = db.collection('plain');
      const indexed = db.collection('indexed');
      await indexed.createIndex({ n: 1 });
      await indexed.createIndex({ s: 1, n: 1 });
      await indexed.createIndex({ d: 1 });
      await indexed.createIndex({ arr: 1 });
      await indexed.createIndex({ opt: 1 });
      const docs = Array.from({ length: 300 }, (_, i) => ({
        _id: `d${String(i).padStart(3, '0')}`,
        n:
          i % 7 === 0 ? null
          : i % 11 === 0 ? `str${i % 5}`
          : i % 17 === 0 ? { obj: i % 3 }
          : i % 19 === 0 ? `${'L'.repeat(300)}${i % 4}`
          : ((i * 37) % 101) - 50 + (i % 3) * 0.5,
        s: ['a', 'b', 'c', 'dd', ''][i % 5],
        d: new Date(Date.UTC(2020, 0, 1 + (i % 40))),
        arr: i % 4 === 0 ? [i % 10, (i * 3) % 10] : i % 10,
        ...(i % 13 === 0 ? {} : { opt: i % 2 === 0 }),
      }));
      await plain.insertMany(docs.map((d) => ({ ...d })));
      await indexed.insertMany(docs.map((d) => ({ ...d })));
      const filters: Record<string, unknown>[] = [
        { n: 5 }, { n: null }, { n: { $gt: 10 } }, { n: { $gte: -10, $lt: 10 } }, { n: { $lte: 0 } },
        { n: { $gt: 'str1' } }, { n: { $in: [1.5, 'str2', -50] } }, { s: 'b', n: { $gt: 0 } },
        { s: { $in: ['a', 'dd'] }, n: { $lt: 0 } }, { s: '' }, { s: 'c', n: 7.5 },
        { d: { $gte: new Date(Date.UTC(2020, 0, 10)), $lt: new Date(Date.UTC(2020, 0, 20)) } },
        { d: new Date(Date.UTC(2020, 0, 5)) }, { arr: 3 }, { arr: { $gt: 6 } }, { arr: { $gte: 2, $lte: 4 } },
        { $or: [{ n: 5 }, { s: 'dd' }] }, { $and: [{ n: { $gt: 0 } }, { n: { $lt: 20 } }] }, { opt: { $exists: false }, n: { $gt: 0 } },
        { arr: 2, $and: [{ arr: 6 }] }, { arr: { $gt: 5, $lt: 3 } }, { $or: [{ _id: { $gt: 'd290' } }, { n: 5 }] },
        { _id: { $gte: 'd100', $lt: 'd110' }, s: 'a' }, { _id: { $in: ['d001', 'd002', 'x'] }, n: { $ne: null } },
      ];
      for (const f of filters) {
        const a = ids(await plain.find(f, { sort: { _id: 1 } }).toArray());
        const b = ids(await indexed.find(f, { sort: { _id: 1 } }).toArray());
        assert.deepEqual(b, a, `filter ${JSON.stringify(f)}`);
        assert.equal(await indexed.countDocuments(f), a.length);
      }
      const sorted: [Record<string, unknown>, Record<string, 1 | -1>, number, number][] = [
        [{}, { n: 1, _id: 1 }, 5, 20], [{}, { n: -1, _id: -1 }, 0, 7], [{}, { s: 1, n: 1, _id: 1 }, 0, 30],
        [{}, { s: -1, n: -1, _id: -1 }, 3, 40], [{ n: { $gt: 0 } }, { n: -1, _id: -1 }, 0, 10],
        [{ s: 'b' }, { s: 1, n: 1, _id: 1 }, 0, 25], [{ opt: { $ne: null } }, { d: -1, _id: -1 }, 2, 9],
        [{}, { opt: 1, _id: 1 }, 0, 20], [{ s: { $in: ['a', 'c'] } }, { s: -1, n: -1, _id: -1 }, 0, 15],
        [{ n: { $gte: 'str1' } }, { n: 1, _id: 1 }, 0, 300],
      ];
      for (const [f, sort, skip, limit] of sorted) {
        const a = ids(await plain.find(f, { sort, skip, limit }).toArray());
        const b = ids(await indexed.find(f, { sort, skip, limit }).toArray());
        assert.deepEqual(b, a, `sorted ${JSON.stringify([f, sort, skip, limit])}`);
      }
    }));
});
