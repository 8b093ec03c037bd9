/**
 * compileSearch, semantics: each compiled filter is evaluated with mingo over documents
 * `{ _id, _idx: extractSearchIndex(resource) }` (as in `<Type>_idx`) of hand-written fixtures, and the matching ids are
 * compared with the ones written here by hand, per parameter type, modifier and prefix. Every
 * filter is also checked to use only the operators and shapes the store allows (DESIGN.md).
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Query } from 'mingo';
import { extractSearchIndex } from '../../src/search/extract.js';
import { compileSearch } from '../../src/search/query/index.js';

const V2 = 'http://terminology.hl7.org/CodeSystem/v2-0203';
const LOINC = 'http://loinc.org';
const UCUM = 'http://unitsofmeasure.org';
const BASE = 'https://x.org/fhir';
const NOW = Date.UTC(2025, 0, 1);

const fixtures: Record<string, unknown>[] = [
  {
    resourceType: 'Patient',
    id: 'p1',
    meta: { lastUpdated: '2024-03-01T10:00:00Z', tag: [{ system: 'http://tags', code: 'vip' }], profile: ['http://example.org/StructureDefinition/my-patient'], source: 'http://src.org/a' },
    identifier: [
      { system: 'http://hospital/mrn', value: 'MRN-1', type: { coding: [{ system: V2, code: 'MR' }] } },
      { system: 'http://hl7.org/fhir/sid/us-ssn', value: '999-11-1111', type: { coding: [{ system: V2, code: 'SS' }], text: 'Social Security' } },
    ],
    active: true,
    name: [{ text: 'María Ana José', family: 'José', given: ['María', 'Ana'] }],
    gender: 'female',
    birthDate: '1980-05-17',
    address: [{ city: 'São Paulo' }],
    managingOrganization: { reference: 'Organization/org1' },
    generalPractitioner: [{ reference: 'Practitioner/pr1' }],
  },
  {
    resourceType: 'Patient',
    id: 'p2',
    identifier: [{ system: 'http://hospital/mrn', value: 'MRN-2' }],
    name: [{ family: 'Jose', given: ['Peter'] }],
    gender: 'male',
    birthDate: '1980',
    managingOrganization: { reference: `${BASE}/Organization/org2` },
  },
  {
    resourceType: 'Patient',
    id: 'p3',
    active: false,
    name: [{ family: 'Müller', given: ['Hans-Peter'] }],
    gender: 'male',
    birthDate: '1975-12-31',
    managingOrganization: { reference: 'http://other.org/fhir/Organization/o9' },
  },
  { resourceType: 'Patient', id: 'p4', generalPractitioner: [{ identifier: { system: 'http://npi', value: '12345' } }] },
  {
    resourceType: 'Observation',
    id: 'o1',
    status: 'final',
    category: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/observation-category', code: 'vital-signs' }] }],
    code: { coding: [{ system: LOINC, code: '8480-6', display: 'Systolic blood pressure' }] },
    subject: { reference: 'Patient/p1' },
    effectiveDateTime: '2020-03-01T10:00:00Z',
    valueQuantity: { value: 120, unit: 'mmHg', system: UCUM, code: 'mm[Hg]' },
  },
  {
    resourceType: 'Observation',
    id: 'o2',
    status: 'final',
    code: { coding: [{ system: LOINC, code: '8480-6' }] },
    subject: { reference: 'Patient/p2' },
    effectivePeriod: { start: '2020-03-01', end: '2020-03-03' },
    valueQuantity: { value: 95, system: UCUM, code: 'mm[Hg]' },
  },
  {
    resourceType: 'Observation',
    id: 'o3',
    status: 'amended',
    code: { coding: [{ system: LOINC, code: '85354-9', display: 'Blood pressure panel' }] },
    subject: { reference: 'Patient/p1' },
    effectiveDateTime: '2021-06',
    component: [
      { code: { coding: [{ system: LOINC, code: '8480-6' }] }, valueQuantity: { value: 130, system: UCUM, code: 'mm[Hg]' } },
      { code: { coding: [{ system: LOINC, code: '8462-4' }] }, valueQuantity: { value: 85, system: UCUM, code: 'mm[Hg]' } },
    ],
  },
  {
    resourceType: 'Observation',
    id: 'o4',
    status: 'final',
    code: { coding: [{ system: LOINC, code: '2339-0', display: 'Glucose' }], text: 'Glucose [Mass/volume] in Blood' },
    subject: { reference: 'Patient/p3' },
    effectiveDateTime: '2019-12-31T23:30:00-02:00',
    valueQuantity: { value: 5.4, unit: 'mmol/L', system: UCUM, code: 'mmol/L' },
  },
  {
    resourceType: 'Observation',
    id: 'o5',
    status: 'preliminary',
    code: { text: 'Free text thing' },
    subject: { reference: 'Group/g1' },
    effectivePeriod: { start: '2022-01-01T00:00:00Z' },
    valueQuantity: { value: 5, comparator: '<', unit: 'mg' },
  },
  { resourceType: 'RiskAssessment', id: 'ra1', status: 'final', subject: { reference: 'Patient/p1' }, prediction: [{ probabilityDecimal: 0.5 }] },
  { resourceType: 'RiskAssessment', id: 'ra2', status: 'final', subject: { reference: 'Patient/p1' }, prediction: [{ probabilityDecimal: 0.25 }] },
  { resourceType: 'RiskAssessment', id: 'ra3', status: 'final', subject: { reference: 'Patient/p1' }, prediction: [{ probabilityRange: { low: { value: 0.1 }, high: { value: 0.3 } } }] },
  { resourceType: 'RiskAssessment', id: 'ra4', status: 'final', subject: { reference: 'Patient/p1' }, prediction: [{ probabilityDecimal: 1 }, { probabilityDecimal: 0.05 }] },
  { resourceType: 'ValueSet', id: 'vs1', status: 'active', url: 'http://acme.org/fhir/ValueSet/123' },
  { resourceType: 'ValueSet', id: 'vs2', status: 'active', url: 'http://acme.org/fhir/ValueSet/456' },
  { resourceType: 'ValueSet', id: 'vs3', status: 'active', url: 'http://acme.org/fhir' },
  { resourceType: 'ValueSet', id: 'vs4', status: 'active', url: 'urn:oid:1.2.3' },
  { resourceType: 'ValueSet', id: 'vs5', status: 'draft' },
];

const docs = fixtures.map((r) => ({ type: r.resourceType as string, id: r.id as string, _id: r.id as string, _idx: extractSearchIndex(r as unknown as fhir4.Resource) }));

const ALLOWED_OPS = new Set(['$elemMatch', '$in', '$all', '$regex', '$gt', '$gte', '$lt', '$lte', '$not', '$nor', '$and', '$or', '$exists']);

/** Only documented operators; no null; no numeric path parts; no whole-document equality; anchored regex unless :contains. */
function assertValidFilter(filter: unknown, path = ''): void {
  if (filter === null) assert.fail(`null at ${path}`);
  if (Array.isArray(filter)) return filter.forEach((f, i) => assertValidFilter(f, `${path}[${i}]`));
  if (typeof filter !== 'object') return;
  for (const [k, v] of Object.entries(filter as Record<string, unknown>)) {
    if (k.startsWith('$')) {
      assert.ok(ALLOWED_OPS.has(k), `operator ${k} at ${path}`);
      if (k === '$regex') assert.equal(typeof v, 'string');
      if (k === '$in') assert.ok(Array.isArray(v) && v.every((x) => typeof x === 'string' || typeof x === 'number'), `$in of scalars at ${path}`);
    } else {
      assert.ok(!/(^|\.)\d+(\.|$)/.test(k), `numeric path part in ${k}`);
      assert.ok(v === undefined || typeof v !== 'object' || Array.isArray(v) === false, `array equality at ${path}.${k}`);
      if (typeof v === 'object' && v !== null) {
        const keys = Object.keys(v);
        assert.ok(keys.length > 0 && keys.every((x) => x.startsWith('$')), `whole-document equality at ${path}.${k}`);
      }
    }
    assertValidFilter(v, `${path}.${k}`);
  }
}

function search(type: string, params: [string, string][]): string[] {
  const compiled = compileSearch({ type, params, strict: true, baseUrl: BASE, now: NOW });
  assertValidFilter(compiled.filter);
  assert.deepEqual(compiled.unknown, []);
  const q = new Query(compiled.filter);
  return docs.filter((d) => d.type === type && q.test(d)).map((d) => d.id).sort();
}

type Case = [query: string, expected: string];

/** `name=value&name2=value2` (values not URL-encoded here) -> the ids, comma-separated and sorted. */
function table(type: string, cases: Case[]): void {
  for (const [query, expected] of cases) {
    it(`${type}?${query} -> [${expected}]`, () => {
      const params = query.split('&').map((p) => {
        const eq = p.indexOf('=');
        return [p.slice(0, eq), p.slice(eq + 1)] as [string, string];
      });
      assert.deepEqual(search(type, params), expected === '' ? [] : expected.split(',').sort());
    });
  }
}

describe('search query: string', () => {
  table('Patient', [
    ['name=jose', 'p1,p2'],
    ['name=JOS', 'p1,p2'],
    ['name=José', 'p1,p2'],
    ['name=maria', 'p1'],
    ['name=ana', 'p1'],
    ['name=peter', 'p2'],
    ['name=hans-p', 'p3'],
    ['family=muller', 'p3'],
    ['family=MÜL', 'p3'],
    ['name:exact=José', 'p1'],
    ['name:exact=jose', ''],
    ['name:exact=Jose', 'p2'],
    ['name:contains=pete', 'p2,p3'],
    ['name:contains=ÜLL', 'p3'],
    ['name:contains=a.a', ''],
    ['name=.*', ''],
    ['address-city=sao', 'p1'],
    ['address=paulo', ''],
    ['address:contains=paulo', 'p1'],
    ['name=mar,pet', 'p1,p2'],
    ['name=jose&name=maria', 'p1'],
    ['name=jose&name=peter', 'p2'],
    ['name:missing=true', 'p4'],
    ['name:missing=false', 'p1,p2,p3'],
  ]);
});

describe('search query: token', () => {
  table('Patient', [
    ['gender=male', 'p2,p3'],
    ['gender=male,female', 'p1,p2,p3'],
    ['gender:not=male', 'p1,p4'],
    ['gender:not=male,female', 'p4'],
    ['gender:missing=true', 'p4'],
    ['active=true', 'p1'],
    ['active=false', 'p3'],
    ['active:not=true', 'p2,p3,p4'],
    ['identifier=MRN-1', 'p1'],
    ['identifier=http://hospital/mrn|MRN-2', 'p2'],
    ['identifier=http://hospital/mrn|', 'p1,p2'],
    ['identifier=http://hospital/mrn|999-11-1111', ''],
    ['identifier=|MRN-1', ''],
    ['identifier:of-type=http://terminology.hl7.org/CodeSystem/v2-0203|MR|MRN-1', 'p1'],
    ['identifier:of-type=http://terminology.hl7.org/CodeSystem/v2-0203|SS|999-11-1111', 'p1'],
    // the MR type and the SSN value are on different identifiers: no match
    ['identifier:of-type=http://terminology.hl7.org/CodeSystem/v2-0203|MR|999-11-1111', ''],
    ['identifier:text=social', 'p1'],
    ['identifier:text=medical', ''],
    ['_id=p1,p3', 'p1,p3'],
    ['_id:not=p1', 'p2,p3,p4'],
    ['_tag=http://tags|vip', 'p1'],
    ['_tag=vip', 'p1'],
    ['_tag=http://tags|', 'p1'],
    ['_tag=http://other|vip', ''],
    ['gender=male&_id=p3', 'p3'],
  ]);
  table('Observation', [
    ['code=8480-6', 'o1,o2'],
    ['code=http://loinc.org|8480-6', 'o1,o2'],
    ['code=http://loinc.org|8480-6,http://loinc.org|2339-0', 'o1,o2,o4'],
    ['code=http://snomed.info/sct|8480-6', ''],
    ['code=|8480-6', ''],
    ['code=http://loinc.org|', 'o1,o2,o3,o4'],
    ['code:text=glucose', 'o4'],
    ['code:text=systolic', 'o1'],
    ['code:text=free text', 'o5'],
    ['code:not=http://loinc.org|', 'o5'],
    ['combo-code=8462-4', 'o3'],
    ['component-code=8480-6', 'o3'],
    ['status=final,amended', 'o1,o2,o3,o4'],
    ['category=vital-signs', 'o1'],
  ]);
});

describe('search query: reference', () => {
  table('Observation', [
    ['subject=p1', 'o1,o3'],
    ['subject=Patient/p1', 'o1,o3'],
    ['subject=Patient/p1/_history/3', 'o1,o3'],
    ['subject:Patient=p1', 'o1,o3'],
    ['subject=https://x.org/fhir/Patient/p1', 'o1,o3'],
    ['subject=g1', 'o5'],
    ['subject:Group=g1', 'o5'],
    ['subject:Patient=g1', ''],
    ['subject=Patient/p1,Patient/p3', 'o1,o3,o4'],
    ['patient=p2', 'o2'],
    ['patient=Patient/p2', 'o2'],
    ['subject:missing=false', 'o1,o2,o3,o4,o5'],
  ]);
  table('Patient', [
    ['organization=org1', 'p1'],
    ['organization=Organization/org2', 'p2'],
    ['organization=https://x.org/fhir/Organization/org2', 'p2'],
    ['organization=http://other.org/fhir/Organization/o9', 'p3'],
    ['organization=Organization/o9', 'p3'],
    ['organization:missing=true', 'p4'],
    ['general-practitioner=Practitioner/pr1', 'p1'],
    ['general-practitioner:identifier=http://npi|12345', 'p4'],
    ['general-practitioner:identifier=12345', 'p4'],
    ['general-practitioner:identifier=http://npi|', 'p4'],
    ['general-practitioner:identifier=http://other|12345', ''],
    ['general-practitioner:missing=true', 'p2,p3'],
  ]);
});

describe('search query: date', () => {
  // birthdate: p1 1980-05-17, p2 1980 (the whole year), p3 1975-12-31, p4 none
  table('Patient', [
    ['birthdate=1980', 'p1,p2'],
    ['birthdate=eq1980', 'p1,p2'],
    ['birthdate=1980-05-17', 'p1'],
    ['birthdate=1980-05', 'p1'],
    ['birthdate=ne1980-05-17', 'p2,p3'],
    ['birthdate=ne1980', 'p3'],
    ['birthdate=gt1980-05-17', 'p2'],
    ['birthdate=gt1980', ''],
    ['birthdate=lt1980-05-17', 'p2,p3'],
    ['birthdate=lt1980', 'p3'],
    ['birthdate=ge1980-05-17', 'p1,p2'],
    ['birthdate=ge1980', 'p1,p2'],
    ['birthdate=le1980-05-17', 'p1,p2,p3'],
    ['birthdate=le1975-12-31', 'p3'],
    ['birthdate=sa1979', 'p1,p2'],
    ['birthdate=sa1980-01-01', 'p1'],
    ['birthdate=eb1980', 'p3'],
    ['birthdate=eb1980-05-17', 'p3'],
    ['birthdate=ge1976&birthdate=lt1981', 'p1,p2'],
    ['birthdate=1975,1980-05-17', 'p1,p3'],
    ['birthdate:missing=true', 'p4'],
    ['_lastUpdated=ge2024-01-01', 'p1'],
    ['_lastUpdated=2024-03-01T10:00:00Z', 'p1'],
    ['_lastUpdated=lt2024-03-01T10:00:00Z', ''],
  ]);
  // date: o1 2020-03-01T10:00:00Z, o2 2020-03-01..2020-03-03, o3 2021-06, o4 2020-01-01T01:30Z, o5 2022-01-01..(open)
  table('Observation', [
    ['date=2020-03-01', 'o1'],
    ['date=2020-03', 'o1,o2'],
    ['date=2020', 'o1,o2,o4'],
    ['date=2020-03-01T10:00:00Z', 'o1'],
    ['date=2020-03-01T10:00', 'o1'],
    ['date=2020-03-01T12:00:00+02:00', 'o1'],
    ['date=2020-03-01T12:00:00 02:00', 'o1'],
    ['date=2019-12-31', ''],
    ['date=2020-01-01', 'o4'],
    ['date=lt2020', ''],
    ['date=ge2020-03-02', 'o2,o3,o5'],
    ['date=gt2022', 'o5'],
    ['date=lt2023', 'o1,o2,o3,o4,o5'],
    ['date=sa2021-12-31', 'o5'],
    ['date=eb2020-03-02', 'o1,o4'],
    ['date=ne2020-03', 'o3,o4,o5'],
    // ap: 10% of the gap to now (2025-01-01): about 176 days either side of 2020-03-02
    ['date=ap2020-03-02', 'o1,o2,o4'],
    // next to now the margin is ~0: an overlap with that day
    ['date=ap2024-12-31', 'o5'],
    ['date=ap2021-06-15', 'o3'],
  ]);
});

describe('search query: number', () => {
  // probability: ra1 0.5, ra2 0.25, ra3 a Range (not indexed as a number), ra4 1 and 0.05
  table('RiskAssessment', [
    ['probability=0.5', 'ra1'],
    ['probability=5e-1', 'ra1'],
    ['probability=0.25', 'ra2'],
    ['probability=0.3', 'ra2'],
    ['probability=0.2', ''],
    ['probability=0.50', 'ra1'],
    ['probability=0.500', 'ra1'],
    // 1 is [0.5, 1.5): 0.5 is in it
    ['probability=1', 'ra1,ra4'],
    ['probability=1.0', 'ra4'],
    ['probability=1.00', 'ra4'],
    ['probability=gt0.25', 'ra1,ra4'],
    ['probability=ge0.25', 'ra1,ra2,ra4'],
    ['probability=lt0.5', 'ra2,ra4'],
    ['probability=le0.5', 'ra1,ra2,ra4'],
    ['probability=ne0.5', 'ra2,ra4'],
    ['probability=sa0.25', 'ra1,ra4'],
    ['probability=eb0.06', 'ra4'],
    ['probability=ap0.5', 'ra1'],
    ['probability=ap0.26', 'ra2'],
    // repeated parameters are ANDed per resource: ra4 has 1 (> 0.2) and 0.05 (< 0.6)
    ['probability=gt0.2&probability=lt0.6', 'ra1,ra2,ra4'],
    ['probability=gt0.9&probability=lt0.06', 'ra4'],
    ['probability=0.5,0.25', 'ra1,ra2'],
    ['probability:missing=true', 'ra3'],
  ]);
});

describe('search query: quantity', () => {
  // value-quantity: o1 120 mmHg (mm[Hg]), o2 95 mm[Hg], o3 none (components), o4 5.4 mmol/L, o5 <5 mg (no system)
  table('Observation', [
    ['value-quantity=120', 'o1'],
    ['value-quantity=120|http://unitsofmeasure.org|mm[Hg]', 'o1'],
    ['value-quantity=120||mmHg', 'o1'],
    ['value-quantity=120||mm[Hg]', 'o1'],
    ['value-quantity=120|http://other.org|mm[Hg]', ''],
    ['value-quantity=120|http://unitsofmeasure.org|', 'o1'],
    ['value-quantity=gt100', 'o1'],
    ['value-quantity=gt90||mm[Hg]', 'o1,o2'],
    ['value-quantity=lt10', 'o4,o5'],
    ['value-quantity=lt5', 'o5'],
    ['value-quantity=gt5', 'o1,o2,o4'],
    ['value-quantity=5', 'o4'],
    ['value-quantity=5.4|http://unitsofmeasure.org|mmol/L', 'o4'],
    ['value-quantity=5.4||mg', ''],
    ['value-quantity=le4||mg', 'o5'],
    ['value-quantity=ne120', 'o2,o4,o5'],
    ['value-quantity=ap100', 'o2'],
    ['value-quantity=120,95', 'o1,o2'],
    ['value-quantity:missing=true', 'o3'],
  ]);
});

describe('search query: uri', () => {
  table('ValueSet', [
    ['url=http://acme.org/fhir/ValueSet/123', 'vs1'],
    ['url=http://acme.org/fhir/ValueSet', ''],
    ['url:below=http://acme.org/fhir', 'vs1,vs2,vs3'],
    ['url:below=http://acme.org/fhir/ValueSet/', 'vs1,vs2'],
    ['url:above=http://acme.org/fhir/ValueSet/123/extra', 'vs1,vs3'],
    ['url:above=http://acme.org/fhir/ValueSet/456', 'vs2,vs3'],
    ['url=urn:oid:1.2.3', 'vs4'],
    ['url=http://acme.org/fhir/ValueSet/123,urn:oid:1.2.3', 'vs1,vs4'],
    ['url:missing=true', 'vs5'],
  ]);
  table('Patient', [
    ['_profile=http://example.org/StructureDefinition/my-patient', 'p1'],
    ['_source=http://src.org/a', 'p1'],
    ['_profile:missing=true', 'p2,p3,p4'],
  ]);
});

describe('search query: composite', () => {
  table('Observation', [
    ['code-value-quantity=http://loinc.org|8480-6$gt100', 'o1'],
    ['code-value-quantity=http://loinc.org|8480-6$lt100', 'o2'],
    ['code-value-quantity=8480-6$95|http://unitsofmeasure.org|mm[Hg]', 'o2'],
    ['code-value-quantity=http://loinc.org|2339-0$gt100', ''],
    ['code-value-quantity=http://loinc.org|8480-6$gt100,http://loinc.org|2339-0$lt6', 'o1,o4'],
    // each component's code with its own value: 8480-6 is 130, 8462-4 is 85 (o3)
    ['component-code-value-quantity=http://loinc.org|8480-6$gt120', 'o3'],
    ['component-code-value-quantity=http://loinc.org|8462-4$gt120', ''],
    ['component-code-value-quantity=http://loinc.org|8462-4$lt90', 'o3'],
    ['combo-code-value-quantity=http://loinc.org|8480-6$gt125', 'o3'],
    ['combo-code-value-quantity=http://loinc.org|8480-6$120', 'o1'],
    ['code-value-quantity:missing=true', 'o3,o5'],
  ]);
});

describe('search query: several parameters', () => {
  table('Observation', [
    ['code=8480-6&value-quantity=gt100', 'o1'],
    ['code=8480-6&date=2020-03&subject=p2', 'o2'],
    ['status:not=final&value-quantity:missing=false', 'o5'],
  ]);
});
