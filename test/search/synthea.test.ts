/**
 * Cross-check on real data: three Synthea transaction Bundles (../shared/data/synthea) are posted,
 * every resource is read back through the transaction-response locations (so references are the
 * server's Type/id), and search results (all pages) are compared with a brute-force filter written
 * here from the R4 rules over the resources themselves:
 *   token      some Coding with system == S and code == C (or any system without S)
 *   date       the element's range (its precision; Period start..end, open ends unbounded; no zone
 *              = UTC) compared with the search range by the R4 prefix table
 *   quantity   the value compared with the number (gt / lt: exact value)
 *   string     the normalised (lower case, accents removed) part starts with the value
 *   reference  Type/id equality
 *   composite  code and value on the same component
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import request from 'supertest';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { idFromLocation } from '../rest/_util.js';
import { FHIR_JSON, allPages, expectStatus, postBundle, sorted, type Json } from './_lib.js';

const dataDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../shared/data/synthea');
const FILES = ['patient-01.json', 'patient-02.json', 'patient-03.json'];
const LOINC = 'http://loinc.org';
const SCT = 'http://snomed.info/sct';

let t: TestApp;
const byType = new Map<string, Json[]>();
const of = (type: string): Json[] => byType.get(type) ?? [];

before(async () => {
  t = await createTestApp();
  for (const f of FILES) {
    const bundle = JSON.parse(fs.readFileSync(path.join(dataDir, f), 'utf8'));
    const res = await postBundle(t, bundle);
    expectStatus(res, 200, `transaction ${f}`);
    assert.equal(res.body.entry.length, bundle.entry.length);
    for (const [i, e] of (res.body.entry as Json[]).entries()) {
      const type = bundle.entry[i].resource.resourceType;
      const id = idFromLocation(e.response.location, type);
      const got = await request(t.app).get(`/fhir/${type}/${id}`).set('Accept', FHIR_JSON);
      expectStatus(got, 200, `read back ${type}/${id}`);
      if (!byType.has(type)) byType.set(type, []);
      byType.get(type)!.push(got.body);
    }
  }
});
after(async () => {
  await t?.close();
});

// ---------- the brute-force side ----------

type Range = [number, number];
const DT = /^(\d{4})(?:-(\d{2})(?:-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d+))?)?(Z|[+-]\d{2}:\d{2})?)?)?)?$/;

/** A FHIR date / dateTime / instant as an inclusive [lo, hi] in epoch ms. */
function dateRange(text: string): Range {
  const m = DT.exec(text);
  assert.ok(m, `not a date: ${text}`);
  const [, y, mo, d, h, mi, s, frac, zone] = m;
  const Y = Number(y);
  if (mo === undefined) return [Date.UTC(Y, 0, 1), Date.UTC(Y + 1, 0, 1) - 1];
  const M = Number(mo) - 1;
  if (d === undefined) return [Date.UTC(Y, M, 1), Date.UTC(Y, M + 1, 1) - 1];
  const D = Number(d);
  if (h === undefined) return [Date.UTC(Y, M, D), Date.UTC(Y, M, D + 1) - 1];
  let offset = 0;
  if (zone && zone !== 'Z') offset = (zone[0] === '-' ? -1 : 1) * (Number(zone.slice(1, 3)) * 60 + Number(zone.slice(4, 6)));
  const base = Date.UTC(Y, M, D, Number(h), Number(mi), Number(s ?? 0)) - offset * 60000;
  if (s === undefined) return [base, base + 60000 - 1];
  if (frac === undefined) return [base, base + 999];
  const ms = Number((frac + '00').slice(0, 3));
  const width = frac.length >= 3 ? 1 : 10 ** (3 - frac.length);
  return [base + ms, base + ms + width - 1];
}

function periodRange(p: Json): Range | undefined {
  if (!p || (!p.start && !p.end)) return undefined;
  return [p.start ? dateRange(p.start)[0] : -Infinity, p.end ? dateRange(p.end)[1] : Infinity];
}

/** The R4 prefix table on ranges: T the target, S the search value. */
function datePrefix(prefix: string, T: Range, S: Range): boolean {
  const contains = T[0] >= S[0] && T[1] <= S[1];
  switch (prefix) {
    case 'eq':
      return contains;
    case 'ne':
      return !contains;
    case 'gt':
      return T[1] > S[1];
    case 'lt':
      return T[0] < S[0];
    case 'ge':
      return T[1] > S[1] || contains;
    case 'le':
      return T[0] < S[0] || contains;
    case 'sa':
      return T[0] > S[1];
    case 'eb':
      return T[1] < S[0];
    default:
      throw new Error(prefix);
  }
}

function dateMatch(value: string, targets: Range[]): boolean {
  const m = /^(eq|ne|gt|lt|ge|le|sa|eb)?(.*)$/.exec(value)!;
  const prefix = m[1] ?? 'eq';
  const S = dateRange(m[2]);
  return targets.some((T) => datePrefix(prefix, T, S));
}

const observationDate = (o: Json): Range[] =>
  o.effectiveDateTime ? [dateRange(o.effectiveDateTime)] : o.effectiveInstant ? [dateRange(o.effectiveInstant)] : o.effectivePeriod ? [periodRange(o.effectivePeriod)!] : [];

const hasCoding = (cc: Json, system: string | undefined, code: string): boolean =>
  (cc?.coding ?? []).some((c: Json) => c.code === code && (system === undefined || c.system === system));

const norm = (s: string): string => s.normalize('NFD').replace(/[\u0300-\u036f]/g, '').toLowerCase().replace(/\s+/g, ' ').trim();

/** Every match of a search through all pages (_count=50 unless given), as sorted ids. */
async function searchIds(type: string, query: string): Promise<string[]> {
  const q = /(^|&)_count=/.test(query) ? query : `${query}&_count=50`;
  const count = Number(/(?:^|&)_count=(\d+)/.exec(q)![1]);
  const r = await allPages(t, type, q, { count });
  return sorted(r.matches.map((k) => {
    assert.ok(k.startsWith(`${type}/`), `${type}?${query}: a ${k} among the matches`);
    return k.slice(type.length + 1);
  }));
}

async function check(type: string, query: string, expect: (r: Json) => boolean, opts: { nonTrivial?: boolean } = {}): Promise<void> {
  const want = sorted(of(type).filter(expect).map((r) => r.id));
  if (opts.nonTrivial !== false) {
    assert.ok(want.length > 0 && want.length < of(type).length, `${type}?${query}: the case should match some but not all (${want.length} of ${of(type).length})`);
  }
  const got = await searchIds(type, query);
  const missing = want.filter((id) => !got.includes(id));
  const extra = got.filter((id) => !want.includes(id));
  assert.deepEqual({ missing, extra }, { missing: [], extra: [] }, `${type}?${query}: ${got.length} found, ${want.length} expected`);
}

// ---------- the cases ----------

describe('Synthea cross-check', () => {
  it('the data is loaded (3 patients, hundreds of observations)', () => {
    assert.equal(of('Patient').length, 3);
    assert.ok(of('Observation').length > 300);
    assert.ok(of('Encounter').length > 50);
  });

  it('Observation?code=<LOINC> for every LOINC code in the data (system|code and code), paging by 10', async () => {
    const codes = new Set<string>();
    for (const o of of('Observation')) for (const c of o.code.coding) if (c.system === LOINC) codes.add(c.code);
    assert.ok(codes.size > 10);
    for (const code of [...codes].slice(0, 40)) {
      await check('Observation', `code=${LOINC}|${code}&_count=10`, (o) => hasCoding(o.code, LOINC, code));
      await check('Observation', `code=${code}&_count=10`, (o) => hasCoding(o.code, undefined, code));
    }
  });
  it('Observation?code=a,b (OR) and code:not', async () => {
    await check('Observation', `code=${LOINC}|8302-2,${LOINC}|29463-7`, (o) => hasCoding(o.code, LOINC, '8302-2') || hasCoding(o.code, LOINC, '29463-7'));
    await check('Observation', `code:not=${LOINC}|8302-2`, (o) => !hasCoding(o.code, LOINC, '8302-2'));
  });
  it('Observation?category=vital-signs (more than one page of 50)', async () => {
    const sys = 'http://terminology.hl7.org/CodeSystem/observation-category';
    const want = of('Observation').filter((o) => (o.category ?? []).some((c: Json) => hasCoding(c, sys, 'vital-signs')));
    assert.ok(want.length > 50);
    await check('Observation', `category=${sys}|vital-signs`, (o) => (o.category ?? []).some((c: Json) => hasCoding(c, sys, 'vital-signs')));
  });

  it('Patient?birthdate with every prefix around the birth dates in the data', async () => {
    const dates = of('Patient').map((p) => p.birthDate as string);
    for (const d of [...dates, dates[0].slice(0, 4), dates[0].slice(0, 7), '1949-07', '2000']) {
      for (const prefix of ['', 'ge', 'gt', 'le', 'lt', 'ne', 'sa', 'eb']) {
        await check('Patient', `birthdate=${prefix}${d}`, (p) => dateMatch(`${prefix}${d}`, p.birthDate ? [dateRange(p.birthDate)] : []), { nonTrivial: false });
      }
    }
  });

  it('Encounter?date=ge2015-01-01 (Encounter.period)', async () => {
    await check('Encounter', 'date=ge2015-01-01', (e) => dateMatch('ge2015-01-01', [periodRange(e.period)!].filter(Boolean)));
  });
  it('Encounter?date with other prefixes and precisions', async () => {
    const starts = of('Encounter').map((e) => e.period.start as string);
    const sample = [starts[3], starts[10].slice(0, 10), starts[20].slice(0, 7), '2012', '2000-06-15T00:00:00Z', starts[30].slice(0, 19)];
    for (const v of sample) {
      for (const prefix of ['', 'ge', 'gt', 'le', 'lt', 'sa', 'eb', 'ne']) {
        await check('Encounter', `date=${prefix}${v}`, (e) => dateMatch(`${prefix}${v}`, [periodRange(e.period)!].filter(Boolean)), { nonTrivial: false });
      }
    }
  });
  it('Encounter?date=ge2010&date=lt2013 (AND) and Encounter?subject=Patient/<id>', async () => {
    await check('Encounter', 'date=ge2010&date=lt2013', (e) => dateMatch('ge2010', [periodRange(e.period)!]) && dateMatch('lt2013', [periodRange(e.period)!]));
    const p = of('Patient')[1];
    await check('Encounter', `subject=Patient/${p.id}`, (e) => e.subject?.reference === `Patient/${p.id}`);
  });

  it('Observation?date=ge2016-01-01&date=lt2017-01-01', async () => {
    await check('Observation', 'date=ge2016-01-01&date=lt2017-01-01', (o) => dateMatch('ge2016-01-01', observationDate(o)) && dateMatch('lt2017-01-01', observationDate(o)));
  });

  it('Condition?code=<SNOMED> for every SNOMED code in the data', async () => {
    const codes = new Set<string>();
    for (const c of of('Condition')) for (const cd of c.code.coding) if (cd.system === SCT) codes.add(cd.code);
    for (const code of codes) await check('Condition', `code=${SCT}|${code}`, (c) => hasCoding(c.code, SCT, code));
    const [p] = of('Patient');
    await check('Condition', `patient=${p.id}`, (c) => c.subject?.reference === `Patient/${p.id}`);
  });

  it('Observation?value-quantity=gt100 / lt10 (any unit) and with a UCUM unit', async () => {
    const v = (o: Json) => o.valueQuantity?.value as number | undefined;
    await check('Observation', 'value-quantity=gt100', (o) => v(o) !== undefined && v(o)! > 100);
    await check('Observation', 'value-quantity=lt10', (o) => v(o) !== undefined && v(o)! < 10);
    await check('Observation', 'value-quantity=gt60|http://unitsofmeasure.org|kg', (o) => v(o) !== undefined && v(o)! > 60 && o.valueQuantity.system === 'http://unitsofmeasure.org' && o.valueQuantity.code === 'kg');
  });
  it('Observation?component-code-value-quantity=http://loinc.org|8480-6$gt120 (same component)', async () => {
    const high = (o: Json, code: string, limit: number) => (o.component ?? []).some((c: Json) => hasCoding(c.code, LOINC, code) && c.valueQuantity?.value > limit);
    await check('Observation', `component-code-value-quantity=${LOINC}|8480-6$gt120`, (o) => high(o, '8480-6', 120));
    await check('Observation', `component-code-value-quantity=${LOINC}|8462-4$gt80`, (o) => high(o, '8462-4', 80));
  });
  it('Observation?subject:Patient.birthdate=<date> (chained) and Patient?_has:Observation:patient:code', async () => {
    const p = of('Patient')[2];
    await check('Observation', `subject:Patient.birthdate=${p.birthDate}`, (o) => o.subject?.reference === `Patient/${p.id}`);
    const code = '2339-0';
    const withCode = new Set(of('Observation').filter((o) => hasCoding(o.code, LOINC, code)).map((o) => o.subject.reference));
    await check('Patient', `_has:Observation:patient:code=${LOINC}|${code}`, (x) => withCode.has(`Patient/${x.id}`), { nonTrivial: false });
  });
  it('Patient?name=<prefix> and family:exact', async () => {
    for (const p of of('Patient')) {
      const fam = p.name[0].family as string;
      const prefix = fam.slice(0, 3).toLowerCase();
      const parts = (x: Json) => (x.name ?? []).flatMap((n: Json) => [n.family, ...(n.given ?? []), ...(n.prefix ?? []), ...(n.suffix ?? []), n.text]).filter(Boolean) as string[];
      await check('Patient', `name=${prefix}`, (x) => parts(x).some((s) => norm(s).startsWith(norm(prefix))), { nonTrivial: false });
      await check('Patient', `family:exact=${fam}`, (x) => (x.name ?? []).some((n: Json) => n.family === fam), { nonTrivial: false });
    }
  });
  it('Observation?patient=<id>&_sort=-date: every match once, dates not increasing', async () => {
    const p = of('Patient')[0];
    const r = await allPages(t, 'Observation', `patient=${p.id}&_sort=-date&_count=50`, { count: 50 });
    const want = sorted(of('Observation').filter((o) => o.subject?.reference === `Patient/${p.id}`).map((o) => o.id));
    assert.deepEqual(sorted(r.matches.map((k) => k.split('/')[1])), want);
    const his = r.resources.map((o) => observationDate(o)[0]?.[1] ?? -Infinity);
    for (let i = 1; i < his.length; i++) assert.ok(his[i] <= his[i - 1], `not sorted by -date at ${i}: ${r.resources[i - 1].effectiveDateTime} then ${r.resources[i].effectiveDateTime}`);
  });
});
