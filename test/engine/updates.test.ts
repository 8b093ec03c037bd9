import assert from 'node:assert/strict';
import { test } from 'node:test';
import { describeEngines, withDb } from './harness.js';

describeEngines('updates', (engine) => {
  test('update operators', () =>
    withDb(engine, async (db) => {
      const c = db.collection('u');
      await c.insertOne({ _id: 'a', n: 1, list: [1], obj: { x: 1, y: 2 }, gone: true });
      const r = await c.updateOne(
        { _id: 'a' },
        { $set: { 'obj.x': 10, s: 'new' }, $unset: { gone: '' }, $inc: { n: 2, fresh: 1 }, $push: { list: 2 } },
      );
      assert.deepEqual(r, { acknowledged: true, matchedCount: 1, modifiedCount: 1, upsertedCount: 0, upsertedId: null });
      assert.deepEqual(await c.findOne({ _id: 'a' }), { _id: 'a', n: 3, list: [1, 2], obj: { x: 10, y: 2 }, s: 'new', fresh: 1 });
      await c.updateOne({ _id: 'a' }, { $addToSet: { list: 2 }, $max: { n: 7 }, $min: { fresh: 0 } });
      await c.updateOne({ _id: 'a' }, { $pull: { list: 1 }, $mul: { n: 2 }, $rename: { s: 't' } });
      assert.deepEqual(await c.findOne({ _id: 'a' }), { _id: 'a', n: 14, list: [2], obj: { x: 10, y: 2 }, fresh: 0, t: 'new' });
      await c.updateOne({ _id: 'a' }, { $push: { list: { $each: [5, 3], $sort: 1 } } });
      assert.deepEqual((await c.findOne({ _id: 'a' }))?.list, [2, 3, 5]);
      await c.insertOne({ _id: 'b', items: [{ k: 'x', n: 1 }, { k: 'y', n: 2 }] });
      await c.updateOne({ _id: 'b', 'items.k': 'y' }, { $set: { 'items.$.n': 20 } });
      await c.updateOne({ _id: 'b' }, { $inc: { 'items.$[].n': 1 } });
      assert.deepEqual((await c.findOne({ _id: 'b' }))?.items, [{ k: 'x', n: 2 }, { k: 'y', n: 21 }]);
    }));

  test('no-op updates and unmatched filters', () =>
    withDb(engine, async (db) => {
      const c = db.collection('u');
      await c.insertOne({ _id: 'a', n: 1 });
      assert.deepEqual(await c.updateOne({ _id: 'a' }, { $set: { n: 1 } }), {
        acknowledged: true, matchedCount: 1, modifiedCount: 0, upsertedCount: 0, upsertedId: null,
      });
      const none = await c.updateOne({ _id: 'zz' }, { $set: { n: 1 } });
      assert.equal(none.matchedCount, 0);
      assert.equal(none.upsertedCount, 0);
      assert.equal(await c.countDocuments({}), 1);
      // $setOnInsert is ignored when the document exists
      await c.updateOne({ _id: 'a' }, { $setOnInsert: { x: 1 }, $set: { m: 2 } }, { upsert: true });
      assert.deepEqual(await c.findOne({ _id: 'a' }), { _id: 'a', n: 1, m: 2 });
    }));

  test('upsert builds the document from filter equalities plus the update', () =>
    withDb(engine, async (db) => {
      const c = db.collection('u');
      const r = await c.updateOne(
        { _id: 'k1', type: 'T', 'meta.v': 3, n: { $gt: 5 }, $and: [{ tag: { $eq: 'z' } }] },
        { $set: { val: 1 }, $setOnInsert: { created: true }, $inc: { count: 1 } },
        { upsert: true },
      );
      assert.equal(r.upsertedCount, 1);
      assert.equal(r.matchedCount, 0);
      assert.deepEqual(await c.findOne({ _id: 'k1' }), { _id: 'k1', type: 'T', meta: { v: 3 }, tag: 'z', val: 1, created: true, count: 1 });
      const again = await c.updateOne({ _id: 'k1', type: 'T' }, { $inc: { count: 1 }, $setOnInsert: { created: false } }, { upsert: true });
      assert.equal(again.upsertedCount, 0);
      assert.equal(again.modifiedCount, 1);
      assert.deepEqual(await c.findOne({ _id: 'k1' }, { projection: { _id: 0, count: 1, created: 1 } }), { count: 2, created: true });
      // without an _id in the filter, an id is generated
      const gen = await c.updateOne({ name: 'n' }, { $set: { v: 1 } }, { upsert: true });
      assert.equal(gen.upsertedCount, 1);
      const doc = await c.findOne({ name: 'n' });
      assert.ok(doc?._id);
      assert.equal(doc?.v, 1);
    }));

  test('replaceOne keeps _id, upserts, and rejects changing it', () =>
    withDb(engine, async (db) => {
      const c = db.collection('u');
      await c.insertOne({ _id: 'a', n: 1, old: true });
      const r = await c.replaceOne({ _id: 'a' }, { n: 2 });
      assert.equal(r.modifiedCount, 1);
      assert.deepEqual(await c.findOne({ _id: 'a' }), { _id: 'a', n: 2 });
      await c.replaceOne({ _id: 'a' }, { _id: 'a', n: 3 });
      assert.deepEqual(await c.findOne({ _id: 'a' }), { _id: 'a', n: 3 });
      await assert.rejects(c.replaceOne({ _id: 'a' }, { _id: 'b', n: 4 }));
      const up = await c.replaceOne({ _id: 'new' }, { n: 9 }, { upsert: true });
      assert.equal(up.upsertedCount, 1);
      assert.deepEqual(await c.findOne({ _id: 'new' }), { _id: 'new', n: 9 });
      const miss = await c.replaceOne({ _id: 'missing' }, { n: 1 });
      assert.equal(miss.matchedCount, 0);
      assert.equal(await c.countDocuments({}), 2);
    }));

  test('findOneAndUpdate returns before/after, sorts, upserts, projects', () =>
    withDb(engine, async (db) => {
      const c = db.collection('seq');
      await c.insertMany([
        { _id: 'a', q: 1, n: 0 },
        { _id: 'b', q: 1, n: 5 },
      ]);
      const before = await c.findOneAndUpdate({ _id: 'a' }, { $inc: { n: 1 } }, { returnDocument: 'before' });
      assert.deepEqual(before, { _id: 'a', q: 1, n: 0 });
      const afterDoc = await c.findOneAndUpdate({ _id: 'a' }, { $inc: { n: 1 } }, { returnDocument: 'after' });
      assert.deepEqual(afterDoc, { _id: 'a', q: 1, n: 2 });
      const top = await c.findOneAndUpdate({ q: 1 }, { $set: { hit: true } }, { sort: { n: -1 }, returnDocument: 'after', projection: { _id: 1, hit: 1 } });
      assert.deepEqual(top, { _id: 'b', hit: true });
      assert.equal(await c.findOneAndUpdate({ _id: 'zz' }, { $set: { n: 1 } }), null);
      assert.equal(await c.findOneAndUpdate({ _id: 'counter' }, { $inc: { seq: 1 } }, { upsert: true, returnDocument: 'before' }), null);
      const next = await c.findOneAndUpdate({ _id: 'counter' }, { $inc: { seq: 1 } }, { upsert: true, returnDocument: 'after' });
      assert.deepEqual(next, { _id: 'counter', seq: 2 });
    }));

  test('concurrent $inc through findOneAndUpdate loses no increments', () =>
    withDb(engine, async (db) => {
      const c = db.collection('seq');
      const results = await Promise.all(
        Array.from({ length: 200 }, () => c.findOneAndUpdate({ _id: 'ctr' }, { $inc: { n: 1 } }, { upsert: true, returnDocument: 'after' })),
      );
      const seen = results.map((d) => d?.n as number).sort((a, b) => a - b);
      assert.deepEqual(seen, Array.from({ length: 200 }, (_, i) => i + 1));
    }));

  test('rejects what MongoDB rejects', () =>
    withDb(engine, async (db) => {
      const c = db.collection('u');
      await c.insertOne({ _id: 'a', n: 1 });
      await assert.rejects(c.updateOne({ _id: 'a' }, { n: 2 }), /atomic operators/);
      await assert.rejects(c.updateOne({ _id: 'a' }, {}));
      await assert.rejects(c.findOneAndUpdate({ _id: 'a' }, { n: 2 }));
      await assert.rejects(c.replaceOne({ _id: 'a' }, { $set: { n: 2 } }), /atomic operators/);
      await assert.rejects(c.updateOne({ _id: 'a' }, { $set: { _id: 'b' } }), (e: { code?: number }) => e.code === 66);
      await assert.rejects(c.updateOne({ _id: 'a' }, { $bogus: { n: 1 } }));
      await assert.rejects(c.updateOne({ _id: 'a' }, { $set: { n: 1 }, $inc: { n: 1 } }), (e: { code?: number }) => e.code === 40);
      await assert.rejects(c.insertOne({ _id: ['x'] }));
      await assert.rejects(c.updateOne({ _id: 'n1' }, { $set: { a: 1 }, $setOnInsert: { a: 2 } }, { upsert: true }), (e: { code?: number }) => e.code === 40);
      assert.equal(await c.findOne({ _id: 'n1' }), null);
      // setting _id to its current value is allowed
      assert.equal((await c.updateOne({ _id: 'a' }, { $set: { _id: 'a', n: 5 } })).modifiedCount, 1);
      assert.deepEqual(await c.findOne({ _id: 'a' }), { _id: 'a', n: 5 });
    }));

  test('rejects $-prefixed field names [embedded is stricter than MongoDB >= 5 on insert]', { skip: engine.name !== 'embedded' }, () =>
    withDb(engine, async (db) => {
      const c = db.collection('u');
      await assert.rejects(c.insertOne({ $bad: 1 }), /\$ prefixed/);
      await assert.rejects(c.insertOne({ ok: { $nested: 1 } }), /\$ prefixed/);
      await assert.rejects(c.insertMany([{ _id: 'fine' }, { $bad: 1 }]));
      assert.equal(await c.countDocuments({}), 0, 'a rejected insertMany writes nothing');
      await c.insertOne({ _id: 'a' });
      await assert.rejects(c.updateOne({ _id: 'a' }, { $set: { $x: 1 } }));
      await assert.rejects(c.replaceOne({ _id: 'a' }, { ok: { $x: 1 } }));
    }));
});
