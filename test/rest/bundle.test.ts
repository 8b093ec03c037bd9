/**
 * batch and transaction: POST a Bundle to the base.
 * hl7.org/fhir/R4/http.html#transaction
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { useTestApp } from '../helpers/app.js';
import {
  api, BASE_URL, assertFhirJson, assertNoServerKeys, create, expectOutcome, expectStatus, idFromLocation, issueText, newId,
  postResource, put, read, show, typeHistoryCount,
} from './_util.js';

const t = useTestApp();

const urn = () => `urn:uuid:${crypto.randomUUID()}`;

function postBundle(bundle: unknown, path = '/fhir') {
  return postResource(t, bundle, path);
}

describe('transaction', () => {
  it('resolves urn:uuid references (top-level, nested, extension, contained) → transaction-response', async () => {
    const pUrn = urn();
    const oUrn = urn();
    const bundle = {
      resourceType: 'Bundle',
      type: 'transaction',
      entry: [
        {
          fullUrl: pUrn,
          resource: { resourceType: 'Patient', name: [{ family: 'Transact' }] },
          request: { method: 'POST', url: 'Patient' },
        },
        {
          fullUrl: oUrn,
          resource: {
            resourceType: 'Observation',
            status: 'final',
            code: { text: 'weight' },
            contained: [{ resourceType: 'Specimen', id: 'sp1', subject: { reference: pUrn } }],
            specimen: { reference: '#sp1' },
            subject: { reference: pUrn },
            performer: [{ reference: pUrn, display: 'self' }],
            extension: [{ url: 'http://example.org/fhir/StructureDefinition/about', valueReference: { reference: pUrn } }],
            component: [
              {
                code: { text: 'nested' },
                extension: [{ url: 'http://example.org/fhir/StructureDefinition/deep', valueReference: { reference: pUrn } }],
                valueString: 'x',
              },
            ],
          },
          request: { method: 'POST', url: 'Observation' },
        },
      ],
    };
    const res = await postBundle(bundle);
    expectStatus(res, 200);
    assertFhirJson(res);
    assertNoServerKeys(res.body);
    assert.equal(res.body.resourceType, 'Bundle');
    assert.equal(res.body.type, 'transaction-response');
    assert.equal(res.body.entry.length, 2);
    for (const e of res.body.entry) {
      assert.ok(String(e.response?.status).startsWith('201'), `entry status ${JSON.stringify(e.response)}`);
      assert.ok(e.response.location, 'entry response.location missing');
    }
    const pid = idFromLocation(res.body.entry[0].response.location.replace(/\/_history\/[^/]+$/, ''), 'Patient');
    const oid = idFromLocation(res.body.entry[1].response.location.replace(/\/_history\/[^/]+$/, ''), 'Observation');
    const pr = await read(t, 'Patient', pid);
    expectStatus(pr, 200);
    assert.equal(pr.body.name[0].family, 'Transact');
    const or = await read(t, 'Observation', oid);
    expectStatus(or, 200);
    const obs = or.body;
    const ref = `Patient/${pid}`;
    assert.equal(obs.subject.reference, ref);
    assert.equal(obs.performer[0].reference, ref);
    assert.equal(obs.performer[0].display, 'self');
    assert.equal(obs.extension[0].valueReference.reference, ref);
    assert.equal(obs.component[0].extension[0].valueReference.reference, ref);
    assert.equal(obs.contained[0].subject.reference, ref);
    assert.equal(obs.specimen.reference, '#sp1', 'local contained references are left alone');
    assert.ok(!JSON.stringify(obs).includes('urn:uuid'), 'no urn:uuid left in the stored resource');
  });

  it('resolves a urn:uuid reference to an entry that comes later in the Bundle', async () => {
    const pUrn = urn();
    const res = await postBundle({
      resourceType: 'Bundle',
      type: 'transaction',
      entry: [
        { fullUrl: urn(), resource: { resourceType: 'Observation', status: 'final', code: { text: 'fwd' }, subject: { reference: pUrn } }, request: { method: 'POST', url: 'Observation' } },
        { fullUrl: pUrn, resource: { resourceType: 'Patient', active: true }, request: { method: 'POST', url: 'Patient' } },
      ],
    });
    expectStatus(res, 200);
    const oid = idFromLocation(res.body.entry[0].response.location.replace(/\/_history\/[^/]+$/, ''), 'Observation');
    const pid = idFromLocation(res.body.entry[1].response.location.replace(/\/_history\/[^/]+$/, ''), 'Patient');
    const obs = (await read(t, 'Observation', oid)).body;
    assert.equal(obs.subject.reference, `Patient/${pid}`);
  });

  it('replaces urn:uuid links in uri-typed elements and narrative <a href> too (http.html#trules)', async () => {
    const pUrn = urn();
    const res = await postBundle({
      resourceType: 'Bundle',
      type: 'transaction',
      entry: [
        { fullUrl: pUrn, resource: { resourceType: 'Patient', active: true }, request: { method: 'POST', url: 'Patient' } },
        {
          fullUrl: urn(),
          resource: {
            resourceType: 'Observation',
            text: { status: 'generated', div: `<div xmlns="http://www.w3.org/1999/xhtml"><a href="${pUrn}">the patient</a></div>` },
            status: 'final',
            code: { text: 'links' },
            extension: [{ url: 'http://example.org/fhir/StructureDefinition/link', valueUri: pUrn }],
          },
          request: { method: 'POST', url: 'Observation' },
        },
      ],
    });
    expectStatus(res, 200);
    const pid = idFromLocation(res.body.entry[0].response.location.replace(/\/_history\/[^/]+$/, ''), 'Patient');
    const oid = idFromLocation(res.body.entry[1].response.location.replace(/\/_history\/[^/]+$/, ''), 'Observation');
    const obs = (await read(t, 'Observation', oid)).body;
    const ok = [`Patient/${pid}`, `${BASE_URL}/Patient/${pid}`];
    assert.ok(ok.includes(obs.extension[0].valueUri), `valueUri not replaced: ${obs.extension[0].valueUri}`);
    assert.ok(ok.some((u) => obs.text.div.includes(`href="${u}"`)), `narrative href not replaced: ${obs.text.div}`);
  });

  for (const [label, second] of [
    ['two PUTs of the same resource', (id: string) => ({ resource: { resourceType: 'Patient', id, active: false }, request: { method: 'PUT', url: `Patient/${id}` } })],
    ['a PUT and a DELETE of the same resource', (id: string) => ({ request: { method: 'DELETE', url: `Patient/${id}` } })],
  ] as const) {
    it(`overlapping identities (${label}) fail the transaction; nothing written`, async () => {
      const id = newId('overlap');
      const res = await postBundle({
        resourceType: 'Bundle',
        type: 'transaction',
        entry: [{ resource: { resourceType: 'Patient', id, active: true }, request: { method: 'PUT', url: `Patient/${id}` } }, second(id)],
      });
      expectOutcome(res, [400, 409, 422]);
      expectStatus(await read(t, 'Patient', id), 404);
    });
  }

  it('also accepts POST to /fhir/ (trailing slash)', async () => {
    const res = await postBundle(
      {
        resourceType: 'Bundle',
        type: 'transaction',
        entry: [{ resource: { resourceType: 'Patient', active: true }, request: { method: 'POST', url: 'Patient' } }],
      },
      '/fhir/',
    );
    expectStatus(res, 200);
    assert.equal(res.body.type, 'transaction-response');
    assert.ok(String(res.body.entry[0].response.status).startsWith('201'));
  });

  it('one response entry per request, in request order (mixed methods)', async () => {
    const existing = await create(t, { resourceType: 'Patient', name: [{ family: 'Existing' }] });
    const toDelete = await create(t, { resourceType: 'Patient', name: [{ family: 'Doomed' }] });
    const putId = newId('txput');
    const res = await postBundle({
      resourceType: 'Bundle',
      type: 'transaction',
      entry: [
        { request: { method: 'GET', url: `Patient/${existing.id}` } },
        { resource: { resourceType: 'Patient', id: putId, active: true }, request: { method: 'PUT', url: `Patient/${putId}` } },
        { request: { method: 'DELETE', url: `Patient/${toDelete.id}` } },
        { fullUrl: urn(), resource: { resourceType: 'Patient', active: false }, request: { method: 'POST', url: 'Patient' } },
      ],
    });
    expectStatus(res, 200);
    const e = res.body.entry;
    assert.equal(e.length, 4);
    assert.ok(String(e[0].response.status).startsWith('200'), `GET: ${JSON.stringify(e[0].response)}`);
    assert.equal(e[0].resource?.id, existing.id, 'GET entry carries the resource read');
    assert.ok(String(e[1].response.status).startsWith('201'), `PUT (create): ${JSON.stringify(e[1].response)}`);
    assert.ok(/^20[04]/.test(String(e[2].response.status)), `DELETE: ${JSON.stringify(e[2].response)}`);
    assert.ok(String(e[3].response.status).startsWith('201'), `POST: ${JSON.stringify(e[3].response)}`);
    expectStatus(await read(t, 'Patient', putId), 200);
    expectStatus(await read(t, 'Patient', toDelete.id), 410);
  });

  it('a PATCH entry carries its JSON Patch as a Binary resource (http.html#patch)', async () => {
    const p = await create(t, { resourceType: 'Patient', active: false });
    const ops = [{ op: 'replace', path: '/active', value: true }];
    const res = await postBundle({
      resourceType: 'Bundle',
      type: 'transaction',
      entry: [
        {
          resource: { resourceType: 'Binary', contentType: 'application/json-patch+json', data: Buffer.from(JSON.stringify(ops)).toString('base64') },
          request: { method: 'PATCH', url: `Patient/${p.id}` },
        },
      ],
    });
    expectStatus(res, 200);
    assert.ok(String(res.body.entry[0].response.status).startsWith('200'), JSON.stringify(res.body.entry[0].response));
    const r = await read(t, 'Patient', p.id);
    assert.equal(r.body.active, true);
    assert.equal(r.body.meta.versionId, '2');
  });

  it('processing order: PUT before GET — a GET of X in the same transaction sees the update', async () => {
    const id = newId('txorder');
    await put(t, { resourceType: 'Patient', id, name: [{ family: 'Before' }] });
    const res = await postBundle({
      resourceType: 'Bundle',
      type: 'transaction',
      entry: [
        { request: { method: 'GET', url: `Patient/${id}` } },
        { resource: { resourceType: 'Patient', id, name: [{ family: 'After' }] }, request: { method: 'PUT', url: `Patient/${id}` } },
      ],
    });
    expectStatus(res, 200);
    assert.equal(res.body.entry.length, 2);
    assert.ok(String(res.body.entry[0].response.status).startsWith('200'));
    assert.equal(res.body.entry[0].resource?.name?.[0]?.family, 'After', 'GET must be processed after PUT');
    assert.equal(res.body.entry[0].resource?.meta?.versionId, '2');
    assert.ok(String(res.body.entry[1].response.status).startsWith('200'), `PUT: ${JSON.stringify(res.body.entry[1].response)}`);
  });

  it('processing order: DELETE before GET — a GET of X in the same transaction reflects the delete', async () => {
    const id = newId('txdel');
    await put(t, { resourceType: 'Patient', id, active: true });
    const res = await postBundle({
      resourceType: 'Bundle',
      type: 'transaction',
      entry: [
        { request: { method: 'GET', url: `Patient/${id}` } },
        { request: { method: 'DELETE', url: `Patient/${id}` } },
      ],
    });
    if (res.status === 200) {
      // the GET, processed after the DELETE, reports the resource gone
      assert.equal(res.body.type, 'transaction-response');
      assert.ok(/^(404|410)/.test(String(res.body.entry[0].response.status)), `GET after DELETE: ${JSON.stringify(res.body.entry[0])}`);
      assert.equal(res.body.entry[0].resource, undefined);
      assert.ok(/^20[04]/.test(String(res.body.entry[1].response.status)));
      expectStatus(await read(t, 'Patient', id), 410);
    } else {
      // or the server treats the failed GET as failing the whole transaction: then nothing is deleted
      expectOutcome(res, [400, 404, 409, 410, 422]);
      expectStatus(await read(t, 'Patient', id), 200, 'a failed transaction must not delete');
    }
  });

  it('all-or-nothing: 3 valid entries + 1 invalid → 400/422 naming the failed entry; none persisted', async () => {
    const ids = [newId('aon'), newId('aon'), newId('aon')];
    const badUrn = urn();
    const before = await typeHistoryCount(t, 'Practitioner');
    const res = await postBundle({
      resourceType: 'Bundle',
      type: 'transaction',
      entry: [
        { resource: { resourceType: 'Patient', id: ids[0], active: true }, request: { method: 'PUT', url: `Patient/${ids[0]}` } },
        { resource: { resourceType: 'Patient', id: ids[1], active: true }, request: { method: 'PUT', url: `Patient/${ids[1]}` } },
        { fullUrl: urn(), resource: { resourceType: 'Practitioner', name: [{ family: 'Prac' }] }, request: { method: 'POST', url: 'Practitioner' } },
        { fullUrl: badUrn, resource: { resourceType: 'Patient', birthDate: 'not-a-date' }, request: { method: 'POST', url: 'Patient' } },
        { resource: { resourceType: 'Patient', id: ids[2], active: true }, request: { method: 'PUT', url: `Patient/${ids[2]}` } },
      ],
    });
    const oo = expectOutcome(res, [400, 422]);
    const text = issueText(oo);
    assert.ok(/entry\s*\[?\s*3\b|entry\.3\b|#3\b|index\s*3\b/i.test(text) || text.includes(badUrn), `OperationOutcome does not name entry 3 / ${badUrn}: ${text}`);
    assert.ok(/birthDate/.test(text), `OperationOutcome does not say why (birthDate): ${text}`);
    for (const id of ids) expectStatus(await read(t, 'Patient', id), 404, `Patient/${id} must not exist`);
    assert.equal(await typeHistoryCount(t, 'Practitioner'), before, 'the Practitioner create must be rolled back');
  });

  it('all-or-nothing: an update and a delete are rolled back when a later entry fails', async () => {
    const id = newId('rollback');
    await put(t, { resourceType: 'Patient', id, name: [{ family: 'Original' }] });
    const victim = await create(t, { resourceType: 'Patient', active: true });
    const res = await postBundle({
      resourceType: 'Bundle',
      type: 'transaction',
      entry: [
        { resource: { resourceType: 'Patient', id, name: [{ family: 'Changed' }] }, request: { method: 'PUT', url: `Patient/${id}` } },
        { request: { method: 'DELETE', url: `Patient/${victim.id}` } },
        { resource: { resourceType: 'Patient', unknownElement: true }, request: { method: 'POST', url: 'Patient' } },
      ],
    });
    expectOutcome(res, [400, 422]);
    const r = await read(t, 'Patient', id);
    assert.equal(r.body.meta.versionId, '1');
    assert.equal(r.body.name[0].family, 'Original');
    expectStatus(await read(t, 'Patient', victim.id), 200, 'delete must be rolled back');
    assert.equal((await api(t).get(`/fhir/Patient/${id}/_history`)).body.entry.length, 1);
  });

  it('a transaction entry whose PUT body id differs from its url → 400, nothing written', async () => {
    const id = newId('txmismatch');
    const res = await postBundle({
      resourceType: 'Bundle',
      type: 'transaction',
      entry: [
        { resource: { resourceType: 'Patient', active: true }, request: { method: 'POST', url: 'Patient' } },
        { resource: { resourceType: 'Patient', id: 'other', active: true }, request: { method: 'PUT', url: `Patient/${id}` } },
      ],
    });
    expectOutcome(res, [400, 422]);
    expectStatus(await read(t, 'Patient', id), 404);
    expectStatus(await read(t, 'Patient', 'other'), 404);
  });

  it('entry without request → 400', async () => {
    const res = await postBundle({
      resourceType: 'Bundle',
      type: 'transaction',
      entry: [{ fullUrl: urn(), resource: { resourceType: 'Patient', active: true } }],
    });
    expectOutcome(res, 400);
  });

  it('entry with an unknown request.method → 400', async () => {
    const res = await postBundle({
      resourceType: 'Bundle',
      type: 'transaction',
      entry: [{ resource: { resourceType: 'Patient', active: true }, request: { method: 'FROB', url: 'Patient' } }],
    });
    expectOutcome(res, [400, 422]);
  });

  it('an If-Match (request.ifMatch) conflict inside a transaction fails it (412/409/400) and writes nothing', async () => {
    const p = await create(t, { resourceType: 'Patient', active: true });
    const other = newId('ifm');
    const res = await postBundle({
      resourceType: 'Bundle',
      type: 'transaction',
      entry: [
        { resource: { resourceType: 'Patient', id: other, active: true }, request: { method: 'PUT', url: `Patient/${other}` } },
        { resource: { resourceType: 'Patient', id: p.id, active: false }, request: { method: 'PUT', url: `Patient/${p.id}`, ifMatch: 'W/"7"' } },
      ],
    });
    expectOutcome(res, [400, 409, 412, 422]);
    expectStatus(await read(t, 'Patient', other), 404);
    assert.equal((await read(t, 'Patient', p.id)).body.meta.versionId, '1');
  });
});

describe('batch', () => {
  it('3 valid + 1 invalid → 200 batch-response with per-entry status; valid ones persisted', async () => {
    const ids = [newId('batch'), newId('batch')];
    const before = await typeHistoryCount(t, 'Organization');
    const res = await postBundle({
      resourceType: 'Bundle',
      type: 'batch',
      entry: [
        { resource: { resourceType: 'Patient', id: ids[0], active: true }, request: { method: 'PUT', url: `Patient/${ids[0]}` } },
        { resource: { resourceType: 'Organization', name: 'BatchOrg' }, request: { method: 'POST', url: 'Organization' } },
        { resource: { resourceType: 'Patient', birthDate: 'not-a-date' }, request: { method: 'POST', url: 'Patient' } },
        { resource: { resourceType: 'Patient', id: ids[1], active: true }, request: { method: 'PUT', url: `Patient/${ids[1]}` } },
      ],
    });
    expectStatus(res, 200);
    assertFhirJson(res);
    assert.equal(res.body.type, 'batch-response');
    const e = res.body.entry;
    assert.equal(e.length, 4);
    assert.ok(String(e[0].response.status).startsWith('201'), JSON.stringify(e[0].response));
    assert.ok(String(e[1].response.status).startsWith('201'), JSON.stringify(e[1].response));
    assert.ok(/^4\d\d/.test(String(e[2].response.status)), `invalid entry status: ${JSON.stringify(e[2].response)}`);
    assert.equal(e[2].response.outcome?.resourceType, 'OperationOutcome', 'failed entry carries response.outcome');
    assert.ok(/birthDate/.test(issueText(e[2].response.outcome)), `outcome should name birthDate: ${issueText(e[2].response.outcome)}`);
    assert.ok(String(e[3].response.status).startsWith('201'), JSON.stringify(e[3].response));
    for (const id of ids) expectStatus(await read(t, 'Patient', id), 200);
    const orgId = idFromLocation(e[1].response.location.replace(/\/_history\/[^/]+$/, ''), 'Organization');
    expectStatus(await read(t, 'Organization', orgId), 200);
    assert.equal(await typeHistoryCount(t, 'Organization'), before + 1);
  });

  it('a GET of a missing resource in a batch is a 404 entry, the batch is still 200', async () => {
    const p = await create(t, { resourceType: 'Patient', active: true });
    const res = await postBundle({
      resourceType: 'Bundle',
      type: 'batch',
      entry: [
        { request: { method: 'GET', url: 'Patient/does-not-exist-batch' } },
        { request: { method: 'GET', url: `Patient/${p.id}` } },
      ],
    });
    expectStatus(res, 200);
    assert.equal(res.body.type, 'batch-response');
    assert.ok(String(res.body.entry[0].response.status).startsWith('404'));
    assert.ok(String(res.body.entry[1].response.status).startsWith('200'));
    assert.equal(res.body.entry[1].resource.id, p.id);
  });

  it('batch to /fhir/ (trailing slash) works', async () => {
    const res = await postBundle(
      { resourceType: 'Bundle', type: 'batch', entry: [{ resource: { resourceType: 'Patient', active: true }, request: { method: 'POST', url: 'Patient' } }] },
      '/fhir/',
    );
    expectStatus(res, 200);
    assert.equal(res.body.type, 'batch-response');
  });

  it('an empty batch → 200 batch-response with no entries', async () => {
    const res = await postBundle({ resourceType: 'Bundle', type: 'batch' });
    expectStatus(res, 200);
    assert.equal(res.body.type, 'batch-response');
    assert.equal((res.body.entry ?? []).length, 0);
  });
});

describe('bundle errors', () => {
  for (const type of ['collection', 'document', 'searchset', 'history', 'message', 'transaction-response']) {
    it(`Bundle type ${type} posted to the base → 400`, async () => {
      expectOutcome(await postBundle({ resourceType: 'Bundle', type, entry: [] }), 400);
    });
  }

  it('a non-Bundle posted to the base → 400 (or 404/405), never 2xx', async () => {
    const res = await postBundle({ resourceType: 'Patient', active: true });
    expectOutcome(res, [400, 404, 405, 422]);
  });

  it('a Bundle without type posted to the base → 400', async () => {
    expectOutcome(await postBundle({ resourceType: 'Bundle', entry: [] }), [400, 422]);
  });

  it('a transaction posted to /fhir/Bundle is stored as a plain Bundle, not processed', async () => {
    const res = await postResource(t, {
      resourceType: 'Bundle',
      type: 'transaction',
      entry: [{ resource: { resourceType: 'Patient', id: 'not-processed', active: true }, request: { method: 'PUT', url: 'Patient/not-processed' } }],
    });
    // the spec says POST [base]/Bundle is a create of a Bundle resource
    expectStatus(res, 201, show(res));
    expectStatus(await read(t, 'Patient', 'not-processed'), 404);
  });
});
