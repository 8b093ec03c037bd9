/**
 * Binary: raw content in and out. hl7.org/fhir/R4/binary.html#rest
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { useTestApp, createTestApp } from '../helpers/app.js';
import { api, BASE_URL, assertFhirJson, binaryParser, create, expectOutcome, expectStatus, idFromLocation, show } from './_util.js';

const t = useTestApp();

/** A PNG signature followed by bytes covering every value 0..255 plus random ones. */
function pngBytes(n = 300): Buffer {
  const sig = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  const all = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
  return Buffer.concat([sig, all, crypto.randomBytes(n)]);
}

async function postRaw(bytes: Buffer, contentType = 'image/png') {
  return api(t).post('/fhir/Binary').set('Content-Type', contentType).send(bytes);
}

function getRaw(id: string, accept = 'image/png') {
  return api(t).get(`/fhir/Binary/${id}`).set('Accept', accept).buffer(true).parse(binaryParser);
}

describe('Binary', () => {
  it('POST raw image/png → 201 with Location and ETag', async () => {
    const res = await postRaw(pngBytes());
    expectStatus(res, 201);
    assert.match(res.headers.location ?? '', new RegExp(`^${BASE_URL.replace(/\./g, '\\.')}/Binary/[A-Za-z0-9\\-.]{1,64}/_history/1$`));
    assert.equal(res.headers.etag, 'W/"1"');
  });

  it('GET with Accept: image/png returns exactly the bytes with Content-Type image/png', async () => {
    const bytes = pngBytes();
    const created = await postRaw(bytes);
    expectStatus(created, 201);
    const id = idFromLocation(created.headers.location.replace(/\/_history\/1$/, ''), 'Binary');
    const res = await getRaw(id);
    expectStatus(res, 200);
    assert.match(res.headers['content-type'], /^image\/png\s*(;|$)/);
    assert.ok(Buffer.isBuffer(res.body));
    assert.equal(res.body.length, bytes.length);
    assert.ok(res.body.equals(bytes), 'bytes differ');
  });

  it('the raw read carries ETag and Last-Modified; raw vread returns that version\'s bytes', async () => {
    const v1 = pngBytes(20);
    const created = await postRaw(v1);
    const id = idFromLocation(created.headers.location.replace(/\/_history\/1$/, ''), 'Binary');
    const raw = await getRaw(id);
    assert.equal(raw.headers.etag, 'W/"1"');
    assert.ok(raw.headers['last-modified']);
    expectStatus(await api(t).put(`/fhir/Binary/${id}`).set('Content-Type', 'image/png').send(pngBytes(30)), 200);
    const old = await api(t).get(`/fhir/Binary/${id}/_history/1`).set('Accept', 'image/png').buffer(true).parse(binaryParser);
    expectStatus(old, 200);
    assert.ok(old.body.equals(v1), 'vread raw returns the old bytes');
  });

  it('_format=json overrides a non-FHIR Accept and returns the Binary resource', async () => {
    const bytes = pngBytes(8);
    const created = await postRaw(bytes);
    const id = idFromLocation(created.headers.location.replace(/\/_history\/1$/, ''), 'Binary');
    const res = await api(t).get(`/fhir/Binary/${id}?_format=json`).set('Accept', 'image/png');
    expectStatus(res, 200);
    const body = JSON.parse(res.text);
    assert.equal(body.resourceType, 'Binary');
    assert.equal(body.data, bytes.toString('base64'));
  });

  it('GET with a non-FHIR Accept (application/octet-stream) also returns the raw bytes', async () => {
    const bytes = pngBytes(10);
    const created = await postRaw(bytes);
    const id = idFromLocation(created.headers.location.replace(/\/_history\/1$/, ''), 'Binary');
    const res = await getRaw(id, 'application/octet-stream');
    expectStatus(res, 200);
    assert.ok(res.body.equals(bytes));
    assert.match(res.headers['content-type'], /^image\/png/);
  });

  it('GET with Accept: application/fhir+json returns a Binary resource with contentType and base64 data', async () => {
    const bytes = pngBytes();
    const created = await postRaw(bytes);
    const id = idFromLocation(created.headers.location.replace(/\/_history\/1$/, ''), 'Binary');
    const res = await api(t).get(`/fhir/Binary/${id}`).set('Accept', 'application/fhir+json');
    expectStatus(res, 200);
    assertFhirJson(res);
    assert.equal(res.body.resourceType, 'Binary');
    assert.equal(res.body.id, id);
    assert.equal(res.body.contentType, 'image/png');
    assert.equal(res.body.data, bytes.toString('base64'));
    assert.equal(res.body.meta.versionId, '1');
  });

  it('PUT raw bytes updates it (version 2, new bytes)', async () => {
    const created = await postRaw(pngBytes());
    const id = idFromLocation(created.headers.location.replace(/\/_history\/1$/, ''), 'Binary');
    const next = Buffer.from('GIF89a-not-really-a-gif\u0000\u00ff', 'latin1');
    const res = await api(t).put(`/fhir/Binary/${id}`).set('Content-Type', 'image/gif').send(next);
    expectStatus(res, 200);
    assert.equal(res.headers.etag, 'W/"2"');
    const raw = await getRaw(id, 'image/gif');
    expectStatus(raw, 200);
    assert.match(raw.headers['content-type'], /^image\/gif/);
    assert.ok(raw.body.equals(next));
    const json = await api(t).get(`/fhir/Binary/${id}`).set('Accept', 'application/fhir+json');
    assert.equal(json.body.meta.versionId, '2');
    assert.equal(json.body.contentType, 'image/gif');
    const v1 = await api(t).get(`/fhir/Binary/${id}/_history/1`).set('Accept', 'application/fhir+json');
    expectStatus(v1, 200);
    assert.equal(v1.body.contentType, 'image/png');
  });

  it('PUT raw bytes to a new client id creates it (201)', async () => {
    const bytes = pngBytes(5);
    const res = await api(t).put('/fhir/Binary/bin-client-1').set('Content-Type', 'image/png').send(bytes);
    expectStatus(res, 201);
    const raw = await getRaw('bin-client-1');
    assert.ok(raw.body.equals(bytes));
  });

  it('text/plain is accepted for Binary and returned as is', async () => {
    const text = 'hello, binary ✓\n';
    const res = await api(t).post('/fhir/Binary').set('Content-Type', 'text/plain; charset=utf-8').send(text);
    expectStatus(res, 201);
    const id = idFromLocation(res.headers.location.replace(/\/_history\/1$/, ''), 'Binary');
    const raw = await getRaw(id, 'text/plain');
    expectStatus(raw, 200);
    assert.match(raw.headers['content-type'], /^text\/plain/);
    assert.equal(raw.body.toString('utf8'), text);
  });

  it('a Binary posted as a FHIR JSON resource is served raw too', async () => {
    const bytes = Buffer.from('%PDF-1.4 fake');
    const b = await create(t, { resourceType: 'Binary', contentType: 'application/pdf', data: bytes.toString('base64') });
    assert.equal(b.contentType, 'application/pdf');
    const raw = await getRaw(b.id, 'application/pdf');
    expectStatus(raw, 200);
    assert.match(raw.headers['content-type'], /^application\/pdf/);
    assert.ok(raw.body.equals(bytes));
  });

  it('an empty raw body is a Binary without data (201) or a 400/422 OperationOutcome, never 5xx', async () => {
    const res = await api(t).post('/fhir/Binary').set('Content-Type', 'image/png').send(Buffer.alloc(0));
    if (res.status === 201) assert.ok(res.headers.location);
    else expectOutcome(res, [400, 422]);
  });

  it('raw read of a missing Binary → 404 OperationOutcome', async () => {
    const res = await api(t).get('/fhir/Binary/no-such-binary').set('Accept', 'image/png');
    assert.equal(res.status, 404, show(res));
  });

  it('raw body above FHIR_MAX_BODY → 413', async () => {
    const small = await createTestApp({ FHIR_MAX_BODY: '1kb' });
    try {
      const res = await api(small).post('/fhir/Binary').set('Content-Type', 'image/png').send(crypto.randomBytes(4096));
      expectOutcome(res, 413);
    } finally {
      await small.close();
    }
  });
});
