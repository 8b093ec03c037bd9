/**
 * Errors and unknown parameters (search.html#errors, http.html Prefer handling): an unknown
 * parameter is ignored by default, reported in a search.mode outcome entry and left out of the self
 * link; with `Prefer: handling=strict` it is a 400 naming it. Malformed values and unsupported
 * modifiers are a 400 in both modes. The CapabilityStatement lists search-type and searchParam, and
 * every listed searchParam is accepted.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import request from 'supertest';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { getSearchParameter, getSearchParameterByUrl } from '../../src/search/parameters.js';
import {
  assertSearchset, entriesOf, expectError, expectMatches, get, linkOf, outcomeText, page, postSearch, putAll, show, type Json,
} from './_lib.js';

let t: TestApp;
const STRICT = { headers: { Prefer: 'handling=strict' } };
const LENIENT = { headers: { Prefer: 'handling=lenient' } };

before(async () => {
  t = await createTestApp();
  await putAll(t, [
    { resourceType: 'Patient', id: 'e1', name: [{ family: 'Known' }], birthDate: '2000-01-01' },
    { resourceType: 'Patient', id: 'e2', name: [{ family: 'Other' }] },
  ]);
});
after(async () => {
  await t?.close();
});

describe('unknown parameters', () => {
  it('default: ignored, the other parameters still apply, an outcome entry names it, the self link leaves it out', async () => {
    await expectMatches(t, 'Patient', 'foo=bar&family=known', ['e1']);
    const b = await page(t, 'Patient', 'foo=bar&family=known');
    const outcomes = entriesOf(b, 'outcome');
    assert.equal(outcomes.length, 1, `one outcome entry: ${JSON.stringify(b.entry)}`);
    assert.match(outcomeText(outcomes[0].resource), /foo/);
    assert.ok(outcomes[0].resource.issue.every((i: Json) => i.severity !== 'error' && i.severity !== 'fatal'), 'an ignored parameter is not an error');
    const self = new URL(linkOf(b, 'self')!);
    assert.equal(self.searchParams.has('foo'), false, `self link ${self}`);
    assert.equal(self.searchParams.get('family'), 'known', `self link ${self}`);
  });
  it('default: an unknown parameter alone → every resource', async () => {
    await expectMatches(t, 'Patient', 'foo=bar', ['e1', 'e2']);
  });
  it('Prefer: handling=lenient behaves as the default', async () => {
    const b = await page(t, 'Patient', 'foo=bar&family=known', LENIENT);
    assert.deepEqual(entriesOf(b, 'match').map((e) => e.resource.id), ['e1']);
    assert.match(outcomeText(entriesOf(b, 'outcome')[0]?.resource), /foo/);
  });
  it('Prefer: handling=strict → 400 naming the parameter', async () => {
    const oo = expectError(await get(t, 'Patient', 'foo=bar&family=known', STRICT), [400], 'strict unknown');
    assert.match(outcomeText(oo), /foo/);
  });
  it('Prefer: handling=strict with known parameters only → 200, no outcome entry', async () => {
    const b = await page(t, 'Patient', 'family=known&_count=5&_sort=family', STRICT);
    assert.deepEqual(entriesOf(b, 'match').map((e) => e.resource.id), ['e1']);
    assert.equal(entriesOf(b, 'outcome').length, 0);
  });
  it('strict: _format and _pretty are known parameters', async () => {
    const b = await page(t, 'Patient', 'family=known&_format=json&_pretty=true', STRICT);
    assert.deepEqual(entriesOf(b, 'match').map((e) => e.resource.id), ['e1']);
  });
  it('strict: a parameter of another type (Observation code on Patient) → 400', async () => {
    const oo = expectError(await get(t, 'Patient', 'value-quantity=5', STRICT), [400], 'strict other type');
    assert.match(outcomeText(oo), /value-quantity/);
  });
  it('strict: an unknown chained parameter → 400', async () => {
    expectError(await get(t, 'Observation', 'subject:Patient.foo=bar', STRICT), [400], 'strict unknown chain');
  });
  it('strict with POST _search: the body is checked too', async () => {
    const oo = expectError(await postSearch(t, 'Patient', 'foo=bar', '', STRICT), [400], 'strict POST');
    assert.match(outcomeText(oo), /foo/);
  });
  it('strict on a system search', async () => {
    expectError(await get(t, '', '_id=e1&foo=bar', STRICT), [400], 'strict system search');
  });
});

describe('malformed values and unsupported modifiers → 400 in both modes', () => {
  const cases: Array<[string, string, string]> = [
    ['Patient', 'birthdate=notadate', 'birthdate'],
    ['Patient', 'birthdate=2020-13-01', 'birthdate'],
    ['Patient', 'birthdate=xx2020', 'birthdate'],
    ['Patient', 'birthdate=gt', 'birthdate'],
    ['RiskAssessment', 'probability=abc', 'probability'],
    ['RiskAssessment', 'probability=gt1x', 'probability'],
    ['Observation', 'value-quantity=abc', 'value-quantity'],
    ['Patient', '_count=abc', '_count'],
    ['Patient', '_count=-1', '_count'],
    ['Patient', 'name:foo=x', 'name'],
    ['Patient', 'gender:exact=male', 'gender'],
    ['Patient', 'active:missing=maybe', 'active'],
    ['Patient', '_summary=sometimes', '_summary'],
    ['Patient', '_total=exact', '_total'],
    ['Observation', 'subject:Organization=x', 'subject'],
    ['Observation', 'code-value-quantity=http://loinc.org|8480-6', 'code-value-quantity'],
    ['Patient', '_has:Observation:patient=1234-5', '_has'],
  ];
  for (const [type, query, name] of cases) {
    it(`${type}?${query}`, async () => {
      const a = expectError(await get(t, type, query), [400], `${type}?${query}`);
      assert.ok(outcomeText(a).includes(name), `the OperationOutcome should name ${name}: ${outcomeText(a)}`);
      expectError(await get(t, type, query, STRICT), [400], `${type}?${query} (strict)`);
    });
  }
  // unknown names inside a parameter: the default mode may ignore them (with an outcome entry) or refuse them
  for (const [type, query, name] of [
    ['Observation', 'code.name=x', 'code'],
    ['Patient', '_has:NotAType:patient:code=1', '_has'],
    ['Patient', '_sort=notaparameter', '_sort'],
    ['Observation', '_include=Observation:notaparameter', '_include'],
  ] as const) {
    it(`${type}?${query}: 400 in strict mode; in the default mode 400 or ignored with an outcome`, async () => {
      const strict = expectError(await get(t, type, query, STRICT), [400], `${type}?${query} (strict)`);
      assert.ok(outcomeText(strict).includes(name), `the OperationOutcome should name ${name}: ${outcomeText(strict)}`);
      const res = await get(t, type, query);
      if (res.status === 400) return void expectError(res, [400], `${type}?${query}`);
      const b = assertSearchset(res, `${type}?${query}`);
      assert.ok(outcomeText(entriesOf(b, 'outcome')[0]?.resource).includes(name), `${type}?${query}: ignored without an outcome entry naming ${name}`);
    });
  }
  it('POST _search with a malformed value → 400', async () => {
    expectError(await postSearch(t, 'Patient', 'birthdate=notadate'), [400], 'POST malformed');
  });
  it('POST _search with a JSON body (not a form) is refused with a 4xx', async () => {
    const res = await request(t.app).post('/fhir/Patient/_search').set('Content-Type', 'application/fhir+json').send(JSON.stringify({ family: 'known' }));
    assert.ok(res.status >= 400 && res.status < 500, show(res));
  });
  it('a malformed value in a chain → 400', async () => {
    expectError(await get(t, 'Observation', 'subject:Patient.birthdate=notadate'), [400], 'malformed chain value');
  });
  it('search on an unknown type → 404', async () => {
    const res = await get(t, 'NotAType', 'name=x');
    assert.equal(res.status, 404, show(res));
  });
  it('an error is never a 5xx: odd but well-formed values', async () => {
    for (const q of ['name=%', 'name=\\', 'identifier=|', 'identifier=a|b|c', 'birthdate=ge', 'subject=Patient/', 'name=' + 'x'.repeat(3000)]) {
      const res = await get(t, q.startsWith('subject') ? 'Observation' : 'Patient', q);
      assert.ok(res.status < 500, `${q}: ${show(res)}`);
      if (res.status >= 400) expectError(res, [400], q);
    }
  });
});

describe('CapabilityStatement', () => {
  let cs: Json;
  before(async () => {
    const res = await request(t.app).get('/fhir/metadata');
    assert.equal(res.status, 200);
    cs = res.body;
  });
  const resourceOf = (type: string) => cs.rest[0].resource.find((r: Json) => r.type === type);

  it('search-system at the rest level, search-type on every type', async () => {
    assert.ok(cs.rest[0].interaction.some((i: Json) => i.code === 'search-system'), 'search-system');
    for (const r of cs.rest[0].resource) assert.ok(r.interaction.some((i: Json) => i.code === 'search-type'), `${r.type}: search-type`);
  });
  it('Patient and Observation list their main search parameters', async () => {
    const names = (type: string) => (resourceOf(type).searchParam ?? []).map((p: Json) => p.name);
    for (const n of ['_id', '_lastUpdated', 'name', 'family', 'given', 'birthdate', 'identifier', 'gender', 'address-city']) assert.ok(names('Patient').includes(n), `Patient ${n}`);
    for (const n of ['_id', 'code', 'subject', 'patient', 'date', 'value-quantity', 'code-value-quantity', 'component-code-value-quantity']) {
      assert.ok(names('Observation').includes(n), `Observation ${n}`);
    }
    for (const p of resourceOf('Patient').searchParam) assert.ok(p.name && p.type, JSON.stringify(p));
  });

  /** A well-formed value for a parameter of this type. */
  function valueFor(type: string, code: string, pType: string): string | undefined {
    switch (pType) {
      case 'string':
        return 'x';
      case 'token':
        return 'x';
      case 'reference':
        return 'x';
      case 'date':
        return 'ge2020';
      case 'number':
        return 'gt1';
      case 'quantity':
        return 'gt1';
      case 'uri':
        return 'http://x.example/y';
      case 'composite': {
        const def = getSearchParameter(type, code);
        const parts = (def?.component ?? []).map((c) => {
          const sp = getSearchParameterByUrl(c.definition);
          return sp ? valueFor(type, sp.code, sp.type) : undefined;
        });
        if (parts.length === 0 || parts.some((p) => p === undefined)) return undefined;
        return parts.join('$');
      }
      default:
        return undefined;
    }
  }

  for (const type of ['Patient', 'Observation']) {
    it(`every searchParam listed for ${type} is accepted in strict mode`, async () => {
      const failures: string[] = [];
      for (const p of resourceOf(type).searchParam ?? []) {
        const v = valueFor(type, p.name, p.type);
        if (v === undefined) {
          failures.push(`${p.name} (${p.type}): listed, but no well-formed value can be written for it`);
          continue;
        }
        const res = await get(t, type, `${p.name}=${v}`, STRICT);
        if (res.status !== 200) {
          failures.push(`${p.name}=${v} → ${res.status} ${res.text.slice(0, 200)}`);
          continue;
        }
        const b = assertSearchset(res, `${type}?${p.name}=${v}`);
        if (entriesOf(b, 'outcome').length) failures.push(`${p.name}=${v} → outcome entry ${JSON.stringify(entriesOf(b, 'outcome')[0].resource)}`);
        if (!new URL(linkOf(b, 'self')!).searchParams.has(p.name)) failures.push(`${p.name}=${v}: not in the self link (treated as unknown?)`);
      }
      assert.deepEqual(failures, [], `${type}: listed search parameters that are not accepted`);
    });
  }
  it('every searchInclude listed for Observation is accepted', async () => {
    const failures: string[] = [];
    for (const inc of resourceOf('Observation').searchInclude ?? []) {
      const res = await get(t, 'Observation', `_include=${inc}`, STRICT);
      if (res.status !== 200) failures.push(`_include=${inc} → ${res.status}`);
    }
    for (const inc of resourceOf('Patient').searchRevInclude ?? []) {
      const res = await get(t, 'Patient', `_revinclude=${inc}`, STRICT);
      if (res.status !== 200) failures.push(`_revinclude=${inc} → ${res.status}`);
    }
    assert.deepEqual(failures, []);
  });
});
