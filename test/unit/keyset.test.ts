import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Query } from 'mingo';
import { afterFilter, cursorOf, decodeCursor, encodeCursor, reversed, type SortKey } from '../../src/search/execute/keyset.js';

// Documents with a sort value that may be missing, ordered as MongoDB orders them (missing lowest).
const docs = [
  { _id: 'a', s: { v: 3 } },
  { _id: 'b' },
  { _id: 'c', s: { v: 1 } },
  { _id: 'd', s: { v: 3 } },
  { _id: 'e' },
  { _id: 'f', s: { v: 2 } },
];

function ordered(keys: SortKey[]) {
  const val = (d: Record<string, unknown>, f: string) => f.split('.').reduce<unknown>((o, p) => (o as Record<string, unknown> | undefined)?.[p], d) ?? null;
  return [...docs].sort((x, y) => {
    for (const k of keys) {
      const a = val(x, k.field) as number | string | null;
      const b = val(y, k.field) as number | string | null;
      if (a === b) continue;
      if (a === null) return -k.dir;
      if (b === null) return k.dir;
      return (a < b ? -1 : 1) * k.dir;
    }
    return 0;
  });
}

describe('keyset paging', () => {
  for (const dir of [1, -1] as const) {
    it(`walks every document exactly once, missing values included (dir ${dir})`, () => {
      const keys: SortKey[] = [{ field: 's.v', dir }, { field: '_id', dir: 1 }];
      const all = ordered(keys);
      for (let i = 0; i < all.length; i++) {
        const cursor = cursorOf(all[i], keys, 'n');
        const q = new Query(afterFilter(keys, cursor.values));
        const after = all.filter((d) => q.test(d)).map((d) => d._id);
        assert.deepEqual(after, all.slice(i + 1).map((d) => d._id), `after ${all[i]._id}`);
        const before = new Query(afterFilter(reversed(keys), cursor.values));
        assert.deepEqual(all.filter((d) => before.test(d)).map((d) => d._id), all.slice(0, i).map((d) => d._id), `before ${all[i]._id}`);
      }
    });
  }

  it('cursors round-trip and refuse foreign text', () => {
    const keys: SortKey[] = [{ field: 's.v', dir: 1 }, { field: '_id', dir: 1 }];
    const c = cursorOf(docs[0], keys, 'p');
    assert.deepEqual(decodeCursor(encodeCursor(c), keys), c);
    assert.throws(() => decodeCursor('nonsense', keys));
    assert.throws(() => decodeCursor(encodeCursor({ dir: 'n', values: ['x'] }), keys));
  });
});
