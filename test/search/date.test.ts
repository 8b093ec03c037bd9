/**
 * date parameters (search.html#date, #prefix). Every value is an implicit range (its precision;
 * a Period start..end, an open end unbounded), compared by the R4 prefix table:
 *   eq  the search range fully contains the target range
 *   ne  it does not
 *   gt  the range above the search value intersects the target    (target.hi > search.hi)
 *   lt  the range below the search value intersects the target    (target.lo < search.lo)
 *   ge  gt, or the search range fully contains the target
 *   le  lt, or the search range fully contains the target
 *   sa  the target starts after the search range ends              (target.lo > search.hi)
 *   eb  the target ends before the search range starts             (target.hi < search.lo)
 *   ap  approximately (the server widens by 10% of the distance from now)
 * Values without a zone are UTC (this server's choice, src/search/query/date.ts). Expected
 * results are written by hand from that table.
 */
import { describe, it, before, after } from 'node:test';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { expectMatches, expectPostMatches, expectSome, putAll } from './_lib.js';

let t: TestApp;

const bd = (id: string, birthDate?: string) => ({ resourceType: 'Patient', id, ...(birthDate ? { birthDate } : {}) });
const obs = (id: string, effective: Record<string, unknown>) => ({ resourceType: 'Observation', id, status: 'final', code: { text: 'date test' }, ...effective });
const enc = (id: string, period: Record<string, string>) => ({ resourceType: 'Encounter', id, status: 'finished', class: { code: 'AMB' }, period });

const today = new Date().toISOString().slice(0, 10);
const aYearAgo = new Date(Date.now() - 400 * 86400e3).toISOString().slice(0, 10);

before(async () => {
  t = await createTestApp();
  await putAll(t, [
    bd('d1', '2020-03-15'),
    bd('d2', '2020-03'),
    bd('d3', '2020'),
    bd('d4', '2019-12-31'),
    bd('d5', '2020-04-01'),
    bd('d6', '2021-01-01'),
    bd('d7'),
    bd('d8', '2010-06-01'),
    bd('d9', '2024-06-01'),
    bd('dnow', today),
    bd('dyear', aYearAgo),

    obs('t1', { effectiveDateTime: '2020-01-01T10:00:00+02:00' }), // 08:00:00Z
    obs('t2', { effectiveDateTime: '2020-01-01T08:30:00Z' }),
    obs('t3', { effectiveInstant: '2020-01-01T23:30:00.000-05:00' }), // 2020-01-02T04:30Z
    obs('t4', { effectivePeriod: { start: '2019-12-31T22:00:00Z', end: '2020-01-01T09:00:00Z' } }),
    obs('t5', { effectivePeriod: { start: '2020-01-05' } }), // open end
    obs('t6', { effectiveDateTime: '2020-01-01' }),
    obs('t7', { effectivePeriod: { end: '2019-06-30' } }), // open start
    obs('t8', { valueString: 'no effective' }),

    enc('e1', { start: '2015-03-01T09:00:00Z', end: '2015-03-01T10:00:00Z' }),
    enc('e2', { start: '2014-12-30', end: '2015-01-02' }),
    enc('e3', { start: '2016-05-01' }),
    enc('e4', { start: '2010-01-01', end: '2010-01-31' }),
  ]);
});
after(async () => {
  await t?.close();
});

const WITH_BIRTHDATE = ['d1', 'd2', 'd3', 'd4', 'd5', 'd6', 'd8', 'd9', 'dnow', 'dyear'];
const not = (ids: string[]) => WITH_BIRTHDATE.filter((id) => !ids.includes(id));

describe('date: prefixes on a month (birthdate, 2020-03)', () => {
  it('eq (and no prefix): the target within March 2020', async () => {
    await expectMatches(t, 'Patient', 'birthdate=2020-03', ['d1', 'd2']);
    await expectMatches(t, 'Patient', 'birthdate=eq2020-03', ['d1', 'd2']);
  });
  it('ne: every value not within March 2020 (no value: no match)', async () => {
    await expectMatches(t, 'Patient', 'birthdate=ne2020-03', not(['d1', 'd2']));
  });
  it('gt', async () => {
    await expectMatches(t, 'Patient', 'birthdate=gt2020-03', ['d3', 'd5', 'd6', 'd9', 'dnow', 'dyear']);
  });
  it('lt', async () => {
    await expectMatches(t, 'Patient', 'birthdate=lt2020-03', ['d3', 'd4', 'd8']);
  });
  it('ge', async () => {
    await expectMatches(t, 'Patient', 'birthdate=ge2020-03', ['d1', 'd2', 'd3', 'd5', 'd6', 'd9', 'dnow', 'dyear']);
  });
  it('le', async () => {
    await expectMatches(t, 'Patient', 'birthdate=le2020-03', ['d1', 'd2', 'd3', 'd4', 'd8']);
  });
  it('sa', async () => {
    await expectMatches(t, 'Patient', 'birthdate=sa2020-03', ['d5', 'd6', 'd9', 'dnow', 'dyear']);
  });
  it('eb', async () => {
    await expectMatches(t, 'Patient', 'birthdate=eb2020-03', ['d4', 'd8']);
  });
});

describe('date: prefixes on a year (2020)', () => {
  it('eq', async () => {
    await expectMatches(t, 'Patient', 'birthdate=2020', ['d1', 'd2', 'd3', 'd5']);
  });
  it('ne', async () => {
    await expectMatches(t, 'Patient', 'birthdate=ne2020', not(['d1', 'd2', 'd3', 'd5']));
  });
  it('gt / sa', async () => {
    await expectMatches(t, 'Patient', 'birthdate=gt2020', ['d6', 'd9', 'dnow', 'dyear']);
    await expectMatches(t, 'Patient', 'birthdate=sa2020', ['d6', 'd9', 'dnow', 'dyear']);
  });
  it('lt / eb', async () => {
    await expectMatches(t, 'Patient', 'birthdate=lt2020', ['d4', 'd8']);
    await expectMatches(t, 'Patient', 'birthdate=eb2020', ['d4', 'd8']);
  });
  it('ge / le', async () => {
    await expectMatches(t, 'Patient', 'birthdate=ge2020', ['d1', 'd2', 'd3', 'd5', 'd6', 'd9', 'dnow', 'dyear']);
    await expectMatches(t, 'Patient', 'birthdate=le2020', ['d1', 'd2', 'd3', 'd4', 'd5', 'd8']);
  });
});

describe('date: prefixes on a day (2020-03-15)', () => {
  it('eq: only the same day (a month is not within a day)', async () => {
    await expectMatches(t, 'Patient', 'birthdate=2020-03-15', ['d1']);
  });
  it('gt: the month and the year extend past the day', async () => {
    await expectMatches(t, 'Patient', 'birthdate=gt2020-03-15', ['d2', 'd3', 'd5', 'd6', 'd9', 'dnow', 'dyear']);
  });
  it('lt', async () => {
    await expectMatches(t, 'Patient', 'birthdate=lt2020-03-15', ['d2', 'd3', 'd4', 'd8']);
  });
  it('ge / le include the day itself', async () => {
    await expectMatches(t, 'Patient', 'birthdate=ge2020-03-15', ['d1', 'd2', 'd3', 'd5', 'd6', 'd9', 'dnow', 'dyear']);
    await expectMatches(t, 'Patient', 'birthdate=le2020-03-15', ['d1', 'd2', 'd3', 'd4', 'd8']);
  });
  it('sa / eb exclude overlapping ranges', async () => {
    await expectMatches(t, 'Patient', 'birthdate=sa2020-03-15', ['d5', 'd6', 'd9', 'dnow', 'dyear']);
    await expectMatches(t, 'Patient', 'birthdate=eb2020-03-15', ['d4', 'd8']);
  });
  it('ne', async () => {
    await expectMatches(t, 'Patient', 'birthdate=ne2020-03-15', not(['d1']));
  });
});

describe('date: ap (approximately)', () => {
  it('ap2020-03-15 includes the day, the month, the year and dates weeks away; not years away', async () => {
    // 10% of the distance from now (years) is far more than 2.5 months: d4 (Dec 31) and d5 (Apr 1) are in
    await expectSome(t, 'Patient', 'birthdate=ap2020-03-15', ['d1', 'd2', 'd3', 'd4', 'd5'], ['d8', 'd9', 'dnow', 'dyear', 'd7']);
  });
  it('ap on today matches today, not a date more than a year ago', async () => {
    await expectSome(t, 'Patient', `birthdate=ap${today}`, ['dnow'], ['dyear', 'd1', 'd8', 'd9']);
  });
});

describe('date: repeated is AND, comma is OR', () => {
  it('birthdate=ge2020-01-01&birthdate=lt2020-04-01 (a range)', async () => {
    // ge2020-01-01: d1 d2 d3 d5 d6 d9 dnow dyear; lt2020-04-01: d1 d2 d3 d4 d8
    await expectMatches(t, 'Patient', 'birthdate=ge2020-01-01&birthdate=lt2020-04-01', ['d1', 'd2', 'd3']);
  });
  it('birthdate=2010-06-01,2019-12-31', async () => {
    await expectMatches(t, 'Patient', 'birthdate=2010-06-01,2019-12-31', ['d4', 'd8']);
  });
  it('birthdate:missing=true', async () => {
    await expectMatches(t, 'Patient', 'birthdate:missing=true', ['d7']);
  });
  it('POST _search: birthdate=ge2021', async () => {
    await expectPostMatches(t, 'Patient', 'birthdate=ge2021', '', ['d6', 'd9', 'dnow', 'dyear']);
  });
});

describe('date: dateTime, instant, Period and time zones (Observation date)', () => {
  it('a dateTime with an offset is the same instant as its UTC form', async () => {
    await expectMatches(t, 'Observation', 'date=2020-01-01T10:00:00+02:00', ['t1']);
    await expectMatches(t, 'Observation', 'date=2020-01-01T08:00:00Z', ['t1']);
  });
  it('an instant with a negative offset: 2020-01-01T23:30:00-05:00', async () => {
    await expectMatches(t, 'Observation', 'date=2020-01-01T23:30:00-05:00', ['t3']);
    await expectMatches(t, 'Observation', 'date=2020-01-02T04:30:00Z', ['t3']);
    await expectMatches(t, 'Observation', 'date=2020-01-02T04:30:00.000Z', ['t3']);
  });
  it('a day (UTC) contains the dateTimes of that day, not a Period crossing midnight', async () => {
    await expectMatches(t, 'Observation', 'date=2020-01-01', ['t1', 't2', 't6']);
    await expectMatches(t, 'Observation', 'date=2020-01-02', ['t3']);
  });
  it('gt with a time', async () => {
    await expectMatches(t, 'Observation', 'date=gt2020-01-01T08:15:00Z', ['t2', 't3', 't4', 't5', 't6']);
  });
  it('lt with a time (an open-start Period is below everything)', async () => {
    await expectMatches(t, 'Observation', 'date=lt2020-01-01T08:15:00Z', ['t1', 't4', 't6', 't7']);
  });
  it('the zone of the search value counts: ge2020-01-01T09:30:00+02:00 is ge 07:30Z', async () => {
    await expectMatches(t, 'Observation', 'date=ge2020-01-01T09:30:00+02:00', ['t1', 't2', 't3', 't4', 't5', 't6']);
    await expectMatches(t, 'Observation', 'date=lt2020-01-01T09:30:00+02:00', ['t4', 't6', 't7']);
  });
  it('sa / eb on a day', async () => {
    await expectMatches(t, 'Observation', 'date=sa2020-01-01', ['t3', 't5']);
    await expectMatches(t, 'Observation', 'date=eb2020-01-01', ['t7']);
  });
  it('ge / le on a day', async () => {
    await expectMatches(t, 'Observation', 'date=ge2020-01-02', ['t3', 't5']);
    // t4 (Dec 31 22:00 .. Jan 1 09:00) is neither below Dec 31 nor within it
    await expectMatches(t, 'Observation', 'date=le2019-12-31', ['t7']);
  });
  it('an open-ended Period matches gt far in the future, but never eq', async () => {
    await expectMatches(t, 'Observation', 'date=gt2099-01-01', ['t5']);
    await expectMatches(t, 'Observation', 'date=2020-01-05', []);
    await expectMatches(t, 'Observation', 'date=ge2020-01-05', ['t5']);
  });
  it('ne on a day', async () => {
    await expectMatches(t, 'Observation', 'date=ne2020-01-01', ['t3', 't4', 't5', 't7']);
  });
  it('date:missing=true', async () => {
    await expectMatches(t, 'Observation', 'date:missing=true', ['t8']);
  });
});

describe('date: Encounter.period', () => {
  it('Encounter?date=ge2015-01-01', async () => {
    await expectMatches(t, 'Encounter', 'date=ge2015-01-01', ['e1', 'e2', 'e3']);
  });
  it('Encounter?date=lt2015-01-01', async () => {
    await expectMatches(t, 'Encounter', 'date=lt2015-01-01', ['e2', 'e4']);
  });
  it('Encounter?date=2015-03-01 (a one-hour period within the day), date=2015', async () => {
    await expectMatches(t, 'Encounter', 'date=2015-03-01', ['e1']);
    await expectMatches(t, 'Encounter', 'date=2015', ['e1']);
  });
  it('Encounter?date=ge2015-01-01&date=le2015-12-31', async () => {
    await expectMatches(t, 'Encounter', 'date=ge2015-01-01&date=le2015-12-31', ['e1', 'e2']);
  });
  it('Encounter?date=sa2014, eb2015', async () => {
    await expectMatches(t, 'Encounter', 'date=sa2014', ['e1', 'e3']);
    await expectMatches(t, 'Encounter', 'date=eb2015', ['e4']);
  });
});
