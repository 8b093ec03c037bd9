/** How the authorization server reads references and the ids users, launches and grants give. */
import { it } from 'node:test';
import assert from 'node:assert/strict';
import { bareId, referencedId } from '../../src/auth/references.js';
import { auditEvent } from '../../src/auth/audit.js';

const BASE = 'http://localhost:8080/fhir';

it('referencedId: relative, versioned or on this base, of the asked type only', () => {
  assert.equal(referencedId('Patient/1', 'Patient', BASE), '1');
  assert.equal(referencedId('Patient/a.b-c/_history/3', 'Patient', BASE), 'a.b-c');
  assert.equal(referencedId(`${BASE}/Patient/1`, 'Patient', BASE), '1');
  assert.equal(referencedId(`${BASE}/Patient/1`, 'Patient', `${BASE}/`), '1');
  assert.equal(referencedId('Practitioner/1', 'Patient', BASE), undefined);
  assert.equal(referencedId('https://elsewhere.example/fhir/Patient/1', 'Patient', BASE), undefined);
  assert.equal(referencedId(`${BASE}/x/Patient/1`, 'Patient', BASE), undefined);
  assert.equal(referencedId('Patient/bad id', 'Patient', BASE), undefined);
  assert.equal(referencedId(undefined, 'Patient', BASE), undefined);
});

it('bareId: Type/id or id, valid FHIR ids only', () => {
  assert.equal(bareId('Patient/1', 'Patient'), '1');
  assert.equal(bareId('1', 'Patient'), '1');
  assert.equal(bareId('Encounter/e-1', 'Encounter'), 'e-1');
  for (const bad of ['../x', 'Patient/', 'Patient/a/b', 'x'.repeat(65), '', undefined]) assert.equal(bareId(bad, 'Patient'), undefined, String(bad));
});

it('an AuditEvent names who as a reference only when it is one (a known resource type)', () => {
  const who = (w: string) => auditEvent({ kind: 'login', success: false, who: w }).agent[0].who;
  assert.deepEqual(who('Patient/1'), { reference: 'Patient/1' });
  assert.deepEqual(who('Practitioner/2/_history/1'), { reference: 'Practitioner/2' });
  assert.deepEqual(who('123456/SP'), { display: '123456/SP' });
  assert.deepEqual(who('Nonsense/1'), { display: 'Nonsense/1' });
  assert.deepEqual(who('ana@example.org'), { display: 'ana@example.org' });
});
