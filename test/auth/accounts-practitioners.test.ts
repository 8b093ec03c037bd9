/** POST /admin/practitioners: administrators create Practitioner + PractitionerRole + account; 401/403 for others. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import request from 'supertest';
import { useTestApp, TEST_ORIGIN } from '../helpers/app.js';
import { CRM_SYSTEM } from '../../src/auth/accounts/practitioners.js';
import { accountOf, logIn } from '../../src/auth/accounts/index.js';
import { createPractitioner, expectOutcome, newCrm, newEmail, PASSWORD, practitionerBody } from './accounts-util.js';

const t = useTestApp();

async function rolesOf(practitionerId: string): Promise<fhir4.PractitionerRole[]> {
  const res = await request(t.app).get(`/fhir/PractitionerRole?practitioner=Practitioner/${practitionerId}`);
  assert.equal(res.status, 200, res.text);
  return ((JSON.parse(res.text) as fhir4.Bundle).entry ?? []).map((e) => e.resource as fhir4.PractitionerRole);
}

describe('POST /admin/practitioners', () => {
  it('creates the Practitioner (CRM NUMBER/UF), its PractitionerRole and a practitioner account', async () => {
    const crm = newCrm();
    const email = newEmail('carla');
    const res = await createPractitioner(t, practitionerBody({ crm, uf: 'sp', email, unknown: 1 }));
    assert.equal(res.status, 201, res.text);
    assert.match(res.headers['content-type'], /^application\/fhir\+json/);
    const p = JSON.parse(res.text) as fhir4.Practitioner;
    assert.equal(p.resourceType, 'Practitioner');
    assert.equal(res.headers.location, `${TEST_ORIGIN}/fhir/Practitioner/${p.id}/_history/1`);
    assert.deepEqual(p.identifier?.map((i) => [i.system, i.value]), [[CRM_SYSTEM, `${crm}/SP`]]);
    assert.deepEqual([p.name?.[0].given, p.name?.[0].family], [['Carla'], 'Mendes']);
    assert.ok(!res.text.includes(PASSWORD));

    const roles = await rolesOf(p.id as string);
    assert.equal(roles.length, 1);
    assert.equal(roles[0].active, true);
    assert.equal(roles[0].practitioner?.reference, `Practitioner/${p.id}`);
    assert.deepEqual(roles[0].specialty, [{ text: 'Cardiologia' }]);

    const account = await accountOf(t.auth.deps, `Practitioner/${p.id}`);
    assert.equal(account?.role, 'practitioner');
    assert.equal(account?.crm, `${crm}/SP`);
    assert.equal(account?.email, email);
    assert.equal((await request(t.app).get(`/fhir/Practitioner/${p.id}`)).status, 200);
  });

  it('takes a structured name and a coded specialty', async () => {
    const specialty = { system: 'http://snomed.info/sct', code: '394579002', display: 'Cardiology' };
    const res = await createPractitioner(t, practitionerBody({ name: { given: ['Carla'], family: 'Mendes' }, specialty }));
    assert.equal(res.status, 201, res.text);
    const p = JSON.parse(res.text) as fhir4.Practitioner;
    const [role] = await rolesOf(p.id as string);
    assert.deepEqual(role.specialty, [{ coding: [specialty], text: 'Cardiology' }]);
  });

  it('the practitioner logs in with NUMBER/UF (any UF case) and with the e-mail', async () => {
    const crm = newCrm();
    const email = newEmail('dr');
    const res = await createPractitioner(t, practitionerBody({ crm, uf: 'RJ', email }));
    assert.equal(res.status, 201);
    const id = JSON.parse(res.text).id as string;
    for (const username of [`${crm}/RJ`, `${crm}/rj`, email.toUpperCase()]) {
      const r = await logIn(t.auth.deps, username, PASSWORD);
      assert.ok(r.ok, username);
      assert.equal(r.account.fhirUser, `Practitioner/${id}`);
    }
    assert.equal((await logIn(t.auth.deps, `${crm}/SP`, PASSWORD)).ok, false, 'another UF is another registration');
  });

  it('401 without a token, 403 with a token that is not an administrator\'s (before reading the body)', async () => {
    const none = await request(t.rawApp).post('/admin/practitioners').set('Content-Type', 'application/json').send(JSON.stringify(practitionerBody()));
    expectOutcome(none, 401);
    assert.match(none.headers['www-authenticate'] ?? '', /^Bearer/);
    const malformed = await request(t.rawApp).post('/admin/practitioners').set('Content-Type', 'application/json').send('{oops');
    expectOutcome(malformed, 401);
    const patient = await t.token({ sub: 'p1', client_id: 'x', scope: 'patient/*.rs', role: 'patient', fhirUser: 'Patient/1', patient: '1' });
    expectOutcome(await createPractitioner(t, practitionerBody(), patient), 403);
    const practitioner = await t.token({ sub: 'd1', client_id: 'x', scope: 'user/*.cruds', role: 'practitioner', fhirUser: 'Practitioner/1' });
    expectOutcome(await createPractitioner(t, practitionerBody(), practitioner), 403);
    expectOutcome(await createPractitioner(t, practitionerBody(), 'not-a-token'), 401);
  });

  it('409 naming crm for a CRM/UF in use, 409 naming email for an e-mail in use', async () => {
    const first = practitionerBody();
    assert.equal((await createPractitioner(t, first)).status, 201);
    expectOutcome(await createPractitioner(t, practitionerBody({ crm: first.crm, uf: 'sp' })), 409, 'crm');
    expectOutcome(await createPractitioner(t, practitionerBody({ email: String(first.email).toUpperCase() })), 409, 'email');
    assert.equal((await createPractitioner(t, practitionerBody({ crm: first.crm, uf: 'MG' }))).status, 201, 'same number in another UF');
  });

  const refused: Array<[string, Record<string, unknown>, string]> = [
    ['unknown UF', { uf: 'XX' }, 'uf'],
    ['missing UF', { uf: undefined }, 'uf'],
    ['crm with letters', { crm: '12a456' }, 'crm'],
    ['crm too long', { crm: '123456789' }, 'crm'],
    ['missing crm', { crm: undefined }, 'crm'],
    ['missing name', { name: undefined }, 'name'],
    ['one-word name', { name: 'Carla' }, 'name'],
    ['bad email', { email: 'carla' }, 'email'],
    ['short password', { password: 'short' }, 'password'],
    ['specialty of the wrong type', { specialty: 42 }, 'specialty'],
    ['specialty code without system', { specialty: { code: '394579002' } }, 'specialty'],
  ];
  for (const [what, overrides, field] of refused) {
    it(`400 naming ${field}: ${what}`, async () => {
      expectOutcome(await createPractitioner(t, practitionerBody(overrides)), 400, field);
    });
  }

  it('a bootstrap-style token (system role with adm) may create practitioners too', async () => {
    const token = await t.token({ sub: 'boot', client_id: 'boot', scope: 'system/*.cruds', role: 'system', adm: true });
    assert.equal((await createPractitioner(t, practitionerBody(), token)).status, 201);
  });
});
