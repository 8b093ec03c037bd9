/**
 * extractSearchIndex on small hand-made fixtures, one group per search parameter type, with the
 * expected index entries, keys and sort values written out.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { extractSearchIndex, type SearchIndex } from '../../src/search/extract.js';
import { fastRoot, fhirpathRoot } from '../../src/search/evaluate.js';
import { RANGE_MAX, RANGE_MIN, escapeKeyPart, normaliseString, numberRange, tokenKeys } from '../../src/search/normalise.js';

function index(resource: Record<string, unknown>): SearchIndex {
  const errors: string[] = [];
  const ix = extractSearchIndex(resource as unknown as fhir4.Resource, { onError: (code, e) => errors.push(`${code}: ${String(e)}`) });
  assert.deepEqual(errors, []);
  // the same with fhirpath.js only
  assert.deepEqual(extractSearchIndex(resource as unknown as fhir4.Resource, { engine: 'fhirpath' }), ix);
  return ix;
}

const of = (ix: SearchIndex, p: string) => ix.e.filter((e) => e.p === p);
const utc = Date.UTC;

describe('search index: string', () => {
  it('folds case and accents, collapses whitespace, keeps the exact value; HumanName and Address parts', () => {
    const ix = index({
      resourceType: 'Patient',
      name: [{ text: 'Ana  María José', family: 'José', given: ['Ana', ' María\t'] }],
      address: [{ line: ['Rua Ção 1'], city: 'São Paulo', postalCode: '01000' }],
    });
    assert.deepEqual(of(ix, 'family'), [{ p: 'family', s: 'jose', x: 'José' }]);
    assert.deepEqual(of(ix, 'given'), [
      { p: 'given', s: 'ana', x: 'Ana' },
      { p: 'given', s: 'maria', x: ' María\t' },
    ]);
    assert.deepEqual(of(ix, 'name'), [
      { p: 'name', s: 'ana maria jose', x: 'Ana  María José' },
      { p: 'name', s: 'jose', x: 'José' },
      { p: 'name', s: 'ana', x: 'Ana' },
      { p: 'name', s: 'maria', x: ' María\t' },
    ]);
    assert.deepEqual(of(ix, 'address'), [
      { p: 'address', s: 'rua cao 1', x: 'Rua Ção 1' },
      { p: 'address', s: 'sao paulo', x: 'São Paulo' },
      { p: 'address', s: '01000', x: '01000' },
    ]);
    assert.deepEqual(of(ix, 'address-city'), [{ p: 'address-city', s: 'sao paulo', x: 'São Paulo' }]);
    // name parameters: one key per normalised string (a starts-with search is a prefix of them);
    // phonetic shares name's keys; other strings (addresses) have none
    assert.deepEqual(ix.k.filter((k) => k.startsWith('family|')), ['family|jose']);
    assert.ok(ix.k.some((k) => k.startsWith('name|')));
    assert.ok(!ix.k.some((k) => k.startsWith('phonetic|') || k.startsWith('address')));
    assert.deepEqual(ix.sort.family, { lo: 'jose', hi: 'jose' });
    assert.deepEqual(ix.sort.given, { lo: 'ana', hi: 'maria' });
    assert.equal(normaliseString('  Ünïcödé  ÅSTRÖM\n'), 'unicode astrom');
  });

  it('a parameter without a value has no entry (:missing)', () => {
    const ix = index({ resourceType: 'Patient', id: 'p1' });
    assert.deepEqual(of(ix, 'name'), []);
    assert.equal(ix.sort.name, undefined);
    assert.deepEqual(of(ix, '_id'), [{ p: '_id', c: 'p1' }]);
    assert.ok(!ix.k.some((k) => k.startsWith('_id|')), '_id is searched on the document _id, it has no keys');
  });
});

describe('search index: token', () => {
  it('CodeableConcept, Coding, code, boolean, Identifier and ContactPoint', () => {
    const ix = index({
      resourceType: 'Patient',
      id: 'p1',
      meta: { tag: [{ system: 'http://example.org/tags', code: 'vip', display: 'V.I.P.' }], security: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-Confidentiality', code: 'R' }] },
      active: true,
      gender: 'female',
      identifier: [
        { system: 'http://hospital.example.org/mrn', value: 'MRN-1', type: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v2-0203', code: 'MR' }], text: 'Medical Record Number' } },
        { value: 'no-system' },
      ],
      telecom: [
        { system: 'phone', value: '+1 555 0100' },
        { system: 'email', value: 'ana@example.org' },
      ],
      communication: [{ language: { coding: [{ system: 'urn:ietf:bcp:47', code: 'pt-BR', display: 'Português (Brasil)' }], text: 'Portuguese' } }],
    });
    assert.deepEqual(of(ix, '_tag'), [{ p: '_tag', sys: 'http://example.org/tags', c: 'vip', tx: 'v.i.p.' }]);
    assert.deepEqual(of(ix, '_security'), [{ p: '_security', sys: 'http://terminology.hl7.org/CodeSystem/v3-Confidentiality', c: 'R' }]);
    assert.deepEqual(of(ix, 'active'), [{ p: 'active', c: 'true' }]);
    // a code bound (required) to one code system carries that system implicitly
    assert.deepEqual(of(ix, 'gender'), [{ p: 'gender', sys: 'http://hl7.org/fhir/administrative-gender', c: 'female' }]);
    assert.deepEqual(of(ix, 'identifier'), [
      { p: 'identifier', sys: 'http://hospital.example.org/mrn', c: 'MRN-1', tx: 'medical record number', ty: 'http://terminology.hl7.org/CodeSystem/v2-0203|MR' },
      { p: 'identifier', c: 'no-system' },
    ]);
    assert.deepEqual(of(ix, 'telecom'), [
      { p: 'telecom', c: '+1 555 0100' },
      { p: 'telecom', c: 'ana@example.org' },
    ]);
    assert.deepEqual(of(ix, 'phone'), [{ p: 'phone', c: '+1 555 0100' }]);
    assert.deepEqual(of(ix, 'email'), [{ p: 'email', c: 'ana@example.org' }]);
    assert.deepEqual(of(ix, 'language'), [
      { p: 'language', sys: 'urn:ietf:bcp:47', c: 'pt-BR', tx: 'portugues (brasil)' },
      { p: 'language', tx: 'portuguese' },
    ]);
    for (const k of [
      '_tag|http://example.org/tags|vip',
      '_tag|vip',
      'active|true',
      'gender|http://hl7.org/fhir/administrative-gender|female',
      'gender|female',
      'identifier|http://hospital.example.org/mrn|MRN-1',
      'identifier|MRN-1',
      'identifier|no-system',
      'phone|+1 555 0100',
      'language|urn:ietf:bcp:47|pt-BR',
    ]) {
      assert.ok(ix.k.includes(k), k);
    }
    assert.ok(!ix.k.some((k) => k.includes('||')), 'no "no system" keys: `|code` is the code key and an entry without a system');
    assert.ok(!ix.k.some((k) => k.startsWith('language|portuguese')), 'text-only entries have no key');
    assert.deepEqual(ix.sort.identifier, { lo: 'MRN-1', hi: 'no-system' });
  });

  it('keys: `system|` is a prefix, and | $ , \\ in values are escaped', () => {
    assert.deepEqual(tokenKeys('code', 'http://loinc.org', '8480-6'), ['code|http://loinc.org|8480-6', 'code|8480-6']);
    assert.deepEqual(tokenKeys('code', undefined, '8480-6'), ['code|8480-6']);
    assert.deepEqual(tokenKeys('code', 'http://loinc.org', undefined), ['code|http://loinc.org|']);
    assert.deepEqual(tokenKeys('code', 's', 'a|b'), ['code|s|a\\|b', 'code|a\\|b']);
    assert.equal(escapeKeyPart('a$b,c\\d'), 'a\\$b\\,c\\\\d');
    const ix = index({ resourceType: 'Observation', status: 'final', code: { coding: [{ system: 'http://loinc.org', code: '8480-6' }, { system: 'http://x.org/only-system' }] } });
    const withSystem = ix.k.filter((k) => k.startsWith('code|http://loinc.org|'));
    assert.deepEqual(withSystem, ['code|http://loinc.org|8480-6']);
    assert.ok(ix.k.includes('code|http://x.org/only-system|'));
  });
});

describe('search index: reference', () => {
  it('relative, absolute, versioned, urn, contained, identifier-only and canonical references', () => {
    const ix = index({
      resourceType: 'Observation',
      status: 'final',
      code: { text: 'x' },
      contained: [{ resourceType: 'Practitioner', id: 'pr1' }],
      subject: { reference: 'Patient/123' },
      performer: [
        { reference: 'https://other.example.org/fhir/Practitioner/9/_history/2' },
        { reference: '#pr1' },
        { reference: 'urn:uuid:0d8f7a3c-1111-4222-8333-944455556666' },
        { type: 'Organization', identifier: { system: 'http://example.org/orgs', value: 'ORG-7' } },
      ],
    });
    assert.deepEqual(of(ix, 'subject'), [{ p: 'subject', r: 'Patient/123', rt: 'Patient', id: '123' }]);
    assert.deepEqual(of(ix, 'patient'), [{ p: 'patient', r: 'Patient/123', rt: 'Patient', id: '123' }]);
    assert.deepEqual(of(ix, 'performer'), [
      { p: 'performer', r: 'Practitioner/9', rt: 'Practitioner', id: '9', u: 'https://other.example.org/fhir/Practitioner/9/_history/2' },
      { p: 'performer', u: 'urn:uuid:0d8f7a3c-1111-4222-8333-944455556666' },
      { p: 'performer', rt: 'Organization', sys: 'http://example.org/orgs', c: 'ORG-7' },
    ]);
    for (const k of [
      'subject|Patient/123',
      'patient|Patient/123',
      'performer|Practitioner/9',
      'performer|https://other.example.org/fhir/Practitioner/9/_history/2',
      'performer|urn:uuid:0d8f7a3c-1111-4222-8333-944455556666',
      'performer:identifier|http://example.org/orgs|ORG-7',
      'performer:identifier|ORG-7',
    ]) {
      assert.ok(ix.k.includes(k), k);
    }
    assert.ok(!ix.k.some((k) => k.includes('pr1')), 'contained references are not indexed');
    assert.deepEqual(ix.sort.subject, { lo: 'Patient/123', hi: 'Patient/123' });
  });

  it('canonical: url without |version, the version, and Type/id', () => {
    const ix = index({ resourceType: 'QuestionnaireResponse', status: 'completed', questionnaire: 'http://example.org/fhir/Questionnaire/q1|2.0' });
    assert.deepEqual(of(ix, 'questionnaire'), [
      { p: 'questionnaire', r: 'Questionnaire/q1', rt: 'Questionnaire', id: 'q1', u: 'http://example.org/fhir/Questionnaire/q1', ver: '2.0' },
    ]);
    assert.ok(ix.k.includes('questionnaire|http://example.org/fhir/Questionnaire/q1'));
    assert.ok(ix.k.includes('questionnaire|Questionnaire/q1'));
  });

  it('resolve(): `subject.where(resolve() is Patient)` by the reference type, absolute URLs, Reference.type and contained', () => {
    const patientOf = (subject: unknown, extra: Record<string, unknown> = {}) => of(index({ resourceType: 'Observation', status: 'final', code: {}, subject, ...extra }), 'patient');
    assert.deepEqual(patientOf({ reference: 'Group/g1' }), []);
    assert.deepEqual(patientOf({ reference: 'http://x.org/fhir/Patient/7' }), [{ p: 'patient', r: 'Patient/7', rt: 'Patient', id: '7', u: 'http://x.org/fhir/Patient/7' }]);
    assert.deepEqual(patientOf({ type: 'Patient', identifier: { system: 's', value: 'v' } }), [{ p: 'patient', rt: 'Patient', sys: 's', c: 'v' }]);
    assert.deepEqual(patientOf({ type: 'Group', identifier: { system: 's', value: 'v' } }), []);
    // a contained Patient resolves (so the where() keeps it) but contained references are not indexed
    const contained = index({ resourceType: 'Observation', status: 'final', code: {}, contained: [{ resourceType: 'Patient', id: 'c1' }], subject: { reference: '#c1' } });
    assert.deepEqual(of(contained, 'patient'), []);
    assert.deepEqual(of(contained, 'subject'), []);
  });

  it('resolve() in both engines: stub resources from Type/id, Reference.type, or the contained resource', () => {
    const expression = 'Observation.performer.where(resolve() is Practitioner)';
    const fast = fastRoot(expression, 'Observation')!;
    const slow = fhirpathRoot(expression);
    assert.ok(fast, 'the fast path takes where(resolve() is T)');
    const obs = {
      resourceType: 'Observation',
      contained: [{ resourceType: 'Practitioner', id: 'c1' }, { resourceType: 'Organization', id: 'c2' }],
      performer: [
        { reference: '#c1' },
        { reference: '#c2' },
        { reference: '#missing' },
        { reference: 'Practitioner/p1/_history/3' },
        { reference: 'http://x.org/fhir/Practitioner/p2' },
        { reference: 'urn:uuid:1', type: 'Practitioner' },
        { type: 'Practitioner', display: 'Dr. Nobody' },
        { reference: 'Organization/o1' },
        { display: 'nothing' },
      ],
    } as unknown as fhir4.Resource;
    const expected = [0, 3, 4, 5, 6].map((i) => (obs as fhir4.Observation).performer![i]);
    assert.deepEqual(fast(obs).map((v) => v.v), expected);
    assert.deepEqual(slow(obs).map((v) => v.v), expected);
    assert.deepEqual(fhirpathRoot('Observation.performer.resolve().id')(obs).map((v) => v.v), ['c1', 'c2', 'p1', 'p2', 'o1']);
  });
});

describe('search index: date', () => {
  it('partial dates, time zones, instants, Period with an open end, Timing', () => {
    const ix = index({
      resourceType: 'Observation',
      status: 'final',
      code: {},
      meta: { lastUpdated: '2021-05-06T07:08:09.123Z' },
      effectivePeriod: { start: '2020-01-01T10:00:00+02:00' },
      issued: '2020-02-03T04:05:06Z',
    });
    assert.deepEqual(of(ix, '_lastUpdated'), [{ p: '_lastUpdated', lo: utc(2021, 4, 6, 7, 8, 9, 123), hi: utc(2021, 4, 6, 7, 8, 9, 123) }]);
    assert.deepEqual(of(ix, 'date'), [{ p: 'date', lo: utc(2020, 0, 1, 8), hi: RANGE_MAX }]);
    assert.equal(RANGE_MAX, 8.64e15);
    assert.deepEqual(ix.sort.date, { lo: utc(2020, 0, 1, 8), hi: RANGE_MAX });

    const p = index({ resourceType: 'Patient', birthDate: '1970' });
    assert.deepEqual(of(p, 'birthdate'), [{ p: 'birthdate', lo: utc(1970, 0, 1), hi: utc(1971, 0, 1) - 1 }]);
    const m = index({ resourceType: 'Patient', birthDate: '1988-02' });
    assert.deepEqual(of(m, 'birthdate'), [{ p: 'birthdate', lo: utc(1988, 1, 1), hi: utc(1988, 2, 1) - 1 }]);

    const end = index({ resourceType: 'Encounter', status: 'finished', class: {}, period: { end: '2020-03-04' } });
    assert.deepEqual(of(end, 'date'), [{ p: 'date', lo: RANGE_MIN, hi: utc(2020, 2, 5) - 1 }]);

    const timing = index({
      resourceType: 'CarePlan',
      status: 'active',
      intent: 'plan',
      subject: { reference: 'Patient/1' },
      activity: [{ detail: { status: 'scheduled', scheduledTiming: { event: ['2020-03-01', '2020-03-05T10:00:00Z'], repeat: { boundsPeriod: { start: '2020-02-10', end: '2020-02-20' } } } } }],
    });
    assert.deepEqual(of(timing, 'activity-date'), [{ p: 'activity-date', lo: utc(2020, 1, 10), hi: utc(2020, 2, 5, 10, 0, 0, 999) }]);

    const text = index({ resourceType: 'Immunization', status: 'completed', vaccineCode: {}, patient: { reference: 'Patient/1' }, occurrenceString: 'January 2012' });
    assert.deepEqual(of(text, 'date'), [], 'free-text dates are not indexed');
  });
});

describe('search index: number and quantity', () => {
  it('numbers carry the range implied by their precision', () => {
    assert.deepEqual(numberRange('100'), { n: 100, lo: 99.5, hi: 100.5 });
    assert.deepEqual(numberRange('1.00'), { n: 1, lo: 0.995, hi: 1.005 });
    assert.deepEqual(numberRange(0.25), { n: 0.25, lo: 0.245, hi: 0.255 });
    assert.deepEqual(numberRange('1e2'), { n: 100, lo: 50, hi: 150 });
    assert.equal(numberRange('abc'), undefined);
    const ix = index({ resourceType: 'RiskAssessment', status: 'final', subject: { reference: 'Patient/1' }, prediction: [{ probabilityDecimal: 0.25 }, { probabilityRange: { low: { value: 1 } } }] });
    assert.deepEqual(of(ix, 'probability'), [{ p: 'probability', n: 0.25, lo: 0.245, hi: 0.255 }]);
    assert.deepEqual(ix.sort.probability, { lo: 0.245, hi: 0.255 });
    const seq = index({ resourceType: 'MolecularSequence', coordinateSystem: 0, variant: [{ start: 100, end: 101 }] });
    assert.deepEqual(of(seq, 'variant-start'), [{ p: 'variant-start', n: 100, lo: 100, hi: 100 }], 'integers are exact');
  });

  it('Quantity with system/code/unit and comparator, Age, Range and Money', () => {
    const ix = index({
      resourceType: 'Observation',
      status: 'final',
      code: { coding: [{ system: 'http://loinc.org', code: '2345-7' }] },
      valueQuantity: { value: 5.4, unit: 'mmol/l', system: 'http://unitsofmeasure.org', code: 'mmol/L' },
    });
    assert.deepEqual(of(ix, 'value-quantity'), [{ p: 'value-quantity', n: 5.4, lo: 5.35, hi: 5.45, sys: 'http://unitsofmeasure.org', c: 'mmol/L', u: 'mmol/l' }]);
    assert.deepEqual(ix.sort['value-quantity'], { lo: 5.35, hi: 5.45 });
    const lt = index({ resourceType: 'Observation', status: 'final', code: {}, valueQuantity: { value: 3, comparator: '<', unit: 'mg' } });
    assert.deepEqual(of(lt, 'value-quantity'), [{ p: 'value-quantity', n: 3, lo: RANGE_MIN, hi: 3.5, u: 'mg' }]);

    const age = index({ resourceType: 'Condition', subject: { reference: 'Patient/1' }, onsetAge: { value: 40, unit: 'years', system: 'http://unitsofmeasure.org', code: 'a' } });
    assert.deepEqual(of(age, 'onset-age'), [{ p: 'onset-age', n: 40, lo: 39.5, hi: 40.5, sys: 'http://unitsofmeasure.org', c: 'a', u: 'years' }]);
    const range = index({ resourceType: 'Condition', subject: { reference: 'Patient/1' }, onsetRange: { low: { value: 10, system: 'http://unitsofmeasure.org', code: 'a' } } });
    assert.deepEqual(of(range, 'onset-age'), [{ p: 'onset-age', lo: 9.5, hi: RANGE_MAX, sys: 'http://unitsofmeasure.org', c: 'a' }]);

    const money = index({ resourceType: 'ChargeItem', status: 'billable', code: {}, subject: { reference: 'Patient/1' }, priceOverride: { value: 40.25, currency: 'EUR' } });
    assert.deepEqual(of(money, 'price-override'), [{ p: 'price-override', n: 40.25, lo: 40.245, hi: 40.255, sys: 'urn:iso:std:iso:4217', c: 'EUR' }]);
    assert.deepEqual(money.k.filter((k) => k.startsWith('price-override')), [], 'quantities have no keys');
  });
});

describe('search index: uri and special', () => {
  it('uri is kept exactly, with a key', () => {
    const ix = index({ resourceType: 'ValueSet', status: 'active', url: 'http://example.org/fhir/ValueSet/Colours', meta: { profile: ['http://example.org/StructureDefinition/vs'], source: 'urn:source:1' } });
    assert.deepEqual(of(ix, 'url'), [{ p: 'url', u: 'http://example.org/fhir/ValueSet/Colours' }]);
    assert.deepEqual(of(ix, '_profile'), [{ p: '_profile', u: 'http://example.org/StructureDefinition/vs' }]);
    assert.deepEqual(of(ix, '_source'), [{ p: '_source', u: 'urn:source:1' }]);
    assert.ok(ix.k.includes('url|http://example.org/fhir/ValueSet/Colours'));
    assert.ok(ix.k.includes('_profile|http://example.org/StructureDefinition/vs'));
    assert.deepEqual(ix.sort.url, { lo: 'http://example.org/fhir/ValueSet/Colours', hi: 'http://example.org/fhir/ValueSet/Colours' });
  });

  it('Location near: the position', () => {
    const ix = index({ resourceType: 'Location', position: { latitude: 52.1, longitude: 4.3 } });
    assert.deepEqual(of(ix, 'near'), [{ p: 'near', lat: 52.1, lon: 4.3 }]);
  });

  it('_text: the words of the narrative, tags dropped, entities decoded; nothing without a narrative', () => {
    const div = '<div xmlns="http://www.w3.org/1999/xhtml"><p>Fièvre&nbsp;&amp; <b>TOUX</b>, J&#233;r&#xF4;me</p></div>';
    const ix = index({ resourceType: 'Patient', text: { status: 'generated', div } });
    assert.deepEqual(of(ix, '_text'), [{ p: '_text', s: 'fievre toux jerome' }]);
    assert.equal(ix.k.some((k) => k.startsWith('_text')), false, 'no keys');
    assert.equal(ix.sort._text, undefined, 'no sort value');
    assert.deepEqual(of(index({ resourceType: 'Patient' }), '_text'), []);
    assert.deepEqual(of(index({ resourceType: 'Patient', text: { status: 'empty', div: '<div xmlns="http://www.w3.org/1999/xhtml"> </div>' } }), '_text'), []);
  });
});

describe('search index: composite', () => {
  const loinc = (code: string) => ({ coding: [{ system: 'http://loinc.org', code }] });
  const q = (value: number) => ({ value, unit: 'mm[Hg]', system: 'http://unitsofmeasure.org', code: 'mm[Hg]' });
  const range = (value: number) => numberRange(value)!;

  it('code-value-quantity pairs the Observation\'s code and value; component-code-value-quantity each component\'s', () => {
    const ix = index({
      resourceType: 'Observation',
      status: 'final',
      code: { ...loinc('85354-9'), text: 'Blood pressure' },
      valueQuantity: q(120),
      component: [
        { code: loinc('8480-6'), valueQuantity: q(120) },
        { code: loinc('8462-4'), valueQuantity: q(80) },
      ],
    });
    const cmp = (p: string, code: string, valueP: string, value: number) => ({
      p,
      cmp: [
        { p: p.startsWith('component') ? 'component-code' : p.startsWith('combo') ? 'combo-code' : 'code', sys: 'http://loinc.org', c: code },
        { p: valueP, n: value, lo: range(value).lo, hi: range(value).hi, sys: 'http://unitsofmeasure.org', c: 'mm[Hg]', u: 'mm[Hg]' },
      ],
    });
    assert.deepEqual(of(ix, 'code-value-quantity'), [cmp('code-value-quantity', '85354-9', 'value-quantity', 120)]);
    assert.deepEqual(of(ix, 'component-code-value-quantity'), [
      cmp('component-code-value-quantity', '8480-6', 'component-value-quantity', 120),
      cmp('component-code-value-quantity', '8462-4', 'component-value-quantity', 80),
    ]);
    assert.deepEqual(of(ix, 'combo-code-value-quantity'), [
      cmp('combo-code-value-quantity', '85354-9', 'combo-value-quantity', 120),
      cmp('combo-code-value-quantity', '8480-6', 'combo-value-quantity', 120),
      cmp('combo-code-value-quantity', '8462-4', 'combo-value-quantity', 80),
    ]);
    // never a code paired with another component's value
    assert.ok(!of(ix, 'component-code-value-quantity').some((e) => e.cmp![0].c === '8462-4' && e.cmp![1].n === 120));
    assert.equal(ix.sort['code-value-quantity'], undefined);
  });

  it('code-value-date finds valueDateTime (value.as(DateTime) rewritten to ofType), code-value-concept a CodeableConcept', () => {
    const ix = index({ resourceType: 'Observation', status: 'final', code: loinc('1-8'), valueDateTime: '2020-05' });
    assert.deepEqual(of(ix, 'code-value-date'), [{ p: 'code-value-date', cmp: [{ p: 'code', sys: 'http://loinc.org', c: '1-8' }, { p: 'value-date', lo: utc(2020, 4, 1), hi: utc(2020, 5, 1) - 1 }] }]);
    const cc = index({ resourceType: 'Observation', status: 'final', code: loinc('2-6'), valueCodeableConcept: { coding: [{ system: 'http://snomed.info/sct', code: '260385009' }], text: 'Negative' } });
    assert.deepEqual(of(cc, 'code-value-concept'), [
      { p: 'code-value-concept', cmp: [{ p: 'code', sys: 'http://loinc.org', c: '2-6' }, { p: 'value-concept', sys: 'http://snomed.info/sct', c: '260385009' }] },
    ]);
    assert.deepEqual(of(cc, 'code-value-quantity'), [], 'no value of that type: no combination');
  });
});

describe('search index: anything else', () => {
  it('an unknown resource type has an empty index', () => {
    assert.deepEqual(extractSearchIndex({ resourceType: 'NoSuchType' } as unknown as fhir4.Resource), { e: [], k: [], sort: {} });
  });

  it('Bundle composition: the first entry\'s resource as a reference', () => {
    const ix = index({ resourceType: 'Bundle', type: 'document', entry: [{ resource: { resourceType: 'Composition', id: 'c1' } }, { resource: { resourceType: 'Patient', id: 'p1' } }] });
    assert.deepEqual(of(ix, 'composition'), [{ p: 'composition', r: 'Composition/c1', rt: 'Composition', id: 'c1' }]);
  });
});
