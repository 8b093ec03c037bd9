/** POST /auth/signup: a Patient and its account in one go; every refused field named; the password never echoed. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import request from 'supertest';
import { useTestApp, TEST_ORIGIN } from '../helpers/app.js';
import { CPF_SYSTEM } from '../../src/auth/accounts/cpf.js';
import { accountOf, getAccount } from '../../src/auth/accounts/index.js';
import { expectOutcome, formatCpf, newCpf, newEmail, PASSWORD, signUp, signupBody } from './accounts-util.js';

const t = useTestApp();

describe('POST /auth/signup', () => {
  it('creates the Patient (201, Location, fhir+json) and a patient account pointing to it', async () => {
    const cpf = newCpf();
    const email = newEmail('Ana').replace('ana', 'ANA');
    const res = await signUp(t, signupBody({ cpf: formatCpf(cpf), email, extra: 'ignored' }));
    assert.equal(res.status, 201, res.text);
    assert.match(res.headers['content-type'], /^application\/fhir\+json/);
    const patient = JSON.parse(res.text) as fhir4.Patient;
    assert.equal(patient.resourceType, 'Patient');
    assert.ok(patient.id);
    assert.equal(res.headers.location, `${TEST_ORIGIN}/fhir/Patient/${patient.id}/_history/1`);
    assert.deepEqual(patient.identifier?.map((i) => [i.system, i.value]), [[CPF_SYSTEM, cpf]]);
    assert.deepEqual(patient.name?.[0].given, ['Ana', 'Maria']);
    assert.equal(patient.name?.[0].family, 'Souza');
    assert.equal(patient.birthDate, '1988-03-14');
    assert.deepEqual(patient.telecom?.map((c) => [c.system, c.value]), [['email', email.toLowerCase()]]);
    assert.equal((patient as unknown as Record<string, unknown>).extra, undefined);

    const read = await request(t.app).get(`/fhir/Patient/${patient.id}`);
    assert.equal(read.status, 200);
    assert.equal(JSON.parse(read.text).identifier[0].value, cpf);

    const account = await accountOf(t.auth.deps, `Patient/${patient.id}`);
    assert.ok(account);
    assert.equal(account.role, 'patient');
    assert.equal(account.email, email.toLowerCase());
    assert.equal(account.cpf, cpf);
    assert.equal(account.name, 'Ana Maria Souza');
    assert.equal(account.passwordHash, '', 'lookups never hand out the hash');
    assert.equal((await getAccount(t.auth.deps, account._id))?.fhirUser, `Patient/${patient.id}`);
    const stored = await t.db.collection('auth_users').findOne({ _id: account._id });
    assert.match(String(stored?.passwordHash), /^scrypt\$\d+\$\d+\$\d+\$[\w-]+\$[\w-]+$/);
    assert.ok(!JSON.stringify(stored).includes(PASSWORD));
  });

  it('never returns the password, on success or failure', async () => {
    const password = 'Unique-Secret-7f3a9';
    const ok = await signUp(t, signupBody({ password }));
    assert.equal(ok.status, 201);
    const bad = await signUp(t, signupBody({ password, cpf: '123' }));
    assert.equal(bad.status, 400);
    const dup = await signUp(t, signupBody({ password, email: JSON.parse(ok.text).telecom[0].value }));
    assert.equal(dup.status, 409);
    for (const r of [ok, bad, dup]) assert.ok(!r.text.includes(password) && !JSON.stringify(r.headers).includes(password));
  });

  const refused: Array<[string, Record<string, unknown>, string]> = [
    ['missing cpf', { cpf: undefined }, 'cpf'],
    ['malformed cpf', { cpf: '5299822472' }, 'cpf'],
    ['cpf check digits', { cpf: '52998224724' }, 'cpf'],
    ['cpf all one digit', { cpf: '111.111.111-11' }, 'cpf'],
    ['short password', { password: 'ninechars' }, 'password'],
    ['missing password', { password: undefined }, 'password'],
    ['password not a string', { password: 1234567890123 }, 'password'],
    ['missing email', { email: undefined }, 'email'],
    ['bad email', { email: 'ana@' }, 'email'],
    ['email without domain dot', { email: 'ana@example' }, 'email'],
    ['email with spaces', { email: 'ana souza@example.org' }, 'email'],
    ['missing birthDate', { birthDate: undefined }, 'birthDate'],
    ['birthDate not a date', { birthDate: '14/03/1988' }, 'birthDate'],
    ['birthDate not in the calendar', { birthDate: '2001-02-29' }, 'birthDate'],
    ['birthDate in the future', { birthDate: `${new Date().getUTCFullYear() + 1}-01-01` }, 'birthDate'],
    ['missing name', { name: undefined }, 'name'],
    ['name without family', { name: { given: ['Ana'] } }, 'name'],
    ['name without given', { name: { family: 'Souza' } }, 'name'],
    ['name with an empty given', { name: { given: [''], family: 'Souza' } }, 'name'],
    ['name as one word', { name: 'Ana' }, 'name'],
  ];
  for (const [what, overrides, field] of refused) {
    it(`400 naming ${field}: ${what}`, async () => {
      const body = signupBody(overrides);
      const res = await signUp(t, body);
      expectOutcome(res, 400, field);
      assert.ok(!res.text.includes(String(body.password)));
    });
  }

  it('reports every bad field at once', async () => {
    const res = await signUp(t, { name: {}, birthDate: 'x', email: 'x', cpf: 'x', password: 'x' });
    for (const field of ['name', 'birthDate', 'email', 'cpf', 'password']) expectOutcome(res, 400, field);
  });

  it('accepts a partial birth date and a name given as text', async () => {
    const res = await signUp(t, signupBody({ birthDate: '1988-03', name: 'Ana Maria Souza' }));
    assert.equal(res.status, 201, res.text);
    const p = JSON.parse(res.text) as fhir4.Patient;
    assert.equal(p.birthDate, '1988-03');
    assert.deepEqual([p.name?.[0].given, p.name?.[0].family], [['Ana', 'Maria'], 'Souza']);
  });

  it('409 naming email for an e-mail in use (any case), 409 naming cpf for a CPF in use (any format)', async () => {
    const first = signupBody();
    assert.equal((await signUp(t, first)).status, 201);
    expectOutcome(await signUp(t, signupBody({ email: String(first.email).toUpperCase() })), 409, 'email');
    expectOutcome(await signUp(t, signupBody({ cpf: formatCpf(String(first.cpf)) })), 409, 'cpf');
  });

  it('a refused sign-up leaves nothing behind (no Patient, no account)', async () => {
    const first = signupBody();
    assert.equal((await signUp(t, first)).status, 201);
    const count = async () => Number(JSON.parse((await request(t.app).get('/fhir/Patient?_summary=count')).text).total);
    const users = () => t.db.collection('auth_users').countDocuments({});
    const before = [await count(), await users()];
    expectOutcome(await signUp(t, signupBody({ cpf: first.cpf })), 409, 'cpf');
    assert.deepEqual([await count(), await users()], before);
  });

  it('simultaneous sign-ups with one CPF: exactly one wins, the other is 409', async () => {
    const cpf = newCpf();
    const results = await Promise.all([signUp(t, signupBody({ cpf })), signUp(t, signupBody({ cpf })), signUp(t, signupBody({ cpf }))]);
    assert.deepEqual(results.map((r) => r.status).sort(), [201, 409, 409]);
    assert.equal(await t.db.collection('auth_users').countDocuments({ cpf }), 1);
  });

  it('malformed JSON and non-object bodies are 400 OperationOutcomes; other media types 415', async () => {
    expectOutcome(await request(t.rawApp).post('/auth/signup').set('Content-Type', 'application/json').send('{"name": '), 400);
    expectOutcome(await request(t.rawApp).post('/auth/signup').set('Content-Type', 'application/json').send('[1,2]'), 400);
    expectOutcome(await request(t.rawApp).post('/auth/signup').set('Content-Type', 'application/json').send('"text"'), 400);
    expectOutcome(await request(t.rawApp).post('/auth/signup').set('Content-Type', 'text/plain').send('hello'), 415);
    expectOutcome(await request(t.rawApp).post('/auth/signup').set('Content-Type', 'application/json').send(JSON.stringify({ pad: 'x'.repeat(70_000) })), 413);
  });

  it('accepts application/fhir+json too', async () => {
    const res = await request(t.rawApp).post('/auth/signup').set('Content-Type', 'application/fhir+json').send(JSON.stringify(signupBody()));
    assert.equal(res.status, 201, res.text);
  });
});
