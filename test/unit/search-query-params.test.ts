/**
 * compileSearch, everything but matching: errors (malformed values, unsupported modifiers, in
 * strict and lenient mode), unknown parameters, the result parameters (_sort, _count, _total,
 * _summary, _elements, _include, _revinclude), selfParams, chained parameters and _has (the
 * ChainSpecs, the depth limit, and referenceFilter / idFilter evaluated with mingo), sortFields.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Query } from 'mingo';
import { FhirError } from '../../src/fhir/errors.js';
import { extractSearchIndex } from '../../src/search/extract.js';
import { compileSearch, idFilter, referenceFilter, sortFields, type CompiledSearch } from '../../src/search/query/index.js';

function compile(type: string, params: [string, string][], strict = false): CompiledSearch {
  return compileSearch({ type, params, strict, baseUrl: 'https://x.org/fhir', now: Date.UTC(2025, 0, 1) });
}

/** Expects a 400 FhirError with this issue code, naming the parameter in expression and message. */
function rejects(type: string, params: [string, string][], code: 'invalid' | 'not-supported', param: string, strict = false, message?: RegExp): void {
  assert.throws(
    () => compile(type, params, strict),
    (e: unknown) => {
      assert.ok(e instanceof FhirError, String(e));
      assert.equal(e.status, 400);
      const issue = e.outcome.issue[0];
      assert.equal(issue.code, code, e.message);
      assert.deepEqual(issue.expression, [param]);
      const bare = param.split(/[:.]/)[0];
      assert.ok(e.message.includes(bare), `message names ${bare}: ${e.message}`);
      if (message) assert.match(e.message, message);
      return true;
    },
  );
}

describe('search query: errors', () => {
  const malformed: [string, [string, string]][] = [
    ['Patient', ['birthdate', 'notadate']],
    ['Patient', ['birthdate', 'xx2020']],
    ['Patient', ['birthdate', 'gt']],
    ['Patient', ['birthdate', '2020-13']],
    ['Patient', ['birthdate', '2020-02-30']],
    ['Patient', ['birthdate', '2020,bad']],
    ['RiskAssessment', ['probability', 'abc']],
    ['RiskAssessment', ['probability', 'gt']],
    ['RiskAssessment', ['probability', 'xx5']],
    ['RiskAssessment', ['probability', '1,2,x']],
    ['RiskAssessment', ['probability', '0x10']],
    ['Observation', ['value-quantity', 'abc']],
    ['Observation', ['value-quantity', '5|a']],
    ['Observation', ['value-quantity', '5|a|b|c']],
    ['Observation', ['value-quantity', 'zz5||mg']],
    ['Patient', ['identifier', 'a|b|c']],
    ['Patient', ['identifier', '|']],
    ['Patient', ['identifier:of-type', 'a|b']],
    ['Patient', ['name:missing', 'maybe']],
    ['Observation', ['code-value-quantity', 'http://loinc.org|8480-6']],
    ['Observation', ['code-value-quantity', 'http://loinc.org|8480-6$gt100$1']],
    ['Observation', ['code-value-quantity', 'http://loinc.org|8480-6$abc']],
    ['Observation', ['subject', 'not a reference']],
    ['Observation', ['subject:Patient', 'Group/1']],
    ['Observation', ['subject:Organization', '1']],
    ['Patient', ['_count', 'abc']],
    ['Patient', ['_count', '-1']],
    ['Patient', ['_count', '1.5']],
    ['Patient', ['_total', 'maybe']],
    ['Patient', ['_summary', 'yes']],
    ['Patient', ['_elements', 'name,1bad']],
    ['Patient', ['_sort', 'foo']],
    ['Patient', ['_sort', '-foo']],
    ['Observation', ['_sort', 'code-value-quantity']],
    ['Patient', ['_sort', '_text']],
    ['Patient', ['_include', 'Patient']],
    ['Patient', ['_include', 'Patient:name']],
    ['Patient', ['_include', 'Nope:organization']],
    ['Patient', ['_include', 'Patient:organization:Patient']],
    ['Patient', ['_revinclude', 'Observation:nope']],
    ['Patient', ['gender:not-in', 'x']],
    ['Location', ['near', '1|2|3|parsec']],
    ['Location', ['near', '91|0']],
    ['Patient', ['_text', '...']],
    ['Patient', ['_list', 'a/b']],
  ];
  for (const [type, [name, value]] of malformed) {
    it(`${type}?${name}=${value} -> 400 invalid (lenient and strict)`, () => {
      rejects(type, [[name, value]], 'invalid', name, false);
      rejects(type, [[name, value]], 'invalid', name, true);
    });
  }

  const unsupported: [string, [string, string]][] = [
    ['Observation', ['code:below', 'http://loinc.org|8480-6']],
    ['Observation', ['code:above', 'http://loinc.org|8480-6']],
    ['Patient', ['name:foo', 'x']],
    ['Patient', ['name:not', 'x']],
    ['Patient', ['birthdate:exact', '2020']],
    ['Patient', ['gender:exact', 'male']],
    ['ValueSet', ['url:contains', 'acme']],
    ['Observation', ['subject:below', 'Patient/1']],
    ['Observation', ['value-quantity:text', '5']],
    ['Observation', ['code-value-quantity:exact', 'a$1']],
    ['Patient', ['_count:exact', '5']],
    ['Patient', ['_include:foo', 'Patient:organization']],
  ];
  for (const [type, [name, value]] of unsupported) {
    it(`${type}?${name}=${value} -> 400 not-supported (lenient and strict)`, () => {
      rejects(type, [[name, value]], 'not-supported', name, false, /modifier/i);
      rejects(type, [[name, value]], 'not-supported', name, true, /modifier/i);
    });
  }
});

describe('search query: unknown parameters', () => {
  it('lenient: listed in unknown, not applied, not in selfParams', () => {
    const c = compile('Patient', [['foo', '1'], ['_foo', '2'], ['gender', 'male'], ['foo', '3'], ['subject', 'x']]);
    assert.deepEqual(c.unknown, ['foo', '_foo', 'subject']);
    assert.deepEqual(c.filter, { '_idx.k': 'gender|male' });
    assert.deepEqual(c.selfParams, [['gender', 'male']]);
  });
  it('strict: unknown parameters are a 400 invalid naming the parameter', () => {
    rejects('Patient', [['foo', '1']], 'invalid', 'foo', true, /Unknown search parameter 'foo'/);
    rejects('Patient', [['_foo', '1']], 'invalid', '_foo', true);
    rejects('Patient', [['gender', 'male'], ['nope:exact', 'x']], 'invalid', 'nope:exact', true);
  });
  it('known parameters that are not supported (_query) are unknown when lenient, not-supported when strict', () => {
    assert.deepEqual(compile('Patient', [['_query', 'x']]).unknown, ['_query']);
    rejects('Patient', [['_query', 'x']], 'not-supported', '_query', true);
  });
  it('the special parameters: near, _content, _list and :in / :not-in for the executor, _text a filter', () => {
    const c = compile('Location', [['near', '42|-83|5|m'], ['_content', 'Fièvre x'], ['_list', 'l1,l2'], ['type:not-in', 'ValueSet/v']], true);
    assert.deepEqual(c.special, [
      { kind: 'near', name: 'near', code: 'near', points: [{ lat: 42, lon: -83, km: 0.005 }] },
      { kind: 'content', name: '_content', values: [['fievre', 'x']] },
      { kind: 'list', name: '_list', ids: ['l1', 'l2'] },
      { kind: 'in', name: 'type:not-in', code: 'type', not: true, valueSets: ['ValueSet/v'] },
    ]);
    assert.deepEqual(c.unknown, []);
    assert.equal(c.selfParams.length, 4);
    assert.deepEqual(compile('Patient', [['_text', 'Fièvre']], true).filter, { '_idx.e': { $elemMatch: { p: '_text', s: { $regex: '(?:^| )fievre' } } } });
    assert.equal(compile('Patient', [['_text', '']]).special, undefined);
  });
  it('_format and _pretty are ignored; empty values are ignored', () => {
    const c = compile('Patient', [['_format', 'json'], ['_pretty', 'true'], ['name', ''], ['gender', ','], ['_sort', '']], true);
    assert.deepEqual(c.filter, {});
    assert.deepEqual(c.selfParams, []);
    assert.deepEqual(c.unknown, []);
  });
  it('no parameters: an empty filter and the defaults', () => {
    const c = compile('Patient', []);
    assert.deepEqual(c, { filter: {}, sort: [], count: 20, include: [], revinclude: [], chains: [], unknown: [], selfParams: [] });
  });
});

describe('search query: result parameters', () => {
  it('_sort: a comma list, - for descending, resolved with sortFields', () => {
    const c = compile('Patient', [['_sort', '-birthdate,name,_id,-_lastUpdated']]);
    assert.deepEqual(c.sort, [
      { code: 'birthdate', dir: -1 },
      { code: 'name', dir: 1 },
      { code: '_id', dir: 1 },
      { code: '_lastUpdated', dir: -1 },
    ]);
    assert.deepEqual(sortFields('birthdate', 1), { '_idx.sort.birthdate.lo': 1 });
    assert.deepEqual(sortFields('birthdate', -1), { '_idx.sort.birthdate.hi': -1 });
    assert.deepEqual(c.selfParams, [['_sort', '-birthdate,name,_id,-_lastUpdated']]);
    for (const code of ['organization', 'identifier', 'probability']) assert.ok(compile(code === 'probability' ? 'RiskAssessment' : 'Patient', [['_sort', code]]).sort.length === 1);
    rejects('Patient', [['_sort', 'name,name']], 'invalid', '_sort');
  });

  it('_sort orders documents (mingo) by the lo / hi sort keys', () => {
    const patients = [
      { id: 'a', birthDate: '1980-05-17', name: [{ family: 'Zed', given: ['Ann'] }] },
      { id: 'b', birthDate: '1975', name: [{ family: 'Young' }] },
      { id: 'c', birthDate: '1990-01-01', name: [{ family: 'Ávila' }] },
      { id: 'd' },
    ].map((p) => ({ id: p.id, _idx: extractSearchIndex({ resourceType: 'Patient', ...p } as fhir4.Patient) }));
    const order = (sort: string): string[] => {
      const s = compile('Patient', [['_sort', sort]]).sort;
      const spec = Object.assign({}, ...s.map((x) => sortFields(x.code, x.dir)), { id: 1 });
      return new Query({}).find<{ id: string }>(patients).sort(spec).all().map((d) => d.id);
    };
    assert.deepEqual(order('birthdate'), ['d', 'b', 'a', 'c']);
    assert.deepEqual(order('-birthdate'), ['c', 'a', 'b', 'd']);
    // name: the smallest normalised part ascending (a: 'ann'), the largest descending (a: 'zed')
    assert.deepEqual(order('name'), ['d', 'a', 'c', 'b']);
    assert.deepEqual(order('-name'), ['a', 'b', 'c', 'd']);
  });

  it('_count: default 20, at most 1000, 0 allowed', () => {
    assert.equal(compile('Patient', []).count, 20);
    assert.equal(compile('Patient', [['_count', '50']]).count, 50);
    assert.equal(compile('Patient', [['_count', '0']]).count, 0);
    const big = compile('Patient', [['_count', '5000']]);
    assert.equal(big.count, 1000);
    assert.deepEqual(big.selfParams, [['_count', '1000']]);
  });

  it('_total, _summary, _elements', () => {
    const c = compile('Patient', [['_total', 'accurate'], ['_summary', 'count'], ['_elements', 'name, birthDate,,Patient.gender']]);
    assert.equal(c.total, 'accurate');
    assert.equal(c.summary, 'count');
    assert.deepEqual(c.elements, ['name', 'birthDate', 'Patient.gender']);
    for (const s of ['true', 'false', 'text', 'data', 'count']) assert.equal(compile('Patient', [['_summary', s]]).summary, s);
    for (const t of ['none', 'estimate', 'accurate']) assert.equal(compile('Patient', [['_total', t]]).total, t);
  });

  it('_include and _revinclude', () => {
    const c = compile('Patient', [
      ['_include', 'Patient:organization'],
      ['_include', 'Patient:general-practitioner:Practitioner'],
      ['_include:iterate', 'Organization:partof'],
      ['_include:recurse', 'Organization:endpoint'],
      ['_include', '*'],
      ['_include', 'Patient:*'],
      ['_revinclude', 'Observation:subject'],
      ['_revinclude:iterate', 'Provenance:target'],
    ]);
    assert.deepEqual(c.include, [
      { type: 'Patient', param: 'organization', iterate: false },
      { type: 'Patient', param: 'general-practitioner', targetType: 'Practitioner', iterate: false },
      { type: 'Organization', param: 'partof', iterate: true },
      { type: 'Organization', param: 'endpoint', iterate: true },
      { type: '*', param: '*', iterate: false },
      { type: 'Patient', param: '*', iterate: false },
    ]);
    assert.deepEqual(c.revinclude, [
      { type: 'Observation', param: 'subject', iterate: false },
      { type: 'Provenance', param: 'target', iterate: true },
    ]);
    assert.equal(c.selfParams.length, 8);
    assert.deepEqual(c.filter, {});
  });
});

describe('search query: OR, AND and selfParams', () => {
  it('comma values of a token are one $in; repeated parameters are $and', () => {
    const c = compile('Patient', [['gender', 'male,female'], ['gender', 'male'], ['name', 'a\\,b']]);
    assert.deepEqual(c.filter, {
      $and: [{ '_idx.k': { $in: ['gender|male', 'gender|female'] } }, { '_idx.k': 'gender|male' }, { '_idx.k': { $regex: '^name\\|a\\\\,b' } }],
    });
    assert.deepEqual(c.selfParams, [
      ['gender', 'male,female'],
      ['gender', 'male'],
      ['name', 'a\\,b'],
    ]);
  });
  it('escaped separators stay in the value: keys are escaped like the index', () => {
    assert.deepEqual(compile('Patient', [['identifier', 'urn:x\\|y|a\\,b\\$c']]).filter, { '_idx.k': 'identifier|urn:x\\|y|a\\,b\\$c' });
    const ix = extractSearchIndex({ resourceType: 'Patient', identifier: [{ system: 'urn:x|y', value: 'a,b$c' }] } as fhir4.Patient);
    assert.ok(new Query(compile('Patient', [['identifier', 'urn:x\\|y|a\\,b\\$c']]).filter).test({ _idx: ix }));
    assert.ok(new Query(compile('Patient', [['identifier', 'a\\,b\\$c']]).filter).test({ _idx: ix }));
  });
  it('string values with regex characters are literal, the default match is anchored', () => {
    const f = compile('Patient', [['name', 'a.b*(c)?']]).filter as { '_idx.k': { $regex: string } };
    assert.equal(f['_idx.k'].$regex, '^name\\|a\\.b\\*\\(c\\)\\?');
    const ix = extractSearchIndex({ resourceType: 'Patient', name: [{ family: 'A.B*(C)?x', given: ['a,b|c$'] }] } as fhir4.Patient);
    assert.ok(new Query(f).test({ _idx: ix }));
    assert.ok(!new Query(compile('Patient', [['name', 'a.bx']]).filter).test({ _idx: ix }));
    // key separators in the value are escaped in the key and in the prefix alike
    assert.ok(new Query(compile('Patient', [['given', 'a\\,b|c$']]).filter).test({ _idx: ix }));
    assert.ok(new Query(compile('Patient', [['given', 'a\\,b|']]).filter).test({ _idx: ix }));
    assert.ok(!new Query(compile('Patient', [['given', 'a\\,c']]).filter).test({ _idx: ix }));
  });
});

describe('search query: chains and _has', () => {
  it('subject.name -> a ChainSpec for the target types that have name, and no filter', () => {
    const c = compile('Observation', [['subject.name', 'peter'], ['code', '1']]);
    assert.deepEqual(c.chains, [{ kind: 'chain', name: 'subject.name', param: 'subject', targetTypes: ['Patient', 'Location'], rest: 'name', value: 'peter' }]);
    assert.deepEqual(c.filter, { '_idx.k': 'code|1' });
    assert.deepEqual(c.selfParams, [
      ['subject.name', 'peter'],
      ['code', '1'],
    ]);
  });
  it('a :Type modifier narrows the target types; the rest keeps its own chain and modifiers', () => {
    const c = compile('Observation', [['subject:Patient.organization.name:exact', 'Acme']]);
    assert.deepEqual(c.chains, [{ kind: 'chain', name: 'subject:Patient.organization.name:exact', param: 'subject', targetTypes: ['Patient'], rest: 'organization.name:exact', value: 'Acme' }]);
    rejects('Observation', [['subject:Organization.name', 'x']], 'invalid', 'subject:Organization.name');
    rejects('Observation', [['subject:exact.name', 'x']], 'invalid', 'subject:exact.name');
  });
  it('the chained value is checked on the target type', () => {
    rejects('Observation', [['subject:Patient.birthdate', 'notadate']], 'invalid', 'subject:Patient.birthdate', false, /notadate/);
    rejects('Observation', [['subject:Patient.name:foo', 'x']], 'not-supported', 'subject:Patient.name:foo');
  });
  it('chaining on a non-reference parameter is a 400', () => {
    rejects('Observation', [['code.name', 'x']], 'invalid', 'code.name', false, /reference/);
  });
  it('a chained parameter no target type has is unknown (lenient) or a 400 (strict)', () => {
    assert.deepEqual(compile('Observation', [['subject.nope', 'x']]).unknown, ['subject.nope']);
    rejects('Observation', [['subject.nope', 'x']], 'invalid', 'subject.nope', true);
    rejects('Observation', [['subject._sort', 'x']], 'invalid', 'subject._sort');
  });
  it('up to 3 links; more is a 400', () => {
    assert.equal(compile('Observation', [['subject:Patient.organization.partof.name', 'x']]).chains.length, 1);
    rejects('Observation', [['subject:Patient.organization.partof.partof.name', 'x']], 'invalid', 'subject:Patient.organization.partof.partof.name', false, /more than 3/);
    assert.equal(compile('Patient', [['_has:Observation:patient:_has:Provenance:target:agent.name', 'x']]).chains.length, 1);
    assert.equal(compile('Patient', [['_has:Observation:patient:_has:Provenance:target:_has:AuditEvent:entity:type', 'x']]).chains.length, 1);
    rejects('Patient', [['_has:Observation:patient:_has:Provenance:target:_has:AuditEvent:entity:agent.name', 'x']], 'invalid', '_has:Observation:patient:_has:Provenance:target:_has:AuditEvent:entity:agent.name', false, /more than 3/);
    rejects('Observation', [['subject:Patient._has:Observation:patient:_has:Provenance:target:agent.name', 'x']], 'invalid', 'subject:Patient._has:Observation:patient:_has:Provenance:target:agent.name', false, /more than 3/);
  });
  it('_has -> a ChainSpec of kind has; nestable', () => {
    const c = compile('Patient', [['_has:Observation:patient:code', '1234']]);
    assert.deepEqual(c.chains, [{ kind: 'has', name: '_has:Observation:patient:code', param: 'patient', targetTypes: ['Observation'], rest: 'code', value: '1234' }]);
    assert.deepEqual(c.filter, {});
    const n = compile('Patient', [['_has:Observation:patient:_has:AuditEvent:entity:type', 'rest']]);
    assert.equal(n.chains[0].rest, '_has:AuditEvent:entity:type');
  });
  it('_has errors: bad type, non-reference parameter, a parameter that cannot point here, bad value', () => {
    rejects('Patient', [['_has:Nope:patient:code', '1']], 'invalid', '_has:Nope:patient:code');
    rejects('Patient', [['_has:Observation:code:code', '1']], 'invalid', '_has:Observation:code:code');
    rejects('Patient', [['_has:Observation:encounter:code', '1']], 'invalid', '_has:Observation:encounter:code', false, /cannot refer to Patient/);
    rejects('Patient', [['_has:Observation:patient', '1']], 'invalid', '_has:Observation:patient');
    rejects('Patient', [['_has:Observation:patient:date', 'bad']], 'invalid', '_has:Observation:patient:date', false, /bad/);
    assert.deepEqual(compile('Patient', [['_has:Observation:patient:nope', '1']]).unknown, ['_has:Observation:patient:nope']);
    rejects('Patient', [['_has:Observation:patient:nope', '1']], 'invalid', '_has:Observation:patient:nope', true);
  });
  it('|value with :identifier matches a reference identifier without a system only', () => {
    const enc = (id: string, identifier: fhir4.Identifier) => ({ _id: id, _idx: extractSearchIndex({ resourceType: 'Encounter', id, status: 'finished', class: { code: 'AMB' }, subject: { identifier } } as fhir4.Encounter) });
    const docs = [enc('e1', { value: 'X1' }), enc('e2', { system: 'urn:s', value: 'X1' }), enc('e3', { value: 'X2' })];
    const match = (value: string) => docs.filter((d) => new Query(compile('Encounter', [['subject:identifier', value]]).filter).test(d)).map((d) => d._id);
    assert.deepEqual(match('|X1'), ['e1']);
    assert.deepEqual(match('X1'), ['e1', 'e2']);
    assert.deepEqual(match('urn:s|X1'), ['e2']);
  });
  it('referenceFilter and idFilter: what the executor adds for a chain / _has', () => {
    const obs = (id: string, subject: string) => ({ id, _id: id, _idx: extractSearchIndex({ resourceType: 'Observation', id, status: 'final', code: {}, subject: { reference: subject } } as fhir4.Observation) });
    const docs = [obs('a', 'Patient/1'), obs('b', 'Patient/2'), obs('c', 'https://other.org/Patient/3')];
    const match = (f: Record<string, unknown>) => docs.filter((d) => new Query(f).test(d)).map((d) => d.id);
    assert.deepEqual(match(referenceFilter('subject', ['Patient/1', 'Patient/3'])), ['a', 'c']);
    assert.deepEqual(match(referenceFilter('subject', ['https://other.org/Patient/3'])), ['c']);
    assert.deepEqual(match(referenceFilter('subject', [])), []);
    assert.deepEqual(match(idFilter(['a', 'b'])), ['a', 'b']);
    assert.deepEqual(match({ $and: [compile('Observation', [['status', 'final']]).filter, referenceFilter('subject', ['Patient/2'])] }), ['b']);
  });
});
