/**
 * token parameters (search.html#token): code, system|code, |code, system|, system and code in the
 * same Coding, :not (resources without the value match too), :text, :missing, Identifier (and
 * :of-type), code / boolean / ContactPoint elements, _id, escaping of `|`.
 */
import { describe, it, before, after } from 'node:test';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { expectMatches, expectSome, putAll } from './_lib.js';

let t: TestApp;

const LOINC = 'http://loinc.org';
const LOCAL = 'http://example.org/local';
const SCT = 'http://snomed.info/sct';
const V2 = 'http://terminology.hl7.org/CodeSystem/v2-0203';
const OID = 'urn:oid:1.2.36.146.595.217.0.1';
const VITAL = { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/observation-category', code: 'vital-signs' }] };

const O = (id: string, status: string, code: unknown, extra: Record<string, unknown> = {}) => ({ resourceType: 'Observation', id, status, code, ...extra });

const observations = [
  O('o1', 'final', { coding: [{ system: LOINC, code: '8480-6', display: 'Systolic blood pressure' }] }, { category: [VITAL] }),
  O('o2', 'preliminary', { coding: [{ system: LOINC, code: '8462-4', display: 'Diastolic blood pressure' }, { system: SCT, code: '271650006' }] }),
  O('o3', 'final', { coding: [{ system: LOCAL, code: '8480-6' }] }),
  O('o4', 'amended', { coding: [{ code: '8480-6' }], text: 'Blood pressure systolic (local)' }),
  // loinc in one coding, 8462-4 in another: must not match http://loinc.org|8462-4
  O('o5', 'final', { coding: [{ system: LOINC, code: '1234-5' }, { system: LOCAL, code: '8462-4' }] }),
  O('o6', 'final', { text: 'Heart rate' }),
];
const OBS = observations.map((o) => o.id);

const patients = [
  {
    resourceType: 'Patient',
    id: 'pt1',
    active: true,
    gender: 'male',
    identifier: [{ system: OID, value: '12345', type: { coding: [{ system: V2, code: 'MR' }] } }],
    telecom: [{ system: 'phone', value: '555-1234' }],
  },
  {
    resourceType: 'Patient',
    id: 'pt2',
    active: false,
    gender: 'female',
    identifier: [{ system: 'http://hospital.example/ssn', value: '12345', type: { coding: [{ system: V2, code: 'SS' }], text: 'Social security number' } }],
    telecom: [{ system: 'email', value: 'pat@example.org' }],
  },
  { resourceType: 'Patient', id: 'pt3', identifier: [{ value: '12345' }] },
  {
    resourceType: 'Patient',
    id: 'pt4',
    gender: 'female',
    identifier: [{ system: OID, value: '99999', type: { coding: [{ system: V2, code: 'MR' }] } }],
  },
  {
    resourceType: 'Patient',
    id: 'pt6',
    meta: { tag: [{ system: 'http://tags.example', code: 'red' }], security: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-Confidentiality', code: 'R' }] },
  },
  { resourceType: 'Patient', id: 'pt5', identifier: [{ system: 'http://x.example', value: 'a|b' }, { system: 'http://x.example', value: 'a,b' }] },
];

before(async () => {
  t = await createTestApp();
  await putAll(t, [...observations, ...patients]);
});
after(async () => {
  await t?.close();
});

describe('token on CodeableConcept', () => {
  it('code=8480-6 matches any system', async () => {
    await expectMatches(t, 'Observation', 'code=8480-6', ['o1', 'o3', 'o4']);
  });
  it('system|code', async () => {
    await expectMatches(t, 'Observation', `code=${LOINC}|8480-6`, ['o1']);
    await expectMatches(t, 'Observation', `code=${LOCAL}|8480-6`, ['o3']);
  });
  it('|code: only codings without a system', async () => {
    await expectMatches(t, 'Observation', 'code=|8480-6', ['o4']);
  });
  it('system|: any code of that system', async () => {
    await expectMatches(t, 'Observation', `code=${LOINC}|`, ['o1', 'o2', 'o5']);
  });
  it('system and code must match in the SAME Coding', async () => {
    await expectMatches(t, 'Observation', `code=${LOINC}|8462-4`, ['o2']);
    await expectMatches(t, 'Observation', `code=${LOCAL}|8462-4`, ['o5']);
    await expectMatches(t, 'Observation', `code=${LOCAL}|1234-5`, []);
  });
  it('code only, several codings: code=8462-4', async () => {
    await expectMatches(t, 'Observation', 'code=8462-4', ['o2', 'o5']);
  });
  it('the second coding of a concept matches: code=http://snomed.info/sct|271650006', async () => {
    await expectMatches(t, 'Observation', `code=${SCT}|271650006`, ['o2']);
  });
  it('comma is OR', async () => {
    await expectMatches(t, 'Observation', `code=${LOINC}|8480-6,${LOINC}|8462-4`, ['o1', 'o2']);
  });
  it('repeated is AND', async () => {
    await expectMatches(t, 'Observation', `code=8462-4&code=${SCT}|271650006`, ['o2']);
    await expectMatches(t, 'Observation', `code=8462-4&code=8480-6`, []);
  });
  it('codes are not prefix-matched: code=8480', async () => {
    await expectMatches(t, 'Observation', 'code=8480', []);
  });
  it(':text on Coding.display / CodeableConcept.text (string matching)', async () => {
    await expectMatches(t, 'Observation', 'code:text=heart', ['o6']);
    await expectMatches(t, 'Observation', 'code:text=HEART RA', ['o6']);
    // starts-with or word/contains matching: o1 display is "Systolic blood pressure"
    await expectSome(t, 'Observation', 'code:text=blood', ['o4'], ['o3', 'o5', 'o6']);
    await expectSome(t, 'Observation', 'code:text=systolic', ['o1'], ['o2', 'o3', 'o5', 'o6']);
  });
  it(':not=system|code returns every resource without a matching coding (those without any code too)', async () => {
    await expectMatches(t, 'Observation', `code:not=${LOINC}|8480-6`, ['o2', 'o3', 'o4', 'o5', 'o6']);
  });
  it(':not=code', async () => {
    await expectMatches(t, 'Observation', 'code:not=8480-6', ['o2', 'o5', 'o6']);
  });
  it('status (code element): status=final, OR, :not', async () => {
    await expectMatches(t, 'Observation', 'status=final', ['o1', 'o3', 'o5', 'o6']);
    await expectMatches(t, 'Observation', 'status=final,amended', ['o1', 'o3', 'o4', 'o5', 'o6']);
    await expectMatches(t, 'Observation', 'status:not=final', ['o2', 'o4']);
  });
  it('category:missing', async () => {
    await expectMatches(t, 'Observation', 'category:missing=false', ['o1']);
    await expectMatches(t, 'Observation', 'category:missing=true', ['o2', 'o3', 'o4', 'o5', 'o6']);
  });
  it('category=vital-signs with its system', async () => {
    await expectMatches(t, 'Observation', 'category=http://terminology.hl7.org/CodeSystem/observation-category|vital-signs', ['o1']);
  });
  it('_id=o1,o3', async () => {
    await expectMatches(t, 'Observation', '_id=o1,o3', ['o1', 'o3']);
  });
  it('_id:not=o1', async () => {
    await expectMatches(t, 'Observation', '_id:not=o1', OBS.filter((id) => id !== 'o1'));
  });
  it('_id does not prefix-match: _id=o', async () => {
    await expectMatches(t, 'Observation', '_id=o', []);
  });
  it('every Observation has a code: code:missing=true → none', async () => {
    await expectMatches(t, 'Observation', 'code:missing=true', []);
    await expectMatches(t, 'Observation', 'code:missing=false', OBS);
  });
});

describe('token on Identifier', () => {
  it('identifier=12345 matches every system', async () => {
    await expectMatches(t, 'Patient', 'identifier=12345', ['pt1', 'pt2', 'pt3']);
  });
  it('identifier=system|value', async () => {
    await expectMatches(t, 'Patient', `identifier=${OID}|12345`, ['pt1']);
  });
  it('identifier=|value: no system', async () => {
    await expectMatches(t, 'Patient', 'identifier=|12345', ['pt3']);
  });
  it('identifier=system|', async () => {
    await expectMatches(t, 'Patient', `identifier=${OID}|`, ['pt1', 'pt4']);
  });
  it(':of-type=typeSystem|typeCode|value', async () => {
    await expectMatches(t, 'Patient', `identifier:of-type=${V2}|MR|12345`, ['pt1']);
    await expectMatches(t, 'Patient', `identifier:of-type=${V2}|MR|99999`, ['pt4']);
    await expectMatches(t, 'Patient', `identifier:of-type=${V2}|SS|12345`, ['pt2']);
    await expectMatches(t, 'Patient', `identifier:of-type=${V2}|SS|99999`, []);
  });
  it(':text on Identifier.type.text', async () => {
    await expectMatches(t, 'Patient', 'identifier:text=social', ['pt2']);
  });
  it('an escaped | is part of the value: identifier=http://x.example|a\\|b', async () => {
    await expectMatches(t, 'Patient', 'identifier=http://x.example|a\\|b', ['pt5']);
  });
  it('an escaped , is part of the value, not an OR: identifier=a\\,b', async () => {
    await expectMatches(t, 'Patient', 'identifier=a\\,b', ['pt5']);
    await expectMatches(t, 'Patient', 'identifier=a,b', []);
  });
});

describe('token on code, boolean and ContactPoint elements', () => {
  it('gender=female', async () => {
    await expectMatches(t, 'Patient', 'gender=female', ['pt2', 'pt4']);
  });
  it('gender:not=female includes the patients without a gender', async () => {
    await expectMatches(t, 'Patient', 'gender:not=female', ['pt1', 'pt3', 'pt5', 'pt6']);
  });
  it('gender:missing=true', async () => {
    await expectMatches(t, 'Patient', 'gender:missing=true', ['pt3', 'pt5', 'pt6']);
  });
  it('gender=male,female', async () => {
    await expectMatches(t, 'Patient', 'gender=male,female', ['pt1', 'pt2', 'pt4']);
  });
  it('a code element has the implicit system of its value set: gender=http://hl7.org/fhir/administrative-gender|female', async () => {
    await expectMatches(t, 'Patient', 'gender=http://hl7.org/fhir/administrative-gender|female', ['pt2', 'pt4']);
  });
  it('boolean: active=true, active=false, active:missing=true', async () => {
    await expectMatches(t, 'Patient', 'active=true', ['pt1']);
    await expectMatches(t, 'Patient', 'active=false', ['pt2']);
    await expectMatches(t, 'Patient', 'active:missing=true', ['pt3', 'pt4', 'pt5', 'pt6']);
  });
  it('_tag and _security (Coding in meta)', async () => {
    await expectMatches(t, 'Patient', '_tag=http://tags.example|red', ['pt6']);
    await expectMatches(t, 'Patient', '_tag=red', ['pt6']);
    await expectMatches(t, 'Patient', '_tag=http://tags.example|blue', []);
    await expectMatches(t, 'Patient', '_security=http://terminology.hl7.org/CodeSystem/v3-Confidentiality|R', ['pt6']);
    await expectMatches(t, 'Patient', '_tag:not=http://tags.example|red', ['pt1', 'pt2', 'pt3', 'pt4', 'pt5']);
  });
  it('ContactPoint: telecom, phone, email', async () => {
    await expectMatches(t, 'Patient', 'telecom=555-1234', ['pt1']);
    await expectMatches(t, 'Patient', 'phone=555-1234', ['pt1']);
    await expectMatches(t, 'Patient', 'email=pat@example.org', ['pt2']);
    await expectMatches(t, 'Patient', 'email=555-1234', []);
  });
});
