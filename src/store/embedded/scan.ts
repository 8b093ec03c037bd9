/**
 * Reading an index plan's entries: its ranges in order, the entries whose document fails a probe
 * (planner.ts: the other equality conditions, tested by key lookups) left out, counted in the
 * engine's statistics. Shared by query.ts (candidate documents) and covered.ts (key documents).
 */
import { concat } from './keys.js';
import type { Plan } from './planner.js';
import type { CollStore } from './store.js';

type IndexPlan = Extract<Plan, { kind: 'index' }>;

/** The plan's index entries, `key` = tuple + id key, `idKey` = the document's key. */
export function* indexEntries(store: CollStore, plan: IndexPlan): Generator<{ key: Buffer; idKey: Buffer }> {
  store.stats.indexScans++;
  const { db } = plan.index;
  const probes = plan.probes;
  for (const r of plan.ranges) {
    for (const { key, value: idKey } of db.getRange({ start: r.start, end: r.end })) {
      store.stats.keysExamined++;
      if (probes && !probes.every((alt) => alt.some((tuple) => db.doesExist(concat(tuple, idKey))))) continue;
      yield { key, idKey };
    }
  }
}
