/**
 * Brute-force cross-check of compileSearch on real data. The resources are those of the Synthea
 * bundle ../shared/data/synthea/patient-01.json (references rewritten from urn:uuid to Type/id as
 * the server stores them), plus the Patient of every other bundle in that folder for the Patient
 * parameters. For a sample of parameters per type and values taken from the data, with every
 * prefix / modifier that applies, two answers are compared:
 *   - the compiled filter evaluated with mingo over `{ _idx: extractSearchIndex(resource) }`
 *   - a direct evaluation written here from the R4 rules over the resource JSON itself (not the
 *     index): the elements the parameter's expression names (e.g. Observation.effective[x],
 *     Encounter.period, Patient.name parts), date ranges from their precision, the prefix table,
 *     number precision ranges, token system / code equality, prefix matching of normalised strings.
 * So each case checks extraction + compilation + mingo against the specification's semantics.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Query } from 'mingo';
import { parseDateRange } from '../../src/fhir/datetime.js';
import { rewriteReferences } from '../../src/fhir/references.js';
import { extractSearchIndex, type SearchIndex } from '../../src/search/extract.js';
import { compileSearch } from '../../src/search/query/index.js';

const dataDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../shared/data/synthea');
const NOW = Date.UTC(2025, 0, 1);
const PREFIXES = ['eq', 'ne', 'gt', 'lt', 'ge', 'le', 'sa', 'eb', 'ap'] as const;
type Prefix = (typeof PREFIXES)[number];
type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

function bundleResources(file: string): Json[] {
  const bundle = JSON.parse(fs.readFileSync(path.join(dataDir, file), 'utf8')) as fhir4.Bundle;
  const map = new Map<string, string>();
  for (const e of bundle.entry ?? []) if (e.fullUrl && e.resource?.id) map.set(e.fullUrl, `${e.resource.resourceType}/${e.resource.id}`);
  const resources = (bundle.entry ?? []).map((e) => e.resource!);
  for (const r of resources) rewriteReferences(r, map);
  return resources as Json[];
}

const files = fs.existsSync(dataDir) ? fs.readdirSync(dataDir).filter((f) => /^patient-\d+\.json$/.test(f)).sort() : [];
const resources: Json[] = files.length ? bundleResources('patient-01.json') : [];
for (const f of files.slice(1)) resources.push(...bundleResources(f).filter((r) => r.resourceType === 'Patient'));
const docs = resources.map((r) => ({ r, _idx: extractSearchIndex(r as fhir4.Resource) as SearchIndex }));
const ofType = (type: string) => docs.filter((d) => d.r.resourceType === type);

interface Stats {
  cases: number;
  nonTrivial: number;
}

/** Compares compiled vs direct for every case; returns how many cases matched some but not all resources. */
function crossCheck(type: string, cases: Array<{ params: [string, string][]; expect: (r: Json) => boolean }>): Stats {
  const pool = ofType(type);
  assert.ok(pool.length > 0, `no ${type} in the data`);
  let nonTrivial = 0;
  for (const { params, expect } of cases) {
    const q = new Query(compileSearch({ type, params, strict: true, now: NOW }).filter);
    const got = pool.filter((d) => q.test(d)).map((d) => d.r.id as string);
    const want = pool.filter((d) => expect(d.r)).map((d) => d.r.id as string);
    assert.deepEqual(got.sort(), want.sort(), `${type}?${params.map(([k, v]) => `${k}=${v}`).join('&')}`);
    if (want.length > 0 && want.length < pool.length) nonTrivial++;
  }
  return { cases: cases.length, nonTrivial };
}

// ----------------------------------------------------------------------------------------------
// the semantics, written from search.html

interface Range {
  lo: number;
  hi: number;
}

function dateRangeOf(text: string | undefined): Range | undefined {
  const r = text ? parseDateRange(text) : undefined;
  return r ? { lo: r.start, hi: r.end } : undefined;
}

function periodRange(p: Json | undefined): Range | undefined {
  if (!p || (!p.start && !p.end)) return undefined;
  return { lo: dateRangeOf(p.start)?.lo ?? -Infinity, hi: dateRangeOf(p.end)?.hi ?? Infinity };
}

/** The prefix table for target range T and search range S (dates); ap widens S by 10% of its distance to now. */
function dateMatch(prefix: Prefix, S: Range, T: Range): boolean {
  switch (prefix) {
    case 'eq':
      return T.lo >= S.lo && T.hi <= S.hi;
    case 'ne':
      return !(T.lo >= S.lo && T.hi <= S.hi);
    case 'gt':
      return T.hi > S.hi;
    case 'lt':
      return T.lo < S.lo;
    case 'ge':
      return T.hi > S.hi || (T.lo >= S.lo && T.hi <= S.hi);
    case 'le':
      return T.lo < S.lo || (T.lo >= S.lo && T.hi <= S.hi);
    case 'sa':
      return T.lo > S.hi;
    case 'eb':
      return T.hi < S.lo;
    case 'ap': {
      const gap = NOW < S.lo ? S.lo - NOW : NOW > S.hi ? NOW - S.hi : 0;
      const m = Math.round(gap / 10);
      return T.lo <= S.hi + m && T.hi >= S.lo - m;
    }
  }
}

/** Number semantics: eq / ne on the precision range [lo, hi) of the written value, others on the exact value. */
function numberMatch(prefix: Prefix, text: string, n: number): boolean {
  const v = Number(text);
  const decimals = (text.split('.')[1] ?? '').length;
  const half = 0.5 * 10 ** -decimals;
  const lo = Number((v - half).toFixed(decimals + 1));
  const hi = Number((v + half).toFixed(decimals + 1));
  switch (prefix) {
    case 'eq':
      return n >= lo && n < hi;
    case 'ne':
      return n < lo || n >= hi;
    case 'gt':
    case 'sa':
      return n > v;
    case 'lt':
    case 'eb':
      return n < v;
    case 'ge':
      return n >= v;
    case 'le':
      return n <= v;
    case 'ap':
      return n >= Math.min(lo, v - Math.abs(v) / 10) && n <= Math.max(hi, v + Math.abs(v) / 10);
  }
}

const norm = (s: string) => s.normalize('NFD').replace(/[\u0300-\u036f]/g, '').replace(/\s+/g, ' ').trim().toLowerCase();

/** Deterministic sample: up to k values spread over the sorted distinct values. */
function sample<T>(values: T[], k: number): T[] {
  const distinct = [...new Set(values)].sort();
  if (distinct.length <= k) return distinct;
  return Array.from({ length: k }, (_, i) => distinct[Math.floor((i * (distinct.length - 1)) / (k - 1))]);
}

/** Search values for dates: each sample at year, month, day and full precision. */
function dateValues(texts: string[], k: number): string[] {
  const out: string[] = [];
  for (const t of sample(texts, k)) out.push(t.slice(0, 4), t.slice(0, 7), t.slice(0, 10), t);
  return [...new Set(out)];
}

function dateCases(param: string, targets: (r: Json) => Range[], texts: string[], k = 6) {
  const cases = [];
  for (const value of dateValues(texts, k)) {
    const S = dateRangeOf(value)!;
    for (const prefix of PREFIXES) {
      cases.push({ params: [[param, `${prefix}${value}`]] as [string, string][], expect: (r: Json) => targets(r).some((T) => dateMatch(prefix, S, T)) });
    }
  }
  return cases;
}

type Coding = { system?: string; code?: string; display?: string };
const codingsOf = (cc: Json | undefined): Coding[] => (cc?.coding ?? []) as Coding[];

function tokenCases(param: string, codings: (r: Json) => Coding[], all: Coding[], k = 8) {
  const cases = [];
  const seen = sample(
    all.map((c) => `${c.system ?? ''}|${c.code ?? ''}`),
    k,
  );
  for (const key of seen) {
    const [system, code] = key.split('|');
    const has = (r: Json, f: (c: Coding) => boolean) => codings(r).some(f);
    cases.push(
      { params: [[param, code]] as [string, string][], expect: (r: Json) => has(r, (c) => c.code === code) },
      { params: [[param, `${system}|${code}`]] as [string, string][], expect: (r: Json) => has(r, (c) => c.code === code && c.system === system) },
      { params: [[param, `${system}|`]] as [string, string][], expect: (r: Json) => has(r, (c) => c.system === system) },
      { params: [[param, `|${code}`]] as [string, string][], expect: (r: Json) => has(r, (c) => c.code === code && c.system === undefined) },
      { params: [[`${param}:not`, `${system}|${code}`]] as [string, string][], expect: (r: Json) => !has(r, (c) => c.code === code && c.system === system) },
      { params: [[`${param}:missing`, 'true']] as [string, string][], expect: (r: Json) => codings(r).length === 0 },
    );
  }
  // OR of two codes
  if (seen.length >= 2) {
    const [a, b] = [seen[0].split('|'), seen[seen.length - 1].split('|')];
    cases.push({ params: [[param, `${a.join('|')},${b.join('|')}`]] as [string, string][], expect: (r: Json) => codings(r).some((c) => (c.system === a[0] && c.code === a[1]) || (c.system === b[0] && c.code === b[1])) });
  }
  return cases;
}

function quantityCases(param: string, values: (r: Json) => Json[], all: number[], k = 5) {
  const cases = [];
  for (const v of sample(all, k)) {
    const texts = [...new Set([String(Math.round(v)), v.toFixed(1), v.toFixed(2)])];
    for (const text of texts) {
      for (const prefix of PREFIXES) {
        cases.push({ params: [[param, `${prefix}${text}`]] as [string, string][], expect: (r: Json) => values(r).some((q) => numberMatch(prefix, text, q.value)) });
      }
    }
    const text = v.toFixed(1);
    cases.push(
      { params: [[param, `${text}|http://unitsofmeasure.org|mm[Hg]`]] as [string, string][], expect: (r: Json) => values(r).some((q) => numberMatch('eq', text, q.value) && q.system === 'http://unitsofmeasure.org' && q.code === 'mm[Hg]') },
      { params: [[param, `gt${text}||kg`]] as [string, string][], expect: (r: Json) => values(r).some((q) => numberMatch('gt', text, q.value) && (q.unit === 'kg' || q.code === 'kg')) },
    );
  }
  return cases;
}

const observations = ofType('Observation').map((d) => d.r);
const patients = ofType('Patient').map((d) => d.r);

describe('search query: cross-check on Synthea data', { skip: files.length === 0 && 'no Synthea data' }, () => {
  const totals: Stats = { cases: 0, nonTrivial: 0 };
  const add = (s: Stats) => ((totals.cases += s.cases), (totals.nonTrivial += s.nonTrivial), s);

  it('Observation code (token): code, system|code, system|, |code, :not, :missing, OR', () => {
    const all = observations.flatMap((o) => codingsOf(o.code));
    add(crossCheck('Observation', tokenCases('code', (r) => codingsOf(r.code), all)));
  });

  it('Observation code:text: the display / text starts with the value', () => {
    const words = sample(
      observations.flatMap((o) => [o.code.text, ...codingsOf(o.code).map((c) => c.display)]).filter(Boolean).map((t: string) => t.slice(0, 6)),
      10,
    );
    const cases = words.map((w) => ({
      params: [['code:text', w]] as [string, string][],
      expect: (r: Json) => [r.code?.text, ...codingsOf(r.code).map((c) => c.display)].some((t) => typeof t === 'string' && norm(t).startsWith(norm(w))),
    }));
    add(crossCheck('Observation', cases));
  });

  it('Observation date (effective[x]) with every prefix', () => {
    const targets = (r: Json) => [dateRangeOf(r.effectiveDateTime), dateRangeOf(r.effectiveInstant), periodRange(r.effectivePeriod)].filter((x): x is Range => !!x);
    add(crossCheck('Observation', dateCases('date', targets, observations.map((o) => o.effectiveDateTime).filter(Boolean))));
  });

  it('Observation value-quantity with every prefix and with units', () => {
    const values = (r: Json) => (r.valueQuantity ? [r.valueQuantity] : []);
    add(crossCheck('Observation', quantityCases('value-quantity', values, observations.filter((o) => o.valueQuantity).map((o) => o.valueQuantity.value))));
  });

  it('Observation component-code-value-quantity (composite): code and value within one component', () => {
    const cases = [];
    const comps = observations.flatMap((o) => (o.component ?? []) as Json[]);
    for (const code of ['8480-6', '8462-4']) {
      for (const v of sample(comps.filter((c) => codingsOf(c.code).some((x) => x.code === code)).map((c) => c.valueQuantity.value as number), 4)) {
        for (const prefix of ['gt', 'lt', 'ap'] as Prefix[]) {
          const text = v.toFixed(0);
          cases.push({
            params: [['component-code-value-quantity', `http://loinc.org|${code}$${prefix}${text}`]] as [string, string][],
            expect: (r: Json) => ((r.component ?? []) as Json[]).some((c) => codingsOf(c.code).some((x) => x.system === 'http://loinc.org' && x.code === code) && c.valueQuantity && numberMatch(prefix, text, c.valueQuantity.value)),
          });
        }
      }
    }
    add(crossCheck('Observation', cases));
  });

  it('Observation subject / patient / encounter (reference)', () => {
    const cases = [];
    for (const ref of sample(observations.map((o) => o.encounter?.reference).filter(Boolean), 5)) {
      cases.push({ params: [['encounter', ref]] as [string, string][], expect: (r: Json) => r.encounter?.reference === ref });
      cases.push({ params: [['encounter', ref.split('/')[1]]] as [string, string][], expect: (r: Json) => r.encounter?.reference === ref });
    }
    const patient = observations[0].subject.reference as string;
    cases.push(
      { params: [['subject', patient]] as [string, string][], expect: (r: Json) => r.subject?.reference === patient },
      { params: [['patient', patient.split('/')[1]]] as [string, string][], expect: (r: Json) => r.subject?.reference === patient },
      { params: [['subject:Group', patient.split('/')[1]]] as [string, string][], expect: () => false },
    );
    add(crossCheck('Observation', cases));
  });

  it('Encounter date (period) and class (Coding)', () => {
    const encounters = ofType('Encounter').map((d) => d.r);
    add(crossCheck('Encounter', dateCases('date', (r) => [periodRange(r.period)].filter((x): x is Range => !!x), encounters.flatMap((e) => [e.period?.start, e.period?.end]).filter(Boolean))));
    add(crossCheck('Encounter', tokenCases('class', (r) => (r.class ? [r.class] : []), encounters.map((e) => e.class))));
  });

  it('Condition code and onset-date', () => {
    const conditions = ofType('Condition').map((d) => d.r);
    add(crossCheck('Condition', tokenCases('code', (r) => codingsOf(r.code), conditions.flatMap((c) => codingsOf(c.code)))));
    const onset = (r: Json) => [dateRangeOf(r.onsetDateTime), periodRange(r.onsetPeriod)].filter((x): x is Range => !!x);
    add(crossCheck('Condition', dateCases('onset-date', onset, conditions.map((c) => c.onsetDateTime).filter(Boolean))));
  });

  it(`Patient name (${patients.length} patients): starts-with, :exact, :contains`, () => {
    const parts = (r: Json) => ((r.name ?? []) as Json[]).flatMap((n) => [n.text, n.family, ...(n.given ?? []), ...(n.prefix ?? []), ...(n.suffix ?? [])]).filter((x): x is string => typeof x === 'string');
    const names = patients.flatMap(parts);
    const cases = [];
    for (const name of sample(names, 12)) {
      cases.push(
        { params: [['name', name.slice(0, 3)]] as [string, string][], expect: (r: Json) => parts(r).some((p) => norm(p).startsWith(norm(name.slice(0, 3)))) },
        { params: [['name', name.toUpperCase()]] as [string, string][], expect: (r: Json) => parts(r).some((p) => norm(p).startsWith(norm(name))) },
        { params: [['name:exact', name]] as [string, string][], expect: (r: Json) => parts(r).includes(name) },
        { params: [['name:contains', name.slice(1, 4)]] as [string, string][], expect: (r: Json) => parts(r).some((p) => norm(p).includes(norm(name.slice(1, 4)))) },
        { params: [['family', name]] as [string, string][], expect: (r: Json) => ((r.name ?? []) as Json[]).some((n) => typeof n.family === 'string' && norm(n.family).startsWith(norm(name))) },
      );
    }
    add(crossCheck('Patient', cases));
  });

  it('Patient birthdate (every prefix) and gender', () => {
    add(crossCheck('Patient', dateCases('birthdate', (r) => [dateRangeOf(r.birthDate)].filter((x): x is Range => !!x), patients.map((p) => p.birthDate), 8)));
    const cases = ['male', 'female', 'other', 'male,female'].flatMap((g) => [
      { params: [['gender', g]] as [string, string][], expect: (r: Json) => g.split(',').includes(r.gender) },
      { params: [['gender:not', g]] as [string, string][], expect: (r: Json) => !g.split(',').includes(r.gender) },
    ]);
    add(crossCheck('Patient', cases));
  });

  it('the cross-check is not vacuous', () => {
    assert.ok(totals.cases > 1000, `${totals.cases} cases`);
    assert.ok(totals.nonTrivial > totals.cases / 4, `${totals.nonTrivial} of ${totals.cases} cases match some but not all resources`);
    console.log(`# cross-checked ${totals.cases} searches, ${totals.nonTrivial} matching some but not all resources`);
  });
});
