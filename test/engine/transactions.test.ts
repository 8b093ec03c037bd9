import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isDuplicateKeyError } from '../../src/store/database.js';
import { describeEngines, ids, withDb } from './harness.js';

describeEngines('transactions', (engine) => {
  test('commit applies every write; result is returned', () =>
    withDb(engine, async (db) => {
      const a = db.collection('a');
      const b = db.collection('b');
      await a.insertOne({ _id: 'x', n: 1 });
      const result = await db.withTransaction(async (session) => {
        await a.updateOne({ _id: 'x' }, { $inc: { n: 1 } }, { session });
        await a.insertOne({ _id: 'y', n: 10 }, { session });
        await b.insertMany([{ _id: 'h1' }, { _id: 'h2' }], { session });
        await a.deleteOne({ _id: 'x' }, { session });
        await a.replaceOne({ _id: 'y' }, { n: 11 }, { session });
        return 'done';
      });
      assert.equal(result, 'done');
      assert.deepEqual(await a.find({}).toArray(), [{ _id: 'y', n: 11 }]);
      assert.equal(await b.countDocuments({}), 2);
    }));

  test('a thrown error rolls back everything and is rethrown unchanged', () =>
    withDb(engine, async (db) => {
      const a = db.collection('a');
      await a.insertOne({ _id: 'x', n: 1 });
      const boom = new Error('boom');
      await assert.rejects(
        db.withTransaction(async (session) => {
          await a.updateOne({ _id: 'x' }, { $set: { n: 2 } }, { session });
          await a.insertOne({ _id: 'y' }, { session });
          await db.collection('b').insertOne({ _id: 'z' }, { session });
          throw boom;
        }),
        (e) => e === boom,
      );
      assert.deepEqual(await a.find({}).toArray(), [{ _id: 'x', n: 1 }]);
      assert.equal(await db.collection('b').countDocuments({}), 0);
    }));

  test('read-your-writes inside; invisible outside until commit', () =>
    withDb(engine, async (db) => {
      const c = db.collection('c');
      await c.createIndex({ k: 1 });
      await c.insertMany([
        { _id: '1', k: 'a', n: 1 },
        { _id: '2', k: 'b', n: 2 },
        { _id: '3', k: 'a', n: 3 },
      ]);
      await db.withTransaction(async (session) => {
        await c.insertOne({ _id: '4', k: 'a', n: 0 }, { session });
        await c.updateOne({ _id: '1' }, { $set: { k: 'b' } }, { session });
        await c.deleteOne({ _id: '3' }, { session });
        await c.updateOne({ _id: '2' }, { $set: { n: 20 } }, { session });
        // inside: filters (indexed and not), sort, count, findOne see the transaction's writes
        assert.deepEqual(ids(await c.find({ k: 'a' }, { session, sort: { n: 1 } }).toArray()), ['4']);
        assert.deepEqual(ids(await c.find({ k: 'b' }, { session, sort: { n: -1 } }).toArray()), ['2', '1']);
        assert.deepEqual(ids(await c.find({ n: { $gte: 1 } }, { session, sort: { n: 1 } }).toArray()), ['1', '2']);
        assert.equal(await c.countDocuments({}, { session }), 3);
        assert.equal((await c.findOne({ _id: '2' }, { session }))?.n, 20);
        assert.equal(await c.findOne({ _id: '3' }, { session }), null);
        assert.deepEqual(ids(await c.find({}, { session, sort: { _id: 1 }, skip: 1, limit: 1 }).toArray()), ['2']);
        // outside: the committed state only
        assert.deepEqual(ids(await c.find({ k: 'a' }, { sort: { n: 1 } }).toArray()), ['1', '3']);
        assert.equal(await c.countDocuments({}), 3);
        assert.equal(await c.findOne({ _id: '4' }), null);
        assert.equal((await c.findOne({ _id: '2' }))?.n, 2);
      });
      assert.deepEqual(ids(await c.find({}, { sort: { _id: 1 } }).toArray()), ['1', '2', '4']);
      assert.deepEqual(ids(await c.find({ k: 'a' }).toArray()), ['4']);
      assert.deepEqual(ids(await c.find({ k: 'b' }, { sort: { _id: 1 } }).toArray()), ['1', '2']);
    }));

  test('a unique violation inside a transaction throws there; rethrowing rolls back', () =>
    withDb(engine, async (db) => {
      const c = db.collection('c');
      await c.createIndex({ id: 1, v: 1 }, { unique: true });
      await c.insertOne({ id: 'p', v: 1 });
      // duplicate of committed data
      await assert.rejects(
        db.withTransaction(async (session) => {
          await c.insertOne({ id: 'q', v: 1 }, { session });
          await c.insertOne({ id: 'p', v: 1 }, { session });
        }),
        (e) => isDuplicateKeyError(e),
      );
      // duplicate of the transaction's own write
      await assert.rejects(
        db.withTransaction(async (session) => {
          await c.insertOne({ id: 'p', v: 2 }, { session });
          await c.updateOne({ id: 'p', v: 1 }, { $set: { v: 2 } }, { session });
        }),
        (e) => isDuplicateKeyError(e),
      );
      assert.equal(await c.countDocuments({}), 1);
    }));

  // MongoDB aborts the whole transaction on any write error; the embedded engine only fails the
  // operation, so code that catches and continues keeps the transaction's other writes.
  test('a failed operation inside a transaction leaves no partial writes', { skip: engine.name !== 'embedded' }, () =>
    withDb(engine, async (db) => {
      const c = db.collection('c');
      await c.createIndex({ k: 1 }, { unique: true });
      await db.withTransaction(async (session) => {
        await c.insertOne({ _id: 'a', k: 1 }, { session });
        await assert.rejects(c.insertMany([{ _id: 'b', k: 2 }, { _id: 'c', k: 1 }], { session }), (e) => isDuplicateKeyError(e));
        assert.equal(await c.countDocuments({}, { session }), 1);
      });
      assert.deepEqual(await c.find({}).toArray(), [{ _id: 'a', k: 1 }]);
    }));

  test('upserts and findOneAndUpdate inside a transaction', () =>
    withDb(engine, async (db) => {
      const c = db.collection('c');
      const seen = await db.withTransaction(async (session) => {
        const first = await c.findOneAndUpdate({ _id: 'ctr' }, { $inc: { n: 1 } }, { upsert: true, returnDocument: 'after', session });
        const second = await c.findOneAndUpdate({ _id: 'ctr' }, { $inc: { n: 1 } }, { upsert: true, returnDocument: 'after', session });
        await c.updateOne({ _id: 'other' }, { $set: { v: 1 } }, { upsert: true, session });
        return [first?.n, second?.n];
      });
      assert.deepEqual(seen, [1, 2]);
      assert.deepEqual(await c.find({}, { sort: { _id: 1 } }).toArray(), [{ _id: 'ctr', n: 2 }, { _id: 'other', v: 1 }]);
    }));

  test('concurrent read-modify-write transactions are serializable', () =>
    withDb(engine, async (db) => {
      const c = db.collection('acct');
      await c.insertOne({ _id: 'bal', n: 0 });
      const runOne = (): Promise<void> =>
        db.withTransaction(async (session) => {
          const cur = await c.findOne({ _id: 'bal' }, { session });
          await c.updateOne({ _id: 'bal' }, { $set: { n: (cur?.n as number) + 1 } }, { session });
        });
      // MongoDB reports write conflicts as transient errors the driver retries; serial is fine there
      if (engine.name === 'mongodb') for (let i = 0; i < 10; i++) await runOne();
      else await Promise.all(Array.from({ length: 25 }, runOne));
      assert.equal((await c.findOne({ _id: 'bal' }))?.n, engine.name === 'mongodb' ? 10 : 25);
    }));

  test('plain writes wait for a running transaction (no lost updates)', { skip: engine.name !== 'embedded' }, () =>
    withDb(engine, async (db) => {
      const c = db.collection('acct');
      await c.insertOne({ _id: 'bal', n: 0 });
      const work: Promise<unknown>[] = [];
      for (let i = 0; i < 30; i++) {
        work.push(c.updateOne({ _id: 'bal' }, { $inc: { n: 1 } }));
        work.push(db.withTransaction(async (session) => {
          const cur = await c.findOne({ _id: 'bal' }, { session });
          await new Promise((r) => setTimeout(r, 1));
          await c.replaceOne({ _id: 'bal' }, { n: (cur?.n as number) + 1 }, { session });
        }));
      }
      await Promise.all(work);
      assert.equal((await c.findOne({ _id: 'bal' }))?.n, 60);
    }));

  test('plain writes interleaved with transactions all apply', () =>
    withDb(engine, async (db) => {
      const c = db.collection('mix');
      const work: Promise<unknown>[] = [];
      for (let i = 0; i < 20; i++) {
        work.push(c.insertOne({ _id: `plain${i}` }));
        if (i % 5 === 0) {
          work.push(db.withTransaction(async (session) => {
            await c.insertOne({ _id: `txn${i}a` }, { session });
            await c.insertOne({ _id: `txn${i}b` }, { session });
          }));
        }
      }
      await Promise.all(work);
      assert.equal(await c.countDocuments({}), 20 + 4 * 2);
    }));

  test('a session cannot be used after its transaction ended', { skip: engine.name !== 'embedded' }, () =>
    withDb(engine, async (db) => {
      const c = db.collection('c');
      let saved: Parameters<Parameters<typeof db.withTransaction>[0]>[0] | undefined;
      await db.withTransaction(async (session) => {
        saved = session;
        await c.insertOne({ _id: 'a' }, { session });
      });
      await assert.rejects(c.insertOne({ _id: 'b' }, { session: saved }));
      await assert.rejects(c.find({}, { session: saved }).toArray());
      await assert.rejects(db.withTransaction(async () => db.withTransaction(async () => 1)), /nested/);
    }));
});
