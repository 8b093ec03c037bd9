import { it } from 'node:test';
import assert from 'node:assert/strict';
import { Query } from 'mingo';
import { dateCondition, dateSortHint } from '../../src/search/query/date.js';

// The sort-key hint of a date search must hold for every document the entry condition matches.
it('date sort-key hints never exclude a match (every prefix, random ranges)', () => {
  const now = Date.UTC(2026, 11, 1);
  const values = ['2019', '2020-03', '2020-03-15', '2020-03-15T10:00:00Z', '2021-01-01T00:00:00+02:00'];
  const prefixes = ['', 'eq', 'ne', 'gt', 'lt', 'ge', 'le', 'sa', 'eb', 'ap'];
  let seed = 7;
  const rand = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  const base = Date.UTC(2018, 0, 1);
  const span = Date.UTC(2023, 0, 1) - base;
  const docs = Array.from({ length: 400 }, () => {
    const entries = Array.from({ length: 1 + Math.floor(rand() * 3) }, () => {
      const lo = base + Math.floor(rand() * span);
      return { p: 'date', lo, hi: lo + Math.floor(rand() * rand() * span * 0.3) };
    });
    return {
      _idx: {
        e: entries,
        sort: { date: { lo: Math.min(...entries.map((e) => e.lo)), hi: Math.max(...entries.map((e) => e.hi)) } },
      },
    };
  });
  let checked = 0;
  for (const v of values) {
    for (const p of prefixes) {
      const value = p + v;
      const match = new Query({ '_idx.e': { $elemMatch: { p: 'date', ...dateCondition('date', value, now) } } });
      const hint = dateSortHint('date', value, now);
      if (p === 'ne') {
        assert.equal(hint, undefined);
        continue;
      }
      assert.ok(hint, value);
      const h = new Query(hint);
      for (const d of docs) {
        if (match.test(d)) {
          checked++;
          assert.ok(h.test(d), `${value}: a match fails the hint: ${JSON.stringify(d)}`);
        }
      }
    }
  }
  assert.ok(checked > 500, `only ${checked} matches checked`);
});
