import assert from 'node:assert/strict';
import { test } from 'node:test';
import { describeEngines, ids, withDb } from './harness.js';

const people = [
  { _id: 'p1', name: 'Ann', age: 31, city: 'Oslo', tags: ['a', 'b'], addr: { zip: '100', line: ['x'] }, active: true },
  { _id: 'p2', name: 'Bob', age: 25, city: 'Rome', tags: ['b'], addr: { zip: '200' }, active: false },
  { _id: 'p3', name: 'Cid', age: 40, city: 'Oslo', tags: [], active: true },
  { _id: 'p4', name: 'Dee', age: 25, tags: ['c'], addr: { zip: '300' }, nick: null },
  { _id: 'p5', name: 'eve', age: 52, city: 'Lima', tags: ['a', 'c'], items: [{ k: 'x', n: 1 }, { k: 'y', n: 5 }] },
];

describeEngines('CRUD', (engine) => {
  test('insertOne/findOne/find round-trip documents and assign missing ids', () =>
    withDb(engine, async (db) => {
      const c = db.collection('c');
      const doc: Record<string, unknown> = { a: 1, nested: { b: [1, 'two', null, { c: true }] }, when: new Date(1000) };
      const res = await c.insertOne(doc);
      assert.ok(res.insertedId !== undefined && res.insertedId !== null);
      assert.equal(doc._id, res.insertedId, 'the driver assigns _id on the inserted object');
      const found = await c.findOne({ _id: res.insertedId });
      assert.deepEqual(found, { _id: res.insertedId, a: 1, nested: { b: [1, 'two', null, { c: true }] }, when: new Date(1000) });
      assert.equal(await c.findOne({ a: 2 }), null);
      assert.deepEqual(await c.find({ nope: 1 }).toArray(), []);
    }));

  test('insertMany, countDocuments, duplicate _id', () =>
    withDb(engine, async (db) => {
      const c = db.collection('people');
      const r = await c.insertMany(people.map((p) => ({ ...p })));
      assert.equal(r.insertedCount, 5);
      assert.equal(await c.countDocuments({}), 5);
      assert.equal(await c.countDocuments({ city: 'Oslo' }), 2);
      await assert.rejects(c.insertOne({ _id: 'p1', name: 'again' }), (e: { code?: number }) => e.code === 11000);
      await assert.rejects(c.insertMany([]));
      assert.equal((await c.findOne({ _id: 'p1' }))?.name, 'Ann');
    }));

  test('projection: inclusion, exclusion, nested paths, _id', () =>
    withDb(engine, async (db) => {
      const c = db.collection('people');
      await c.insertMany(people.map((p) => ({ ...p })));
      assert.deepEqual(await c.findOne({ _id: 'p1' }, { projection: { name: 1 } }), { _id: 'p1', name: 'Ann' });
      assert.deepEqual(await c.findOne({ _id: 'p1' }, { projection: { _id: 0, name: 1, 'addr.zip': 1 } }), { name: 'Ann', addr: { zip: '100' } });
      const ex = await c.findOne({ _id: 'p2' }, { projection: { tags: 0, addr: 0, active: 0 } });
      assert.deepEqual(ex, { _id: 'p2', name: 'Bob', age: 25, city: 'Rome' });
    }));

  test('sort, skip, limit with multi-key sorts and missing fields', () =>
    withDb(engine, async (db) => {
      const c = db.collection('people');
      await c.insertMany(people.map((p) => ({ ...p })));
      assert.deepEqual(ids(await c.find({}, { sort: { age: 1, _id: 1 } }).toArray()), ['p2', 'p4', 'p1', 'p3', 'p5']);
      assert.deepEqual(ids(await c.find({}, { sort: { age: -1, _id: -1 } }).toArray()), ['p5', 'p3', 'p1', 'p4', 'p2']);
      assert.deepEqual(ids(await c.find({}, { sort: { age: 1, name: -1 } }).toArray()), ['p4', 'p2', 'p1', 'p3', 'p5']);
      // missing sorts before any string ascending, after descending
      assert.deepEqual(ids(await c.find({}, { sort: { city: 1, _id: 1 } }).toArray()), ['p4', 'p5', 'p1', 'p3', 'p2']);
      assert.deepEqual(ids(await c.find({}, { sort: { city: -1, _id: 1 } }).toArray()), ['p2', 'p1', 'p3', 'p5', 'p4']);
      assert.deepEqual(ids(await c.find({}, { sort: { age: 1, _id: 1 }, skip: 1, limit: 2 }).toArray()), ['p4', 'p1']);
      assert.deepEqual(ids(await c.find({}, { sort: { _id: 1 }, skip: 4, limit: 10 }).toArray()), ['p5']);
      assert.deepEqual(ids(await c.find({}, { sort: { _id: 1 }, skip: 9 }).toArray()), []);
      assert.equal((await c.find({ city: 'Oslo' }, { limit: 1 }).toArray()).length, 1);
      assert.equal((await c.findOne({}, { sort: { age: -1 } }))?._id, 'p5');
    }));

  test('query operators', () =>
    withDb(engine, async (db) => {
      const c = db.collection('people');
      await c.insertMany(people.map((p) => ({ ...p })));
      const q = async (filter: Record<string, unknown>): Promise<unknown[]> =>
        ids(await c.find(filter, { sort: { _id: 1 } }).toArray());
      assert.deepEqual(await q({ age: { $eq: 25 } }), ['p2', 'p4']);
      assert.deepEqual(await q({ age: { $ne: 25 } }), ['p1', 'p3', 'p5']);
      assert.deepEqual(await q({ age: { $gt: 31 } }), ['p3', 'p5']);
      assert.deepEqual(await q({ age: { $gte: 31 } }), ['p1', 'p3', 'p5']);
      assert.deepEqual(await q({ age: { $lt: 31 } }), ['p2', 'p4']);
      assert.deepEqual(await q({ age: { $lte: 31, $gt: 25 } }), ['p1']);
      assert.deepEqual(await q({ name: { $gt: 'B', $lt: 'D' } }), ['p2', 'p3']);
      assert.deepEqual(await q({ city: { $in: ['Oslo', 'Lima'] } }), ['p1', 'p3', 'p5']);
      assert.deepEqual(await q({ city: { $nin: ['Oslo', 'Lima'] } }), ['p2', 'p4']);
      assert.deepEqual(await q({ city: { $exists: false } }), ['p4']);
      assert.deepEqual(await q({ nick: { $exists: true } }), ['p4']);
      assert.deepEqual(await q({ nick: null }), ['p1', 'p2', 'p3', 'p4', 'p5']);
      assert.deepEqual(await q({ city: null }), ['p4']);
      assert.deepEqual(await q({ tags: 'a' }), ['p1', 'p5']);
      assert.deepEqual(await q({ tags: { $in: ['c'] } }), ['p4', 'p5']);
      assert.deepEqual(await q({ tags: { $size: 0 } }), ['p3']);
      assert.deepEqual(await q({ 'addr.zip': '200' }), ['p2']);
      assert.deepEqual(await q({ 'addr.line': 'x' }), ['p1']);
      assert.deepEqual(await q({ items: { $elemMatch: { k: 'y', n: { $gt: 2 } } } }), ['p5']);
      assert.deepEqual(await q({ items: { $elemMatch: { k: 'x', n: { $gt: 2 } } } }), []);
      assert.deepEqual(await q({ 'items.k': 'y' }), ['p5']);
      assert.deepEqual(await q({ $and: [{ city: 'Oslo' }, { age: { $gt: 35 } }] }), ['p3']);
      assert.deepEqual(await q({ $or: [{ city: 'Rome' }, { age: { $gt: 45 } }] }), ['p2', 'p5']);
      assert.deepEqual(await q({ age: { $not: { $gt: 30 } } }), ['p2', 'p4']);
      assert.deepEqual(await q({ name: { $regex: '^[a-c]', $options: 'i' } }), ['p1', 'p2', 'p3']);
      assert.deepEqual(await q({ name: /e$/ }), ['p4', 'p5']);
      assert.deepEqual(await q({ active: true, city: 'Oslo' }), ['p1', 'p3']);
      assert.deepEqual(await q({ active: { $ne: true } }), ['p2', 'p4', 'p5']);
    }));

  test('deleteOne and deleteMany', () =>
    withDb(engine, async (db) => {
      const c = db.collection('people');
      await c.insertMany(people.map((p) => ({ ...p })));
      assert.equal((await c.deleteOne({ city: 'Oslo' })).deletedCount, 1);
      assert.equal(await c.countDocuments({ city: 'Oslo' }), 1);
      assert.equal((await c.deleteMany({ age: { $lt: 45 } })).deletedCount, 3);
      assert.deepEqual(ids(await c.find({}).toArray()), ['p5']);
      assert.equal((await c.deleteMany({ nothing: 1 })).deletedCount, 0);
      assert.equal((await c.deleteMany({})).deletedCount, 1);
      assert.equal(await c.countDocuments({}), 0);
    }));

  test('collections are independent', () =>
    withDb(engine, async (db) => {
      await db.collection('a').insertOne({ _id: 'x', v: 1 });
      await db.collection('b').insertOne({ _id: 'x', v: 2 });
      assert.equal((await db.collection('a').findOne({ _id: 'x' }))?.v, 1);
      assert.equal((await db.collection('b').findOne({ _id: 'x' }))?.v, 2);
      await db.ping();
    }));
});
