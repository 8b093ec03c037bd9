/**
 * string parameters (search.html#string): starts-with after case and accent normalisation,
 * :exact, :contains, :missing, comma = OR, repeated = AND, escaping, POST _search; searches follow
 * updates and deletes.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { assertSearchset, deleteOk, expectMatches, postSearch, expectPostMatches, expectSome, page, putAll, putOk, entriesOf, linkOf } from './_lib.js';

let t: TestApp;

const P = (id: string, extra: Record<string, unknown>) => ({ resourceType: 'Patient', id, ...extra });

const fixtures = [
  P('s1', {
    name: [{ family: 'Peterson', given: ['Peter', 'James'] }],
    address: [{ line: ['12 Main Street'], city: 'Boston', state: 'MA', postalCode: '02101', country: 'USA' }],
  }),
  P('s2', { name: [{ family: 'García', given: ['José'] }], address: [{ city: 'São Paulo', country: 'Brasil' }] }),
  P('s3', { name: [{ family: 'Josefsson', given: ['Anna'] }] }),
  P('s4', { name: [{ family: 'Ampeter', given: ['Josephine'] }] }),
  P('s5', { name: [{ family: 'Peter', given: ['Paul'] }] }),
  P('s6', { name: [{ text: 'Dr. Zoë Quinn' }] }),
  P('s7', { name: [{ family: 'Doe, Jr', given: ['John'] }] }),
];
const ALL = fixtures.map((f) => f.id);

before(async () => {
  t = await createTestApp();
  await putAll(t, fixtures);
  await putAll(t, [
    { resourceType: 'Organization', id: 'org-a', name: 'Acme Health' },
    { resourceType: 'Organization', id: 'org-b', name: 'Health of Acme' },
  ]);
});
after(async () => {
  await t?.close();
});

describe('string: default is case- and accent-insensitive starts-with', () => {
  it('family=peter → Peterson, Peter (not Ampeter)', async () => {
    await expectMatches(t, 'Patient', 'family=peter', ['s1', 's5']);
  });
  it('family=PETER (case-insensitive)', async () => {
    await expectMatches(t, 'Patient', 'family=PETER', ['s1', 's5']);
  });
  it('family=Péter (accent on the search value is folded too)', async () => {
    await expectMatches(t, 'Patient', 'family=Péter', ['s1', 's5']);
  });
  it('family=garcia finds García; family=GARCÍA too', async () => {
    await expectMatches(t, 'Patient', 'family=garcia', ['s2']);
    await expectMatches(t, 'Patient', 'family=GARCÍA', ['s2']);
  });
  it('given=jose finds José and Josephine', async () => {
    await expectMatches(t, 'Patient', 'given=jose', ['s2', 's4']);
  });
  it('name=jose searches family and given: José, Josefsson, Josephine', async () => {
    await expectMatches(t, 'Patient', 'name=jose', ['s2', 's3', 's4']);
  });
  it('name=jo → José, Josefsson, Josephine, John', async () => {
    await expectMatches(t, 'Patient', 'name=jo', ['s2', 's3', 's4', 's7']);
  });
  it('name matches HumanName.text: name=dr. zo', async () => {
    await expectSome(t, 'Patient', 'name=dr. zo', ['s6'], ['s1', 's2', 's3', 's4', 's5', 's7']);
  });
  it('name=zoe matches no family/given (only the text may match, server-defined)', async () => {
    await expectSome(t, 'Patient', 'name=zoe', [], ['s1', 's2', 's3', 's4', 's5', 's7']);
  });
  it('a value that is not a prefix does not match: family=eterson', async () => {
    await expectMatches(t, 'Patient', 'family=eterson', []);
  });
  it('a value longer than the field does not match: family=petersonx', async () => {
    await expectMatches(t, 'Patient', 'family=petersonx', []);
  });
  it('other types: Organization?name=acme → "Acme Health" only', async () => {
    await expectMatches(t, 'Organization', 'name=acme', ['org-a']);
  });
});

describe('string modifiers', () => {
  it(':contains matches anywhere, case-insensitive: family:contains=eter', async () => {
    await expectMatches(t, 'Patient', 'family:contains=eter', ['s1', 's4', 's5']);
  });
  it(':contains=PET', async () => {
    await expectMatches(t, 'Patient', 'family:contains=PET', ['s1', 's4', 's5']);
  });
  it(':contains on Organization name: health', async () => {
    await expectMatches(t, 'Organization', 'name:contains=health', ['org-a', 'org-b']);
  });
  it(':exact=Peter → only "Peter" (not Peterson)', async () => {
    await expectMatches(t, 'Patient', 'family:exact=Peter', ['s5']);
  });
  it(':exact is case-sensitive: family:exact=peter → none', async () => {
    await expectMatches(t, 'Patient', 'family:exact=peter', []);
  });
  it(':exact is accent-sensitive: García yes, Garcia no', async () => {
    await expectMatches(t, 'Patient', 'family:exact=García', ['s2']);
    await expectMatches(t, 'Patient', 'family:exact=Garcia', []);
  });
  it(':exact on given: José', async () => {
    await expectMatches(t, 'Patient', 'given:exact=José', ['s2']);
    await expectMatches(t, 'Patient', 'given:exact=Jose', []);
  });
  it(':missing=true → only the patient without a family', async () => {
    await expectMatches(t, 'Patient', 'family:missing=true', ['s6']);
  });
  it(':missing=false → every patient with a family', async () => {
    await expectMatches(t, 'Patient', 'family:missing=false', ALL.filter((id) => id !== 's6'));
  });
});

describe('string: OR, AND, escaping', () => {
  it('comma is OR: family=peterson,garcia', async () => {
    await expectMatches(t, 'Patient', 'family=peterson,garcia', ['s1', 's2']);
  });
  it('repeated parameter is AND: given=peter&given=james → s1', async () => {
    await expectMatches(t, 'Patient', 'given=peter&given=james', ['s1']);
  });
  it('AND with no common resource: given=peter&given=paul → none', async () => {
    await expectMatches(t, 'Patient', 'given=peter&given=paul', []);
  });
  it('different parameters are AND: family=pet&given=paul → s5', async () => {
    await expectMatches(t, 'Patient', 'family=pet&given=paul', ['s5']);
  });
  it('an escaped comma is part of the value: family=doe\\, jr', async () => {
    await expectMatches(t, 'Patient', 'family=doe\\, jr', ['s7']);
    await expectMatches(t, 'Patient', 'family=doe\\,', ['s7']);
  });
  it('an unescaped comma splits the value: family=doe,x is doe OR x; family=doe\\,x is the literal "doe,x"', async () => {
    await expectMatches(t, 'Patient', 'family=doe,x', ['s7']);
    await expectMatches(t, 'Patient', 'family=doe\\,x', []);
  });
});

describe('string: address parameters', () => {
  it('address-city=sao finds São Paulo', async () => {
    await expectMatches(t, 'Patient', 'address-city=sao', ['s2']);
  });
  it('address=boston (city part of the address)', async () => {
    await expectMatches(t, 'Patient', 'address=boston', ['s1']);
  });
  it('address=12 main (line), address:contains=main', async () => {
    await expectMatches(t, 'Patient', 'address=12 main', ['s1']);
    await expectMatches(t, 'Patient', 'address:contains=main', ['s1']);
  });
  it('address-postalcode=021, address-country=bras, address-state=ma', async () => {
    await expectMatches(t, 'Patient', 'address-postalcode=021', ['s1']);
    await expectMatches(t, 'Patient', 'address-country=bras', ['s2']);
    await expectMatches(t, 'Patient', 'address-state=ma', ['s1']);
  });
});

describe('string: POST _search', () => {
  it('form body: family=peter', async () => {
    await expectPostMatches(t, 'Patient', 'family=peter', '', ['s1', 's5']);
  });
  it('form body with accents: given=josé (José and Josephine)', async () => {
    await expectPostMatches(t, 'Patient', 'given=josé', '', ['s2', 's4']);
  });
  it('parameters in the URL and in the body are ANDed: ?given=paul + family=peter', async () => {
    await expectPostMatches(t, 'Patient', 'family=peter', 'given=paul', ['s5']);
  });
  it('the self link of a POST search carries its parameters', async () => {
    const b = assertSearchset(await postSearch(t, 'Patient', 'family=peter'), 'POST _search');
    const self = new URL(linkOf(b, 'self')!);
    assert.equal(self.searchParams.get('family'), 'peter', `self link: ${self}`);
    assert.equal(entriesOf(b, 'match').length, 2);
  });
});

describe('string: searches see the current version only', () => {
  it('after an update the new value matches and the old one does not', async () => {
    await putOk(t, P('s-upd', { name: [{ family: 'Oldname' }] }));
    await expectMatches(t, 'Patient', 'family=oldname', ['s-upd']);
    await putOk(t, P('s-upd', { name: [{ family: 'Newname' }] }));
    await expectMatches(t, 'Patient', 'family=oldname', []);
    await expectMatches(t, 'Patient', 'family=newname', ['s-upd']);
  });
  it('a deleted resource is never returned', async () => {
    await putOk(t, P('s-del', { name: [{ family: 'Gonetomorrow' }] }));
    await expectMatches(t, 'Patient', 'family=gonetomorrow', ['s-del']);
    await deleteOk(t, 'Patient', 's-del');
    await expectMatches(t, 'Patient', 'family=gonetomorrow', []);
    await expectMatches(t, 'Patient', '_id=s-del', []);
  });
  it('a resource re-created after a delete is found again, once', async () => {
    await putOk(t, P('s-re', { name: [{ family: 'Phoenix' }] }));
    await deleteOk(t, 'Patient', 's-re');
    await putOk(t, P('s-re', { name: [{ family: 'Phoenix' }] }));
    await expectMatches(t, 'Patient', 'family=phoenix', ['s-re']);
  });
  it('one entry per resource even with several versions and several matching values', async () => {
    await putOk(t, P('s-multi', { name: [{ family: 'Multiple', given: ['Multiple'] }, { family: 'Multiplex' }] }));
    await putOk(t, P('s-multi', { name: [{ family: 'Multiple', given: ['Multiple'] }, { family: 'Multiplex' }], gender: 'other' }));
    const b = await page(t, 'Patient', 'name=multiple');
    assert.deepEqual(entriesOf(b, 'match').map((e) => e.resource.id), ['s-multi']);
    assert.equal(entriesOf(b, 'match')[0].resource.gender, 'other', 'the current version is returned');
  });
});
