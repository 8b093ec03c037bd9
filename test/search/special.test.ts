/**
 * The special search parameters (search.html#special, Location-near, search.html#text,
 * search.html#list) and the token modifiers :in / :not-in against a ValueSet stored on the server:
 *   near=lat|lon|distance|units   great-circle distance, units m / km (default) / [mi_i] ...,
 *                                 no distance = 10 km, across the antimeridian, :missing
 *   _text                         words of the narrative, case and accents not counting
 *   _content                      words of any text of the resource (nested elements too)
 *   _list                         the resources a List refers to (of the searched type)
 *   code:in / code:not-in         ValueSet by url (and url|version) or ValueSet/id: listed
 *                                 concepts, whole code system minus excluded codes, expansion;
 *                                 400 for one that cannot be expanded
 * Malformed values are a 400 OperationOutcome naming the parameter.
 */
import assert from 'node:assert/strict';
import { describe, it, before, after } from 'node:test';
import request from 'supertest';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { BASE_URL, expectError, expectMatches, get, outcomeText, page, putAll, type Json } from './_lib.js';

let t: TestApp;
const STRICT = { headers: { Prefer: 'handling=strict' } };

const R = 6371.0088;
const DEG = Math.PI / 180;
const LAT0 = 42.2808;
const LON0 = -83.743;
/** the point `km` north of the centre (same meridian: the distance is exactly R times the angle) */
const north = (km: number) => LAT0 + km / R / DEG;
/** the point `km` east of the centre on its parallel (haversine solved for the longitude) */
const east = (km: number) => LON0 + (2 * Math.asin(Math.sin(km / (2 * R)) / Math.cos(LAT0 * DEG))) / DEG;

const L = (id: string, position?: { latitude: number; longitude: number }, name = id) => ({ resourceType: 'Location', id, name, ...(position ? { position } : {}) });
const locations = [
  L('center', { latitude: LAT0, longitude: LON0 }, 'Main clinic'),
  L('n-in', { latitude: north(4.99), longitude: LON0 }),
  L('n-out', { latitude: north(5.01), longitude: LON0 }),
  L('e-in', { latitude: LAT0, longitude: east(4.99) }),
  L('e-out', { latitude: LAT0, longitude: east(5.01) }),
  L('far', { latitude: 42.3314, longitude: -83.0458 }), // Detroit, ~57 km
  L('nopos'),
  L('fiji-west', { latitude: -17, longitude: 179.99 }),
  L('fiji-east', { latitude: -17, longitude: -179.99 }),
];
const NEAR5 = ['center', 'n-in', 'e-in'];

const XHTML = (inner: string) => ({ status: 'generated', div: `<div xmlns="http://www.w3.org/1999/xhtml">${inner}</div>` });
const patients = [
  { resourceType: 'Patient', id: 'p1', gender: 'male', text: XHTML('<p>Patiënt <b>José</b> has a Fièvre &amp; cough</p>'), name: [{ family: 'Alpha' }] },
  { resourceType: 'Patient', id: 'p2', gender: 'female', text: XHTML('<p>Routine check, no fever.</p>'), name: [{ family: 'Beta' }] },
  { resourceType: 'Patient', id: 'p3', gender: 'female', name: [{ family: 'Zanzibar', given: ['Ève'] }] },
];

const LOINC = 'http://loinc.org';
const SCT = 'http://snomed.info/sct';
const LOCAL = 'http://example.org/local';
const O = (id: string, code: unknown, extra: Record<string, unknown> = {}) => ({ resourceType: 'Observation', id, status: 'final', code, ...extra });
const observations = [
  O('o1', { coding: [{ system: LOINC, code: '8480-6' }] }, { subject: { reference: 'Patient/p1' } }),
  O('o2', { coding: [{ system: LOINC, code: '8462-4' }, { system: SCT, code: '271650006' }] }, { subject: { reference: 'Patient/p2' } }),
  O('o3', { coding: [{ system: LOCAL, code: '8480-6' }] }),
  O('o4', { coding: [{ system: SCT, code: '999' }] }),
  O('o5', { text: 'Heart rate' }, { component: [{ code: { coding: [{ system: LOCAL, code: 'zf', display: 'Zebrafish assay' }] }, valueString: 'done' }] }),
];

const BP_URL = 'http://example.org/fhir/ValueSet/bp';
const VS = (id: string, extra: Record<string, unknown>) => ({ resourceType: 'ValueSet', id, status: 'active', ...extra });
const valueSets = [
  VS('vs1', { url: BP_URL, version: '1.0', compose: { include: [{ system: LOINC, concept: [{ code: '8480-6' }, { code: '8462-4' }] }] } }),
  VS('vs-whole', { url: 'http://example.org/fhir/ValueSet/sct-but-999', compose: { include: [{ system: SCT }], exclude: [{ system: SCT, concept: [{ code: '999' }] }] } }),
  VS('vs-exp', { url: 'http://example.org/fhir/ValueSet/expanded', expansion: { timestamp: '2024-01-01T00:00:00Z', contains: [{ system: LOCAL, code: '8480-6' }, { system: LOCAL, code: 'x', abstract: true, contains: [{ system: LOCAL, code: 'zf' }] }] } }),
  VS('vs-filter', { url: 'http://example.org/fhir/ValueSet/filtered', compose: { include: [{ system: SCT, filter: [{ property: 'concept', op: 'is-a', value: '404684003' }] }] } }),
  VS('vs-ref', { url: 'http://example.org/fhir/ValueSet/nested', compose: { include: [{ valueSet: [BP_URL] }] } }),
  VS('vs-gender', { url: 'http://example.org/fhir/ValueSet/female', compose: { include: [{ system: 'http://hl7.org/fhir/administrative-gender', concept: [{ code: 'female' }] }] } }),
];

const lists = [
  {
    resourceType: 'List',
    id: 'l1',
    status: 'current',
    mode: 'working',
    entry: [
      { item: { reference: 'Patient/p1' } },
      { item: { reference: 'Observation/o1' } },
      { item: { reference: `${BASE_URL}/Observation/o2` } },
      { item: { reference: 'Observation/o3' }, deleted: true },
      { item: { reference: 'Observation/unknown' } },
      { item: { reference: 'http://elsewhere.example/fhir/Observation/o4' } },
    ],
  },
  { resourceType: 'List', id: 'l2', status: 'current', mode: 'working', entry: [{ item: { reference: 'Observation/o4' } }] },
  { resourceType: 'List', id: 'empty', status: 'current', mode: 'working' },
];

before(async () => {
  t = await createTestApp();
  await putAll(t, [...locations, ...patients, ...observations, ...valueSets, ...lists]);
});

after(async () => {
  await t?.close();
});

/** a 400 OperationOutcome whose issue names `param` */
async function expect400(path: string, query: string, param: string, pattern?: RegExp): Promise<Json> {
  const oo = expectError(await get(t, path, query), [400], `${path}?${query}`);
  assert.ok(outcomeText(oo).includes(param), `${path}?${query}: the outcome should name '${param}': ${outcomeText(oo)}`);
  if (pattern) assert.match(outcomeText(oo), pattern, `${path}?${query}`);
  return oo;
}

describe('near (Location)', () => {
  it('within 5 km: the points 4.99 km north and east match, 5.01 km do not', async () => {
    await expectMatches(t, 'Location', `near=${LAT0}|${LON0}|5|km`, NEAR5);
  });
  it('units: 5000 m is the same; no units is km', async () => {
    await expectMatches(t, 'Location', `near=${LAT0}|${LON0}|5000|m`, NEAR5);
    await expectMatches(t, 'Location', `near=${LAT0}|${LON0}|5`, NEAR5);
    await expectMatches(t, 'Location', `near=${LAT0}|${LON0}|5|`, NEAR5);
  });
  it('miles: 3.1 mi (4.989 km) leaves out the points at 4.99 km, 3.11 mi (5.005 km) takes them', async () => {
    await expectMatches(t, 'Location', `near=${LAT0}|${LON0}|3.1|[mi_i]`, ['center']);
    await expectMatches(t, 'Location', `near=${LAT0}|${LON0}|3.1|mi`, ['center']);
    await expectMatches(t, 'Location', `near=${LAT0}|${LON0}|3.11|[mi_i]`, NEAR5);
    await expectMatches(t, 'Location', `near=${LAT0}|${LON0}|3.11|[mi_us]`, NEAR5);
  });
  it('no distance: 10 km (units then do not matter)', async () => {
    const ten = ['center', 'n-in', 'n-out', 'e-in', 'e-out'];
    await expectMatches(t, 'Location', `near=${LAT0}|${LON0}`, ten);
    await expectMatches(t, 'Location', `near=${LAT0}|${LON0}||m`, ten);
  });
  it('distance 0 is the point itself; a large one reaches Detroit', async () => {
    await expectMatches(t, 'Location', `near=${LAT0}|${LON0}|0|km`, ['center']);
    await expectMatches(t, 'Location', `near=${LAT0}|${LON0}|60|km`, ['center', 'n-in', 'n-out', 'e-in', 'e-out', 'far']);
  });
  it('across the antimeridian', async () => {
    await expectMatches(t, 'Location', 'near=-17|-179.995|5|km', ['fiji-west', 'fiji-east']);
    await expectMatches(t, 'Location', 'near=-17|179.999|1.5|km', ['fiji-west', 'fiji-east']);
  });
  it('comma values are ORed, repeated parameters ANDed, other parameters combine', async () => {
    await expectMatches(t, 'Location', `near=${LAT0}|${LON0}|0|km,-17|179.99|1|km`, ['center', 'fiji-west']);
    await expectMatches(t, 'Location', `near=${LAT0}|${LON0}|10|km&near=${north(5.01)}|${LON0}|0.5|km`, ['n-in', 'n-out']);
    await expectMatches(t, 'Location', `near=${LAT0}|${LON0}|5|km&name=main`, ['center']);
  });
  it(':missing', async () => {
    await expectMatches(t, 'Location', 'near:missing=true', ['nopos']);
  });
  it('strict mode accepts it and the self link keeps it', async () => {
    const b = await page(t, 'Location', `near=${LAT0}|${LON0}|5|km`, STRICT);
    assert.ok(new URL(b.link.find((l: Json) => l.relation === 'self').url).searchParams.has('near'));
  });
  for (const bad of ['abc|1|5|km', '91|0|1|km', '0|181', '42', '1|2|-5|km', '1|2|x|km', '1|2|5|parsec', '1|2|3|km|x', '|2|5|km']) {
    it(`near=${bad} -> 400 naming near`, async () => {
      await expect400('Location', `near=${bad}`, 'near');
    });
  }
  it('an unsupported modifier -> 400', async () => {
    await expect400('Location', `near:exact=${LAT0}|${LON0}`, 'near:exact');
  });
});

describe('_text (narrative)', () => {
  it('a word of the narrative, case and accents not counting', async () => {
    await expectMatches(t, 'Patient', '_text=fievre', ['p1']);
    await expectMatches(t, 'Patient', '_text=FIÈVRE', ['p1']);
    await expectMatches(t, 'Patient', '_text=jose', ['p1']);
    await expectMatches(t, 'Patient', '_text=patient', ['p1']);
  });
  it('a word prefix matches, the inside of a word does not; tags and entities are not text', async () => {
    await expectMatches(t, 'Patient', '_text=fev', ['p2']);
    await expectMatches(t, 'Patient', '_text=atient', []);
    await expectMatches(t, 'Patient', '_text=amp', []);
    await expectMatches(t, 'Patient', '_text=div', []);
  });
  it('all the words of a value (AND), comma values OR', async () => {
    await expectMatches(t, 'Patient', '_text=cough fièvre', ['p1']);
    await expectMatches(t, 'Patient', '_text=cough routine', []);
    await expectMatches(t, 'Patient', '_text=cough,routine', ['p1', 'p2']);
  });
  it('only the narrative: a name is not in it; :missing', async () => {
    await expectMatches(t, 'Patient', '_text=zanzibar', []);
    await expectMatches(t, 'Patient', '_text:missing=true', ['p3']);
    await expectMatches(t, 'Patient', '_text:missing=false', ['p1', 'p2']);
  });
  it('in a chain', async () => {
    await expectMatches(t, 'Observation', 'subject:Patient._text=fievre', ['o1']);
  });
  it('a value without words -> 400', async () => {
    await expect400('Patient', '_text=!!!', '_text');
  });
});

describe('_content (all the text)', () => {
  it('a word only in a nested element', async () => {
    await expectMatches(t, 'Observation', '_content=zebrafish', ['o5']);
    await expectMatches(t, 'Observation', '_content=ZEBRA', ['o5']);
  });
  it('the narrative text and the other elements, accents folded', async () => {
    await expectMatches(t, 'Patient', '_content=fievre', ['p1']);
    await expectMatches(t, 'Patient', '_content=zanzibar', ['p3']);
    await expectMatches(t, 'Patient', '_content=eve zanzibar', ['p3']);
    await expectMatches(t, 'Patient', '_content=fever,zanzibar', ['p2', 'p3']);
  });
  it('with other parameters, and repeated', async () => {
    await expectMatches(t, 'Patient', '_content=fever,zanzibar&gender=female&name=beta', ['p2']);
    await expectMatches(t, 'Patient', '_content=fever,zanzibar&_content=routine', ['p2']);
    await expectMatches(t, 'Observation', '_content=zebrafish&code=8480-6', []);
  });
  it('a value without words -> 400; modifiers -> 400', async () => {
    await expect400('Patient', '_content=..', '_content');
    await expect400('Patient', '_content:exact=x', '_content:exact');
  });
});

describe('_list', () => {
  it('the resources of the searched type in the List (deleted entries and other servers left out)', async () => {
    await expectMatches(t, 'Observation', '_list=l1', ['o1', 'o2']);
    await expectMatches(t, 'Patient', '_list=l1', ['p1']);
    await expectMatches(t, 'Location', '_list=l1', []);
  });
  it('comma lists OR, an unknown or empty List matches nothing, other parameters combine', async () => {
    await expectMatches(t, 'Observation', '_list=l1,l2', ['o1', 'o2', 'o4']);
    await expectMatches(t, 'Observation', '_list=nope', []);
    await expectMatches(t, 'Observation', '_list=empty', []);
    await expectMatches(t, 'Observation', '_list=l1&code=8480-6', ['o1']);
  });
  it('system search: every type in the List', async () => {
    await expectMatches(t, '', '_list=l1', ['Patient/p1', 'Observation/o1', 'Observation/o2']);
    await expectMatches(t, '', '_type=Patient,Location&_list=l1', ['Patient/p1']);
  });
  it('functional lists and malformed ids -> 400', async () => {
    await expect400('Observation', '_list=$current-allergies', '_list');
    await expect400('Observation', '_list=a/b', '_list');
  });
});

describe('token :in / :not-in', () => {
  it('a ValueSet of listed concepts, by url, url|version and ValueSet/id', async () => {
    await expectMatches(t, 'Observation', `code:in=${BP_URL}`, ['o1', 'o2']);
    await expectMatches(t, 'Observation', `code:in=${BP_URL}|1.0`, ['o1', 'o2']);
    await expectMatches(t, 'Observation', 'code:in=ValueSet/vs1', ['o1', 'o2']);
  });
  it(':not-in: no code in the ValueSet (resources without a code match too)', async () => {
    await expectMatches(t, 'Observation', `code:not-in=${BP_URL}`, ['o3', 'o4', 'o5']);
    await expectMatches(t, 'Observation', 'code:not-in=ValueSet/vs1', ['o3', 'o4', 'o5']);
  });
  it('a whole code system minus an excluded code', async () => {
    await expectMatches(t, 'Observation', 'code:in=ValueSet/vs-whole', ['o2']);
    await expectMatches(t, 'Observation', 'code:not-in=ValueSet/vs-whole', ['o1', 'o3', 'o4', 'o5']);
  });
  it('an expansion (abstract codes left out, nested contains in)', async () => {
    await expectMatches(t, 'Observation', 'code:in=ValueSet/vs-exp', ['o3']);
    await expectMatches(t, 'Observation', 'combo-code:in=ValueSet/vs-exp', ['o3', 'o5']);
  });
  it('comma value sets OR; a code element with an implicit system (Patient.gender)', async () => {
    await expectMatches(t, 'Observation', 'code:in=ValueSet/vs1,ValueSet/vs-exp', ['o1', 'o2', 'o3']);
    await expectMatches(t, 'Patient', 'gender:in=http://example.org/fhir/ValueSet/female', ['p2', 'p3']);
    await expectMatches(t, 'Patient', 'gender:not-in=ValueSet/vs-gender', ['p1']);
  });
  it('a ValueSet with a filter or other value sets cannot be expanded -> 400', async () => {
    await expect400('Observation', 'code:in=ValueSet/vs-filter', 'code:in', /cannot be expanded/);
    await expect400('Observation', 'code:in=http://example.org/fhir/ValueSet/nested', 'code:in', /cannot be expanded/);
  });
  it('an unknown ValueSet, or a value that is no ValueSet reference -> 400', async () => {
    await expect400('Observation', 'code:in=ValueSet/nope', 'code:in', /not known/);
    await expect400('Observation', 'code:in=http://example.org/fhir/ValueSet/nope', 'code:in', /not known/);
    await expect400('Observation', 'code:not-in=not a url', 'code:not-in');
  });
  it(':below / :above stay 400', async () => {
    await expect400('Observation', `code:below=${LOINC}|8480-6`, 'code:below');
    await expect400('Observation', `code:above=${LOINC}|8480-6`, 'code:above');
  });
});

describe('CapabilityStatement', () => {
  it('lists near, _text, _content and _list, not _query', async () => {
    const cs = (await request(t.app).get('/fhir/metadata')).body;
    const names = (type: string) => (cs.rest[0].resource.find((r: Json) => r.type === type).searchParam ?? []).map((p: Json) => p.name);
    assert.ok(names('Location').includes('near'), 'Location near');
    for (const n of ['_text', '_content', '_list']) assert.ok(names('Patient').includes(n), `Patient ${n}`);
    assert.ok(!names('Patient').includes('_query'), 'Patient _query');
    assert.ok(!names('Bundle').includes('_text'), 'Bundle _text');
    assert.ok(names('Bundle').includes('_content'), 'Bundle _content');
  });
  it('strict mode accepts them', async () => {
    for (const [path, q] of [['Patient', '_text=x'], ['Patient', '_content=x'], ['Patient', '_list=x'], ['Location', `near=${LAT0}|${LON0}`], ['Observation', 'code:in=ValueSet/vs1']]) {
      const res = await get(t, path, q, STRICT);
      assert.equal(res.status, 200, `${path}?${q}: ${res.text.slice(0, 300)}`);
    }
  });
});
