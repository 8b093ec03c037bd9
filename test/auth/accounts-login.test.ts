/**
 * logIn: every username form, neutral failures, slow-down and lock-out (fake clock: no real waits),
 * the same work for unknown usernames, and a login AuditEvent for every attempt.
 */
import { describe, it, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import request from 'supertest';
import { useTestApp } from '../helpers/app.js';
import { accountOf, getAccount, logIn } from '../../src/auth/accounts/index.js';
import { ACCOUNT_POLICY, failureDelayMs } from '../../src/auth/accounts/policy.js';
import { fakeClock, formatCpf, newCpf, newEmail, PASSWORD, signUp, signupBody } from './accounts-util.js';

const t = useTestApp();

let clockControl: ReturnType<typeof fakeClock> | undefined;
afterEach(() => {
  clockControl?.restore();
  clockControl = undefined;
});

async function patient(): Promise<{ email: string; cpf: string; id: string }> {
  const email = newEmail('pat');
  const cpf = newCpf();
  const res = await signUp(t, signupBody({ email, cpf }));
  assert.equal(res.status, 201, res.text);
  return { email, cpf, id: JSON.parse(res.text).id as string };
}

async function loginEvents(): Promise<fhir4.AuditEvent[]> {
  const res = await request(t.app).get('/fhir/AuditEvent?subtype=110122&_count=1000');
  assert.equal(res.status, 200, res.text);
  return ((JSON.parse(res.text) as fhir4.Bundle).entry ?? []).map((e) => e.resource as fhir4.AuditEvent);
}

describe('logIn', () => {
  it('accepts the e-mail (any case), the CPF in digits and formatted', async () => {
    const p = await patient();
    for (const username of [p.email, p.email.toUpperCase(), ` ${p.email} `, p.cpf, formatCpf(p.cpf)]) {
      const r = await logIn(t.auth.deps, username, PASSWORD);
      assert.ok(r.ok, username);
      assert.equal(r.account.fhirUser, `Patient/${p.id}`);
      assert.equal(r.account.role, 'patient');
      assert.equal(r.account.passwordHash, '', 'the hash does not leave the accounts module');
    }
  });

  it('refuses a wrong password and an unknown username with the same message', async () => {
    const p = await patient();
    const wrong = await logIn(t.auth.deps, p.email, 'not the password');
    const unknown = await logIn(t.auth.deps, newEmail('nobody'), PASSWORD);
    const unknownCpf = await logIn(t.auth.deps, newCpf(), PASSWORD);
    const garbage = await logIn(t.auth.deps, 'not a username', PASSWORD);
    assert.ok(!wrong.ok && !unknown.ok && !unknownCpf.ok && !garbage.ok);
    assert.equal(wrong.reason, 'password');
    assert.equal(unknown.reason, 'unknown');
    assert.equal(garbage.reason, 'unknown');
    assert.equal(wrong.message, unknown.message);
    assert.equal(wrong.message, unknownCpf.message);
  });

  it('survives values that are not strings', async () => {
    const r = await logIn(t.auth.deps, undefined as unknown as string, null as unknown as string);
    assert.equal(r.ok, false);
  });

  it('slows down from the 3rd failure in a row, locks at the 5th, refuses the right password while locked, opens after the lock', async () => {
    const p = await patient();
    clockControl = fakeClock();
    const reasons: string[] = [];
    for (let i = 1; i <= ACCOUNT_POLICY.lockAfter; i++) {
      const r = await logIn(t.auth.deps, p.email, `wrong password ${i}`);
      assert.equal(r.ok, false);
      if (!r.ok) reasons.push(r.reason);
    }
    assert.deepEqual(reasons, ['password', 'password', 'password', 'password', 'locked']);
    assert.deepEqual(clockControl.sleeps, [100, 200, 400]);

    const locked = await logIn(t.auth.deps, p.cpf, PASSWORD);
    assert.ok(!locked.ok && locked.reason === 'locked', 'right password while locked');
    clockControl.advance(ACCOUNT_POLICY.lockMs - 1000);
    const still = await logIn(t.auth.deps, p.email, PASSWORD);
    assert.ok(!still.ok && still.reason === 'locked');

    clockControl.advance(2000);
    const open = await logIn(t.auth.deps, p.email, PASSWORD);
    assert.ok(open.ok, 'the lock is over');
    const account = await getAccount(t.auth.deps, open.account._id);
    assert.equal(account?.failedLogins, 0);
    assert.equal(account?.lockedUntil, undefined);
  });

  it('after a lock ends, one more failure locks again (the count goes on until a success)', async () => {
    const p = await patient();
    clockControl = fakeClock();
    for (let i = 0; i < ACCOUNT_POLICY.lockAfter; i++) await logIn(t.auth.deps, p.email, 'wrong');
    clockControl.advance(ACCOUNT_POLICY.lockMs + 1);
    const again = await logIn(t.auth.deps, p.email, 'wrong');
    assert.ok(!again.ok && again.reason === 'locked');
    const right = await logIn(t.auth.deps, p.email, PASSWORD);
    assert.ok(!right.ok && right.reason === 'locked');
  });

  it('a success resets the count: failures before it do not add up with those after', async () => {
    const p = await patient();
    clockControl = fakeClock();
    for (let round = 0; round < 3; round++) {
      await logIn(t.auth.deps, p.email, 'wrong');
      await logIn(t.auth.deps, p.email, 'wrong');
      assert.ok((await logIn(t.auth.deps, p.email, PASSWORD)).ok);
    }
    assert.deepEqual(clockControl.sleeps, [], 'never 3 failures in a row');
  });

  it('attempts while locked do not extend the lock', async () => {
    const p = await patient();
    clockControl = fakeClock();
    for (let i = 0; i < ACCOUNT_POLICY.lockAfter; i++) await logIn(t.auth.deps, p.email, 'wrong');
    for (let i = 0; i < 5; i++) {
      clockControl.advance(60_000);
      await logIn(t.auth.deps, p.email, 'wrong');
    }
    clockControl.advance(ACCOUNT_POLICY.lockMs - 5 * 60_000 + 1);
    assert.ok((await logIn(t.auth.deps, p.email, PASSWORD)).ok);
  });

  it('unknown usernames slow down and lock like real accounts', async () => {
    clockControl = fakeClock();
    const ghost = newEmail('ghost');
    const reasons: string[] = [];
    for (let i = 0; i < ACCOUNT_POLICY.lockAfter + 1; i++) {
      const r = await logIn(t.auth.deps, ghost, 'whatever');
      if (!r.ok) reasons.push(r.reason);
    }
    assert.deepEqual(reasons, ['unknown', 'unknown', 'unknown', 'unknown', 'locked', 'locked']);
    assert.deepEqual(clockControl.sleeps, [100, 200, 400]);
  });

  it('an unknown username costs a password hash too (timing does not tell who exists)', async () => {
    const p = await patient();
    const time = async (username: string) => {
      const start = process.hrtime.bigint();
      await logIn(t.auth.deps, username, 'wrong password');
      return Number(process.hrtime.bigint() - start) / 1e6;
    };
    clockControl = fakeClock();
    const known: number[] = [];
    const unknown: number[] = [];
    for (let i = 0; i < 4; i++) {
      known.push(await time(p.email));
      unknown.push(await time(newEmail('nobody')));
      assert.ok((await logIn(t.auth.deps, p.email, PASSWORD)).ok);
    }
    const median = (xs: number[]) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)];
    assert.ok(median(unknown) > median(known) * 0.3, `unknown ${median(unknown)} ms vs known ${median(known)} ms`);
  });

  it('the delay doubles from the slow-down threshold and is capped', () => {
    assert.deepEqual([1, 2, 3, 4, 5, 6, 7, 8, 50].map(failureDelayMs), [0, 0, 100, 200, 400, 800, 1600, 1600, 1600]);
  });

  it('writes a login AuditEvent for each success and failure, with client and address, never the password', async () => {
    const p = await patient();
    const ghost = newEmail('ghost');
    await logIn(t.auth.deps, p.cpf, PASSWORD, { clientId: 'app-1', address: '203.0.113.7' });
    await logIn(t.auth.deps, p.email, 'Secret-Wrong-Guess', { clientId: 'app-1', address: '203.0.113.7' });
    await logIn(t.auth.deps, ghost, 'Secret-Wrong-Guess', { clientId: 'app-2' });
    const events = await loginEvents();
    const mine = events.filter((e) => e.agent[0].who?.reference === `Patient/${p.id}`);
    assert.deepEqual(mine.map((e) => e.outcome).sort(), ['0', '4']);
    for (const e of mine) {
      assert.equal(e.agent[0].network?.address, '203.0.113.7');
      assert.equal(e.agent[1]?.who?.identifier?.value, 'app-1');
    }
    const failed = events.find((e) => e.agent[0].who?.display === ghost);
    assert.ok(failed, 'the username tried is recorded for an unknown user');
    assert.equal(failed.outcome, '4');
    assert.equal(failed.agent[1]?.who?.identifier?.value, 'app-2');
    assert.ok(!JSON.stringify(events).includes('Secret-Wrong-Guess'));
    assert.ok(!JSON.stringify(events).includes(PASSWORD));
  });

  it('getAccount and accountOf find nothing for unknown ids and references', async () => {
    assert.equal(await getAccount(t.auth.deps, 'nope'), null);
    assert.equal(await accountOf(t.auth.deps, 'Patient/nope'), null);
  });

  it('GET /auth/me tells the token\'s account; 401 without a token, 404 for a token of no account', async () => {
    const p = await patient();
    const account = await accountOf(t.auth.deps, `Patient/${p.id}`);
    assert.ok(account);
    const token = await t.token({ sub: account._id, client_id: 'x', scope: 'openid', role: 'patient', fhirUser: `Patient/${p.id}` });
    const res = await request(t.rawApp).get('/auth/me').set('Authorization', `Bearer ${token}`);
    assert.equal(res.status, 200, res.text);
    assert.deepEqual(res.body, { id: account._id, role: 'patient', email: p.email, name: 'Ana Maria Souza', fhirUser: `Patient/${p.id}` });
    assert.equal((await request(t.rawApp).get('/auth/me')).status, 401);
    const other = await t.token({ sub: 'client-only', client_id: 'x', scope: 'system/*.rs', role: 'system' });
    assert.equal((await request(t.rawApp).get('/auth/me').set('Authorization', `Bearer ${other}`)).status, 404);
  });
});
