/** Shared helpers of the accounts tests: valid CPFs, sign-up and practitioner bodies, a fake clock. */
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import request from 'supertest';
import type { TestApp } from '../helpers/app.js';
import { clock } from '../../src/auth/clock.js';

/** A random CPF with correct check digits. */
export function newCpf(): string {
  for (;;) {
    const d = Array.from({ length: 9 }, () => crypto.randomInt(0, 10));
    if (new Set(d).size === 1) continue;
    for (const len of [9, 10]) {
      let sum = 0;
      for (let i = 0; i < len; i++) sum += d[i] * (len + 1 - i);
      const r = (sum * 10) % 11;
      d.push(r === 10 ? 0 : r);
    }
    return d.join('');
  }
}

export const formatCpf = (c: string): string => `${c.slice(0, 3)}.${c.slice(3, 6)}.${c.slice(6, 9)}-${c.slice(9)}`;

export const newEmail = (prefix = 'user'): string => `${prefix}.${crypto.randomBytes(5).toString('hex')}@example.org`;

export const newCrm = (): string => String(crypto.randomInt(1, 99_999_999));

export const PASSWORD = 'correct horse battery';

export function signupBody(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return { name: { given: ['Ana', 'Maria'], family: 'Souza' }, birthDate: '1988-03-14', email: newEmail('ana'), cpf: newCpf(), password: PASSWORD, ...overrides };
}

export function signUp(t: TestApp, body: Record<string, unknown>) {
  return request(t.rawApp).post('/auth/signup').set('Content-Type', 'application/json').send(JSON.stringify(body));
}

export function practitionerBody(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return { name: 'Carla Mendes', crm: newCrm(), uf: 'SP', specialty: 'Cardiologia', email: newEmail('carla'), password: PASSWORD, ...overrides };
}

export const adminToken = (t: TestApp): Promise<string> => t.token({ sub: 'admin', client_id: 'x', scope: '', role: 'admin', adm: true });

export async function createPractitioner(t: TestApp, body: Record<string, unknown>, token?: string) {
  return request(t.rawApp)
    .post('/admin/practitioners')
    .set('Authorization', `Bearer ${token ?? (await adminToken(t))}`)
    .set('Content-Type', 'application/json')
    .send(JSON.stringify(body));
}

/** Asserts an OperationOutcome with this status and an issue whose expression names `field`. */
export function expectOutcome(res: request.Response, status: number, field?: string): void {
  assert.equal(res.status, status, res.text);
  assert.match(res.headers['content-type'] ?? '', /^application\/fhir\+json/);
  const outcome = JSON.parse(res.text) as fhir4.OperationOutcome;
  assert.equal(outcome.resourceType, 'OperationOutcome');
  if (field !== undefined) {
    const named = outcome.issue.some((i) => i.expression?.some((e) => e === field || e.startsWith(`${field}.`)));
    assert.ok(named, `expected an issue naming ${field}: ${res.text}`);
  }
}

/** Replaces the accounts' clock: time moves only by `advance`, sleeps are recorded, not waited. */
export function fakeClock(start = Date.now()) {
  const original = { ...clock };
  let now = start;
  const sleeps: number[] = [];
  clock.now = () => now;
  clock.sleep = async (ms: number) => {
    if (ms > 0) sleeps.push(ms);
  };
  return {
    sleeps,
    advance(ms: number) {
      now += ms;
    },
    restore() {
      Object.assign(clock, original);
    },
  };
}
