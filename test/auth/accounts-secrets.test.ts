/** No password (nor reset token) ever reaches the log, at the most verbose level, whatever the outcome. */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import request from 'supertest';
import type { Express } from 'express';
import { loadConfig } from '../../src/config.js';
import { openDatabase } from '../../src/store/open.js';
import { createApp } from '../../src/app.js';
import type { Database } from '../../src/store/database.js';
import type { AuthServer } from '../../src/auth/index.js';
import { logIn } from '../../src/auth/accounts/index.js';
import { newEmail, practitionerBody, signupBody } from './accounts-util.js';

const SECRET = 'Very-Secret-Pass-8d2c';
const ADMIN_SECRET = 'Admin-Secret-Pass-41e7';

describe('secrets stay out of the log', () => {
  const lines: string[] = [];
  let dir = '';
  let db: Database;
  let app: Express;
  let auth: AuthServer;

  before(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'fhir-test-'));
    const config = loadConfig({ PORT: '8080', FHIR_BASE_URL: 'http://localhost:8080/fhir', FHIR_DATA_DIR: dir, LOG_LEVEL: 'trace', FHIR_ADMIN_EMAIL: 'root@example.org', FHIR_ADMIN_PASSWORD: ADMIN_SECRET });
    const logger = pino({ level: 'trace' }, new Writable({ write(chunk, _enc, done) { lines.push(String(chunk)); done(); } }));
    db = await openDatabase(config, logger);
    ({ app, auth } = await createApp({ config, db, logger }));
  });
  after(async () => {
    await db?.close();
    await fs.rm(dir, { recursive: true, force: true });
  });

  it('sign-up, refused sign-ups, practitioners, log-ins and the reset log no password or token', async () => {
    const email = newEmail('log');
    const post = (url: string, body: unknown, token?: string) => {
      const r = request(app).post(url).set('Content-Type', 'application/json');
      return (token ? r.set('Authorization', `Bearer ${token}`) : r).send(typeof body === 'string' ? body : JSON.stringify(body));
    };
    assert.equal((await post('/auth/signup', signupBody({ email, password: SECRET }))).status, 201);
    assert.equal((await post('/auth/signup', signupBody({ email, password: SECRET }))).status, 409);
    assert.equal((await post('/auth/signup', signupBody({ cpf: 'bad', password: SECRET }))).status, 400);
    assert.equal((await post('/auth/signup', `{"password": "${SECRET}", `)).status, 400);
    const admin = await auth.deps.tokens.issue({ sub: 'a', client_id: 'x', scope: '', role: 'admin', adm: true }, 600);
    assert.equal((await post('/admin/practitioners', practitionerBody({ password: SECRET }), admin.token)).status, 201);
    assert.equal((await post('/admin/practitioners', practitionerBody({ uf: 'ZZ', password: SECRET }), admin.token)).status, 400);
    await logIn(auth.deps, email, SECRET);
    await logIn(auth.deps, email, `${SECRET}x`);
    await logIn(auth.deps, 'root@example.org', ADMIN_SECRET);
    assert.equal((await post('/auth/password-reset', { email })).status, 202);
    for (let i = 0; i < 200 && !auth.deps.mail.sent.length; i++) await new Promise((r) => setTimeout(r, 5));
    const token = /token=([\w-]+)/.exec(auth.deps.mail.sent[0]?.text ?? '')?.[1];
    assert.ok(token);
    assert.equal((await post('/auth/password-reset/confirm', { token, password: `${SECRET}2` })).status, 200);

    const log = lines.join('');
    assert.ok(lines.length > 10, 'the log was written');
    for (const secret of [SECRET, ADMIN_SECRET, token]) assert.ok(!log.includes(secret), `the log must not contain ${secret}`);
  });
});
