/** ensureAdministrator: from FHIR_ADMIN_EMAIL / _PASSWORD, or generated once when no administrator exists. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { useTestApp } from '../helpers/app.js';
import { ensureAdministrator, logIn } from '../../src/auth/accounts/index.js';
import type { AuthDeps } from '../../src/auth/types.js';
import { newEmail, PASSWORD, signUp, signupBody } from './accounts-util.js';

/** The same deps with other admin settings and a logger whose lines are kept. */
function withAdminEnv(deps: AuthDeps, adminEmail: string | undefined, adminPassword: string | undefined) {
  const lines: string[] = [];
  const logger = pino({ level: 'info' }, new Writable({ write(chunk, _enc, done) { lines.push(String(chunk)); done(); } }));
  const copy: AuthDeps = { ...deps, logger, config: { ...deps.config, auth: { ...deps.config.auth, adminEmail, adminPassword } } };
  return { deps: copy, lines };
}

describe('ensureAdministrator with FHIR_ADMIN_EMAIL and FHIR_ADMIN_PASSWORD', () => {
  const t = useTestApp({ FHIR_ADMIN_EMAIL: 'Root@Example.org', FHIR_ADMIN_PASSWORD: 'admin password 1' });

  it('creates that administrator at start-up and generates nothing', async () => {
    assert.equal(t.auth.generated.administrator, undefined);
    const r = await logIn(t.auth.deps, 'root@example.org', 'admin password 1');
    assert.ok(r.ok);
    assert.equal(r.account.role, 'admin');
    assert.equal(r.account.fhirUser, undefined);
    assert.equal(await t.db.collection('auth_users').countDocuments({ role: 'admin' }), 1);
  });

  it('on a later start it changes nothing', async () => {
    assert.equal(await ensureAdministrator(t.auth.deps), undefined);
    assert.equal(await t.db.collection('auth_users').countDocuments({ role: 'admin' }), 1);
  });

  it('a changed FHIR_ADMIN_PASSWORD does not overwrite the stored one: it is kept, and a warning says so', async () => {
    const { deps, lines } = withAdminEnv(t.auth.deps, 'root@example.org', 'another password 2');
    assert.equal(await ensureAdministrator(deps), undefined);
    assert.ok((await logIn(t.auth.deps, 'root@example.org', 'admin password 1')).ok);
    assert.equal((await logIn(t.auth.deps, 'root@example.org', 'another password 2')).ok, false);
    assert.ok(lines.some((l) => l.includes('FHIR_ADMIN_PASSWORD differs')), lines.join(''));
    assert.ok(!lines.join('').includes('another password 2'));
  });

  it('another FHIR_ADMIN_EMAIL adds that administrator', async () => {
    const email = newEmail('second-admin');
    const { deps } = withAdminEnv(t.auth.deps, email, 'second admin pw');
    assert.equal(await ensureAdministrator(deps), undefined);
    const r = await logIn(t.auth.deps, email, 'second admin pw');
    assert.ok(r.ok && r.account.role === 'admin');
  });

  it('an e-mail that belongs to a patient is not turned into an administrator', async () => {
    const email = newEmail('patient');
    assert.equal((await signUp(t, signupBody({ email }))).status, 201);
    const { deps, lines } = withAdminEnv(t.auth.deps, email, 'some admin password');
    assert.equal(await ensureAdministrator(deps), undefined);
    const r = await logIn(t.auth.deps, email, PASSWORD);
    assert.ok(r.ok && r.account.role === 'patient');
    assert.ok(lines.some((l) => l.includes('not an administrator')));
  });
});

describe('ensureAdministrator without FHIR_ADMIN_EMAIL', () => {
  const t = useTestApp();

  it('generates admin@localhost with a random password, returned once to be printed', async () => {
    const generated = t.auth.generated.administrator;
    assert.ok(generated);
    assert.equal(generated.email, 'admin@localhost');
    assert.ok(generated.password.length >= 20);
    const r = await logIn(t.auth.deps, generated.email, generated.password);
    assert.ok(r.ok && r.account.role === 'admin' && r.account.fhirUser === undefined);
  });

  it('later starts (an administrator exists) generate nothing', async () => {
    assert.equal(await ensureAdministrator(t.auth.deps), undefined);
    assert.equal(await t.db.collection('auth_users').countDocuments({ role: 'admin' }), 1);
  });
});
