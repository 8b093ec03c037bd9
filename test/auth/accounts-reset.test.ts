/**
 * Password reset: neutral 202, a single-use link by e-mail valid one hour (fake clock), the HTML
 * form, the new password taking effect and clearing the lock.
 */
import { describe, it, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import request from 'supertest';
import { useTestApp, TEST_ORIGIN } from '../helpers/app.js';
import { logIn } from '../../src/auth/accounts/index.js';
import { ACCOUNT_POLICY } from '../../src/auth/accounts/policy.js';
import { expectOutcome, fakeClock, newEmail, PASSWORD, signUp, signupBody } from './accounts-util.js';

const t = useTestApp();

let clockControl: ReturnType<typeof fakeClock> | undefined;
afterEach(() => {
  clockControl?.restore();
  clockControl = undefined;
});

async function patientEmail(): Promise<string> {
  const email = newEmail('reset');
  assert.equal((await signUp(t, signupBody({ email }))).status, 201);
  return email;
}

const sentTo = (email: string) => t.auth.deps.mail.sent.filter((m) => m.to === email);

/** The mail is sent after the answer: wait (briefly) for it. */
async function waitForMail(email: string, count = 1) {
  for (let i = 0; i < 200 && sentTo(email).length < count; i++) await new Promise((r) => setTimeout(r, 5));
  const mails = sentTo(email);
  assert.equal(mails.length, count, `mails to ${email}`);
  return mails[mails.length - 1];
}

async function askReset(email: string, asForm = false) {
  const r = request(t.rawApp).post('/auth/password-reset');
  return asForm ? r.type('form').send({ email }) : r.set('Content-Type', 'application/json').send(JSON.stringify({ email }));
}

async function resetLink(email: string, count = 1): Promise<{ link: string; token: string }> {
  const res = await askReset(email);
  assert.equal(res.status, 202);
  const mail = await waitForMail(email, count);
  const m = /(http\S+\/auth\/password-reset\?token=([\w%-]+))/.exec(mail.text);
  assert.ok(m, mail.text);
  return { link: m[1], token: decodeURIComponent(m[2]) };
}

const confirm = (body: Record<string, unknown>) =>
  request(t.rawApp).post('/auth/password-reset/confirm').set('Content-Type', 'application/json').send(JSON.stringify(body));

describe('password reset', () => {
  it('answers 202 with the same message whether or not the account exists; mails only existing ones', async () => {
    const email = await patientEmail();
    const ghost = newEmail('ghost');
    const known = await askReset(email);
    const unknown = await askReset(ghost);
    assert.equal(known.status, 202);
    assert.equal(unknown.status, 202);
    assert.deepEqual(known.body, unknown.body);
    await waitForMail(email);
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(sentTo(ghost).length, 0);
  });

  it('the pages send the shared security headers', async () => {
    const page = await request(t.rawApp).get('/auth/password-reset');
    assert.equal(page.status, 200);
    assert.equal(page.headers['content-type'], 'text/html; charset=utf-8');
    assert.equal(page.headers['cache-control'], 'no-store');
    assert.equal(page.headers['x-frame-options'], 'DENY');
    assert.equal(page.headers['x-content-type-options'], 'nosniff');
    assert.equal(page.headers['referrer-policy'], 'no-referrer');
    const csp = page.headers['content-security-policy'];
    for (const directive of ["default-src 'none'", "form-action 'self'", "base-uri 'none'", "frame-ancestors 'none'"]) assert.ok(csp.includes(directive), csp);
  });

  it('end to end: mailed link, HTML form, new password works, old does not, link single use', async () => {
    const email = await patientEmail();
    const { link, token } = await resetLink(email);
    assert.ok(link.startsWith(`${TEST_ORIGIN}/auth/password-reset?token=`));
    const stored = await t.db.collection('auth_password_resets').find({}).toArray();
    assert.ok(!JSON.stringify(stored).includes(token), 'only a hash of the token is stored');

    const page = await request(t.rawApp).get(new URL(link).pathname + new URL(link).search);
    assert.equal(page.status, 200);
    assert.match(page.headers['content-type'], /^text\/html/);
    assert.match(page.text, /<form method="post" action="\/auth\/password-reset\/confirm">/);
    assert.match(page.text, new RegExp(`<input type="hidden" name="token" value="${token}">`));
    assert.match(page.text, /<input[^>]*name="password"[^>]*type="password"/);
    assert.equal(page.headers['cache-control'], 'no-store');

    const done = await request(t.rawApp).post('/auth/password-reset/confirm').type('form').send({ token, password: 'brand new password' });
    assert.equal(done.status, 200, done.text);
    assert.match(done.headers['content-type'], /^text\/html/);
    assert.ok((await logIn(t.auth.deps, email, 'brand new password')).ok);
    assert.equal((await logIn(t.auth.deps, email, PASSWORD)).ok, false);

    expectOutcome(await confirm({ token, password: 'yet another password' }), 400, 'token');
    assert.equal((await request(t.rawApp).get(`/auth/password-reset?token=${encodeURIComponent(token)}`)).status, 400);
    assert.ok((await logIn(t.auth.deps, email, 'brand new password')).ok, 'the second use changed nothing');
  });

  it('the link expires after an hour', async () => {
    clockControl = fakeClock();
    const email = await patientEmail();
    const { token } = await resetLink(email);
    clockControl.advance(ACCOUNT_POLICY.resetTokenMs + 1);
    expectOutcome(await confirm({ token, password: 'too late password' }), 400, 'token');
    assert.equal((await logIn(t.auth.deps, email, 'too late password')).ok, false);
    assert.ok((await logIn(t.auth.deps, email, PASSWORD)).ok);
  });

  it('a link is still good just before the hour ends', async () => {
    clockControl = fakeClock();
    const email = await patientEmail();
    const { token } = await resetLink(email);
    clockControl.advance(ACCOUNT_POLICY.resetTokenMs - 1000);
    assert.equal((await confirm({ token, password: 'just in time pw' })).status, 200);
  });

  it('a new request replaces the earlier link', async () => {
    const email = await patientEmail();
    const first = await resetLink(email, 1);
    const second = await resetLink(email, 2);
    expectOutcome(await confirm({ token: first.token, password: 'first link password' }), 400, 'token');
    assert.equal((await confirm({ token: second.token, password: 'second link password' })).status, 200);
  });

  it('a short new password is 400 naming password and leaves the link usable', async () => {
    const email = await patientEmail();
    const { token } = await resetLink(email);
    expectOutcome(await confirm({ token, password: 'short' }), 400, 'password');
    assert.equal((await confirm({ token, password: 'long enough now' })).status, 200);
  });

  it('clears the failure count and the lock', async () => {
    clockControl = fakeClock();
    const email = await patientEmail();
    for (let i = 0; i < ACCOUNT_POLICY.lockAfter; i++) await logIn(t.auth.deps, email, 'wrong');
    const locked = await logIn(t.auth.deps, email, PASSWORD);
    assert.ok(!locked.ok && locked.reason === 'locked');
    const { token } = await resetLink(email);
    assert.equal((await confirm({ token, password: 'unlocked password' })).status, 200);
    assert.ok((await logIn(t.auth.deps, email, 'unlocked password')).ok);
  });

  it('unknown or missing tokens, bad bodies: 400, never 5xx', async () => {
    expectOutcome(await confirm({ token: 'made-up', password: 'whatever password' }), 400, 'token');
    expectOutcome(await confirm({ password: 'whatever password' }), 400, 'token');
    expectOutcome(await confirm({ token: 42, password: 'whatever password' }), 400, 'token');
    expectOutcome(await request(t.rawApp).post('/auth/password-reset/confirm').set('Content-Type', 'application/json').send('{bad'), 400);
    expectOutcome(await request(t.rawApp).post('/auth/password-reset').set('Content-Type', 'application/json').send('{}'), 400, 'email');
    expectOutcome(await request(t.rawApp).post('/auth/password-reset').set('Content-Type', 'text/plain').send('x'), 415);
    const page = await request(t.rawApp).get('/auth/password-reset?token=made-up');
    assert.equal(page.status, 400);
    assert.match(page.headers['content-type'], /^text\/html/);
  });

  it('HTML forms: the e-mail form, a 202 page, escaped values', async () => {
    const form = await request(t.rawApp).get('/auth/password-reset');
    assert.equal(form.status, 200);
    assert.match(form.text, /<form method="post" action="\/auth\/password-reset"><label for="email">/);
    const email = await patientEmail();
    const res = await askReset(email, true);
    assert.equal(res.status, 202);
    assert.match(res.headers['content-type'], /^text\/html/);
    await waitForMail(email);
    const xss = await request(t.rawApp).post('/auth/password-reset/confirm').type('form').send({ token: '"><script>x</script>', password: 'short' });
    assert.equal(xss.status, 400);
    assert.ok(!xss.text.includes('<script>x'));
  });
});
