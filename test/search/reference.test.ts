/**
 * reference parameters (search.html#reference): id, Type/id, absolute URL on this server's base,
 * :Type, :identifier, :missing, versioned references, references to other servers.
 */
import { describe, it, before, after } from 'node:test';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { BASE_URL, expectMatches, expectPostMatches, expectSome, putAll } from './_lib.js';

let t: TestApp;

const O = (id: string, extra: Record<string, unknown>) => ({ resourceType: 'Observation', id, status: 'final', code: { text: 'ref test' }, ...extra });
const ref = (reference: string) => ({ reference });

before(async () => {
  t = await createTestApp();
  await putAll(t, [
    { resourceType: 'Patient', id: 'rp1' },
    { resourceType: 'Patient', id: 'rp2' },
    { resourceType: 'Group', id: 'g1', type: 'person', actual: true },
    { resourceType: 'Practitioner', id: 'pr1' },
    { resourceType: 'Device', id: 'rp1' }, // same id as a Patient, another type
    O('ro1', { subject: ref('Patient/rp1'), performer: [ref('Practitioner/pr1')] }),
    O('ro2', { subject: ref('Patient/rp2') }),
    O('ro3', { subject: ref('Group/g1') }),
    O('ro4', { subject: ref(`${BASE_URL}/Patient/rp1`) }),
    O('ro5', { subject: ref('http://other.example.org/fhir/Patient/rp1') }),
    O('ro6', { subject: { identifier: { system: 'http://ids.example', value: 'abc' }, display: 'identified only' } }),
    O('ro7', {}),
    O('ro8', { subject: ref('Patient/rp2/_history/1') }),
    O('ro9', { subject: ref('Device/rp1') }),
  ]);
});
after(async () => {
  await t?.close();
});

describe('reference values', () => {
  it('subject=Patient/rp1 matches relative and own-base absolute references, not another server', async () => {
    await expectMatches(t, 'Observation', 'subject=Patient/rp1', ['ro1', 'ro4']);
  });
  it(`subject=${BASE_URL}/Patient/rp1 (the server's own base) is the same as Patient/rp1`, async () => {
    await expectMatches(t, 'Observation', `subject=${BASE_URL}/Patient/rp1`, ['ro1', 'ro4']);
  });
  it('subject=<another server URL> matches only that reference', async () => {
    await expectMatches(t, 'Observation', 'subject=http://other.example.org/fhir/Patient/rp1', ['ro5']);
  });
  it('subject=rp1 (bare id) matches every target type with that id', async () => {
    await expectMatches(t, 'Observation', 'subject=rp1', ['ro1', 'ro4', 'ro9']);
  });
  it('subject:Patient=rp1 restricts the type', async () => {
    await expectMatches(t, 'Observation', 'subject:Patient=rp1', ['ro1', 'ro4']);
    await expectMatches(t, 'Observation', 'subject:Device=rp1', ['ro9']);
  });
  it('Group subjects: subject=Group/g1, subject=g1, subject:Group=g1, subject:Patient=g1', async () => {
    await expectMatches(t, 'Observation', 'subject=Group/g1', ['ro3']);
    await expectMatches(t, 'Observation', 'subject=g1', ['ro3']);
    await expectMatches(t, 'Observation', 'subject:Group=g1', ['ro3']);
    await expectMatches(t, 'Observation', 'subject:Patient=g1', []);
  });
  it('patient=rp1 only takes Patient subjects', async () => {
    await expectMatches(t, 'Observation', 'patient=rp1', ['ro1', 'ro4']);
    await expectMatches(t, 'Observation', 'patient=Patient/rp1', ['ro1', 'ro4']);
    await expectMatches(t, 'Observation', 'patient=g1', []);
  });
  it('a versioned reference matches the unversioned search value', async () => {
    await expectMatches(t, 'Observation', 'subject=Patient/rp2', ['ro2', 'ro8']);
  });
  it('comma is OR', async () => {
    await expectMatches(t, 'Observation', 'subject=Patient/rp1,Patient/rp2', ['ro1', 'ro2', 'ro4', 'ro8']);
  });
  it('repeated is AND: subject=Patient/rp1&performer=Practitioner/pr1', async () => {
    await expectMatches(t, 'Observation', 'subject=Patient/rp1&performer=Practitioner/pr1', ['ro1']);
    await expectMatches(t, 'Observation', 'subject=Patient/rp1&subject=Patient/rp2', []);
  });
  it('performer=Practitioner/pr1, performer=pr1', async () => {
    await expectMatches(t, 'Observation', 'performer=Practitioner/pr1', ['ro1']);
    await expectMatches(t, 'Observation', 'performer=pr1', ['ro1']);
  });
  it('an id that nothing references → none', async () => {
    await expectMatches(t, 'Observation', 'subject=Patient/nobody', []);
  });
  it('ids are not prefix-matched: subject=Patient/rp', async () => {
    await expectMatches(t, 'Observation', 'subject=Patient/rp', []);
  });
  it('POST _search: subject=Patient/rp1', async () => {
    await expectPostMatches(t, 'Observation', 'subject=Patient/rp1', '', ['ro1', 'ro4']);
  });
});

describe('reference modifiers', () => {
  it(':identifier=system|value matches Reference.identifier', async () => {
    await expectMatches(t, 'Observation', 'subject:identifier=http://ids.example|abc', ['ro6']);
    await expectMatches(t, 'Observation', 'subject:identifier=abc', ['ro6']);
    await expectMatches(t, 'Observation', 'subject:identifier=http://ids.example|zzz', []);
  });
  it(':missing=true: the Observation without a subject (not those with a reference)', async () => {
    // ro6 has a subject with only an identifier: the spec leaves open whether that counts as missing
    await expectSome(t, 'Observation', 'subject:missing=true', ['ro7'], ['ro1', 'ro2', 'ro3', 'ro4', 'ro5', 'ro8', 'ro9']);
  });
  it(':missing=false: every Observation with a subject reference', async () => {
    await expectSome(t, 'Observation', 'subject:missing=false', ['ro1', 'ro2', 'ro3', 'ro4', 'ro5', 'ro8', 'ro9'], ['ro7']);
  });
  it('performer:missing=true', async () => {
    await expectMatches(t, 'Observation', 'performer:missing=true', ['ro2', 'ro3', 'ro4', 'ro5', 'ro6', 'ro7', 'ro8', 'ro9']);
  });
});
