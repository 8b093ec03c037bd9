/**
 * Single-valued date parameters (scripts/generate-single-valued.ts, parameters.ts isSingleValued):
 * the generated table is current and right, and for them the condition on the sort keys
 * (date.ts dateSortCondition) matches exactly what the entry condition matches.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { Query } from 'mingo';
import { SINGLE_VALUED_FILE, buildSingleValued, serialiseSingleValued } from '../../scripts/generate-single-valued.js';
import { getSearchParameter, isSingleValued } from '../../src/search/parameters.js';
import { compileSearch } from '../../src/search/query/index.js';
import { dateCondition, dateSortCondition } from '../../src/search/query/date.js';
import { extractSearchIndex } from '../../src/search/extract.js';

const single = (type: string, code: string): boolean => isSingleValued(getSearchParameter(type, code)!);

describe('single-valued date parameters', () => {
  it('the checked-in table is current (node --import tsx scripts/generate-single-valued.ts)', () => {
    assert.equal(fs.readFileSync(SINGLE_VALUED_FILE, 'utf8'), serialiseSingleValued(buildSingleValued()));
  });

  it('are told from the R4 cardinalities', () => {
    for (const [type, code] of [['Encounter', 'date'], ['Observation', 'date'], ['Patient', 'birthdate'], ['Condition', 'recorded-date'], ['Patient', '_lastUpdated'], ['Procedure', 'date']]) {
      assert.ok(single(type, code), `${type}.${code}`);
    }
    // 0..* on the way (dosageInstruction, event), a union of two paths, an ofType()
    for (const [type, code] of [['MedicationRequest', 'date'], ['Condition', 'onset-date'], ['Observation', 'component-value-quantity'], ['Immunization', 'reaction-date'], ['Patient', 'death-date']]) {
      assert.equal(getSearchParameter(type, code) ? single(type, code) : false, false, `${type}.${code}`);
    }
  });

  it('Encounter?date=ge... is one condition on the sort keys, MedicationRequest?date=ge... an $elemMatch', () => {
    const enc = JSON.stringify(compileSearch({ type: 'Encounter', params: [['date', 'ge2020-01-01']], strict: false }).filter);
    assert.ok(!enc.includes('$elemMatch') && enc.includes('_idx.sort.date.lo'), enc);
    const med = JSON.stringify(compileSearch({ type: 'MedicationRequest', params: [['date', 'ge2020-01-01']], strict: false }).filter);
    assert.ok(med.includes('$elemMatch'), med);
  });

  it('on one-entry index documents the sort-key condition matches exactly the entry condition (every prefix)', () => {
    const now = Date.UTC(2026, 11, 1);
    let seed = 11;
    const rand = (): number => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    const day = 86_400_000;
    const starts = ['2019-12-31', '2020-01-01', '2020-01-01T12:00:00Z', '2020-01-02', '2020-03-15T10:00:00+02:00', '2021'];
    const docs = Array.from({ length: 600 }, (_, i) => {
      const lo = Date.UTC(2019, 11, 25) + Math.floor(rand() * 20 * day);
      const period: fhir4.Period = {};
      if (i % 5 !== 0) period.start = new Date(lo).toISOString();
      if (i % 7 !== 0) period.end = new Date(lo + Math.floor(rand() * rand() * 10 * day)).toISOString();
      if (i % 11 === 0) period.start = starts[i % starts.length];
      return { _idx: extractSearchIndex({ resourceType: 'Encounter', id: `e${i}`, status: 'finished', class: { code: 'AMB' }, period } as fhir4.Encounter) };
    });
    let matched = 0;
    for (const v of ['2020', '2020-01', '2020-01-01', '2020-01-01T12:00:00Z', '2020-01-03T00:00:00+05:00']) {
      for (const p of ['', 'eq', 'ne', 'gt', 'lt', 'ge', 'le', 'sa', 'eb', 'ap']) {
        const entry = new Query({ '_idx.e': { $elemMatch: { p: 'date', ...dateCondition('date', p + v, now) } } });
        const sortKeys = new Query(dateSortCondition('date', p + v, now));
        for (const d of docs) {
          const want = entry.test(d);
          assert.equal(sortKeys.test(d), want, `${p}${v} on ${JSON.stringify(d._idx.sort.date)}`);
          if (want) matched++;
        }
      }
    }
    assert.ok(matched > 3000, `only ${matched} matches`);
  });
});
