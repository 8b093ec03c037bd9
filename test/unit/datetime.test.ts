import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parseDateRange } from '../../src/fhir/datetime.js';

const iso = (ms: number) => new Date(ms).toISOString();

describe('parseDateRange', () => {
  it('a year, a month and a day are whole ranges', () => {
    const y = parseDateRange('2020')!;
    assert.equal(iso(y.start), '2020-01-01T00:00:00.000Z');
    assert.equal(iso(y.end), '2020-12-31T23:59:59.999Z');
    const m = parseDateRange('2020-02')!;
    assert.equal(iso(m.end), '2020-02-29T23:59:59.999Z');
    const d = parseDateRange('2021-03-14')!;
    assert.equal(iso(d.start), '2021-03-14T00:00:00.000Z');
    assert.equal(iso(d.end), '2021-03-14T23:59:59.999Z');
  });

  it('times respect their zone and precision', () => {
    const t = parseDateRange('2020-03-01T10:00:00-03:00')!;
    assert.equal(iso(t.start), '2020-03-01T13:00:00.000Z');
    assert.equal(iso(t.end), '2020-03-01T13:00:00.999Z');
    const minute = parseDateRange('2020-03-01T10:00Z')!;
    assert.equal(iso(minute.end), '2020-03-01T10:00:59.999Z');
    const ms = parseDateRange('2020-03-01T10:00:00.123Z')!;
    assert.equal(ms.start, ms.end);
    assert.equal(iso(ms.start), '2020-03-01T10:00:00.123Z');
    const tenth = parseDateRange('2020-03-01T10:00:00.1+01:00')!;
    assert.equal(iso(tenth.start), '2020-03-01T09:00:00.100Z');
    assert.equal(iso(tenth.end), '2020-03-01T09:00:00.199Z');
  });

  it('rejects what is not a FHIR date', () => {
    for (const bad of ['', 'notadate', '2020-13', '2020-02-30', '2020-01-01T25:00:00Z', '20', '2020-1-1', '2020-01-01T10:00:00+15:00']) {
      assert.equal(parseDateRange(bad), undefined, bad);
    }
  });
});
