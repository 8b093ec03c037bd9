/** Embedded engine: the binary key encoding must order values exactly as mingo compares them. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { compare } from 'mingo/util';
import { componentEnd, decodeComponent, encodeFull, encodeTuple, MAX_COMPONENT } from '../../src/store/embedded/keys.js';
import { describeEngines, withDb } from './harness.js';

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

const sign = (n: number): number => (n < 0 ? -1 : n > 0 ? 1 : 0);

test('number, string and date keys sort like mingo compares', () => {
  const r = rng(7);
  const chars = ['a', 'b', 'z', 'A', '\0', '\u00e9', '\u4e2d', '\ud83d\ude00', '\uffff', '\ue000', ' ', '~'];
  const values: unknown[] = [0, -0, 1, -1, 0.5, -0.5, 1e300, -1e300, Infinity, -Infinity, 2 ** 53, Number.MIN_VALUE, '', 'a', 'a\0', 'a\0b', 'ab'];
  for (let i = 0; i < 300; i++) {
    const kind = i % 3;
    if (kind === 0) values.push((r() - 0.5) * 10 ** Math.floor(r() * 12));
    if (kind === 1) values.push(Array.from({ length: Math.floor(r() * 6) }, () => chars[Math.floor(r() * chars.length)]).join(''));
    if (kind === 2) values.push(new Date(Math.floor((r() - 0.5) * 1e13)));
  }
  const kindOf = (v: unknown): string => (v instanceof Date ? 'date' : typeof v);
  for (let i = 0; i < values.length; i++) {
    for (let j = 0; j < values.length; j += 7) {
      const a = values[i];
      const b = values[j];
      const byKey = sign(Buffer.compare(encodeFull(a), encodeFull(b)));
      if (kindOf(a) === kindOf(b)) {
        assert.equal(byKey, sign(compare(a, b)), `${JSON.stringify(a)} vs ${JSON.stringify(b)}`);
      } else {
        assert.notEqual(byKey, 0);
      }
    }
  }
});

test('keys decode to their exact value, or to nothing when the key cannot tell it (covered scans)', () => {
  const exact: unknown[] = [1, -1, 0.5, -2.5e-300, 1e15, -(2 ** 53 - 1), NaN, '', 'a', 'a\0b', '\u00e9t\u00e9', '\u4e2d', '\ud83d\ude00', '\ud800', 'x'.repeat(MAX_COMPONENT - 1), true, false, null, new Date(0), new Date(-1e12)];
  for (const v of exact) {
    const key = Buffer.concat([encodeTuple([v]), encodeTuple(['next'])]);
    const d = decodeComponent(key, 0);
    assert.ok(d, `decodes ${String(v)}`);
    assert.deepEqual(d.value, v);
    assert.equal(d.end, encodeTuple([v]).length);
    assert.equal(componentEnd(key, 0), d.end);
    assert.deepEqual(decodeComponent(key, d.end)?.value, 'next');
  }
  // 0 may be -0, beyond 2^53 may be a bigint, long strings may be cut: not told
  for (const v of [0, -0, 2 ** 53 + 2, -1e300, Infinity, 'y'.repeat(MAX_COMPONENT), 'y'.repeat(500), '\u00e9'.repeat(MAX_COMPONENT / 2), { a: 1 }, [1], Buffer.from('ab')]) {
    const key = encodeTuple([v]);
    assert.equal(decodeComponent(key, 0), undefined, `${JSON.stringify(v)?.slice(0, 20)} is not told`);
    assert.equal(componentEnd(Buffer.concat([key, encodeTuple([7])]), 0), key.length);
  }
});

test('type order of keys follows BSON: null < numbers < strings < objects < arrays < booleans < dates', () => {
  const ordered = [null, -5, 5, '', 'x', { a: 1 }, [1], false, true, new Date(0)];
  for (let i = 1; i < ordered.length; i++) {
    assert.ok(Buffer.compare(encodeFull(ordered[i - 1]), encodeFull(ordered[i])) < 0, `${i}`);
  }
});

test('long values are cut to a prefix, keeping tuple boundaries', () => {
  const long = 'x'.repeat(1000);
  const cut = encodeTuple([long]);
  assert.ok(cut.length <= MAX_COMPONENT + 5);
  assert.deepEqual(encodeTuple([long + 'a']), cut);
  assert.ok(Buffer.compare(encodeTuple([long, 1]), encodeTuple([long, 2])) < 0);
});

describeEngines('long index keys', (engine) => {
  test('unique and lookups on values longer than the key cut', () =>
    withDb(engine, async (db) => {
      const c = db.collection('long');
      await c.createIndex({ s: 1 }, { unique: true });
      const base = 'u'.repeat(600);
      await c.insertOne({ _id: 'a', s: `${base}a` });
      await c.insertOne({ _id: 'b', s: `${base}b` }); // same cut prefix, different value
      await assert.rejects(c.insertOne({ _id: 'c', s: `${base}a` }), (e: { code?: number }) => e.code === 11000);
      assert.equal((await c.findOne({ s: `${base}b` }))?._id, 'b');
      assert.equal(await c.countDocuments({ s: { $gt: `${base}a` } }), 1);
      assert.equal(await c.countDocuments({ s: { $gte: `${base}a`, $lte: `${base}b` } }), 2);
      assert.equal(await c.countDocuments({ s: { $lt: base } }), 0);
    }));
});
