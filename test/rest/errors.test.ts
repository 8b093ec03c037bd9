/**
 * Error handling: malformed bodies, size limit, unsupported methods, hostile input, leaks, health.
 * Every error must be an application/fhir+json OperationOutcome and never a 5xx.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { useTestApp, createTestApp, type TestApp } from '../helpers/app.js';
import {
  api, assertNoServerKeys, assertSameResource, create, expectNo5xx, expectOutcome, expectStatus, newId,
  postResource, putResource, read, show, typeHistoryCount,
} from './_util.js';

const t = useTestApp();

/** Error texts must not carry stack traces or server file paths. */
function assertNoInternals(res: any) {
  const text = res.text ?? '';
  assert.ok(!/node_modules|\/work\/|\/src\/|\.ts:\d+|\.js:\d+|\bat [\w.<>]+ \(/.test(text), `internals leaked in error body: ${text.slice(0, 500)}`);
}

describe('malformed bodies', () => {
  const cases: Array<[string, string]> = [
    ['truncated JSON', '{"resourceType": "Patient", "name": ['],
    ['not JSON at all', 'hello there'],
    ['trailing garbage', '{"resourceType": "Patient"} xyz'],
    ['a JSON array', '[{"resourceType": "Patient"}]'],
    ['a JSON string', '"Patient"'],
    ['a JSON number', '42'],
    ['JSON null', 'null'],
    ['an empty body', ''],
    ['an empty object', '{}'],
  ];
  for (const [label, body] of cases) {
    it(`POST /fhir/Patient with ${label} → 400 OperationOutcome, nothing written`, async () => {
      const before = await typeHistoryCount(t, 'Patient');
      const res = await api(t).post('/fhir/Patient').set('Content-Type', 'application/fhir+json').send(body);
      expectOutcome(res, 400, label);
      assertNoInternals(res);
      assert.equal(await typeHistoryCount(t, 'Patient'), before);
    });
  }

  it('PUT with malformed JSON → 400', async () => {
    expectOutcome(await api(t).put('/fhir/Patient/x1').set('Content-Type', 'application/fhir+json').send('{"id": "x1",'), 400);
  });

  it('POST /fhir (bundle) with malformed JSON → 400', async () => {
    expectOutcome(await api(t).post('/fhir').set('Content-Type', 'application/fhir+json').send('{"resourceType":"Bundle",'), 400);
  });

  it('POST with no Content-Type → 400/415 OperationOutcome', async () => {
    const res = await api(t).post('/fhir/Patient').send(Buffer.from('{"resourceType":"Patient"}'));
    expectOutcome(res, [400, 415]);
  });

  it('POST with application/x-www-form-urlencoded to a type → 400/415', async () => {
    const res = await api(t).post('/fhir/Patient').set('Content-Type', 'application/x-www-form-urlencoded').send('resourceType=Patient');
    expectOutcome(res, [400, 415]);
  });

  it('invalid UTF-8 in a JSON body → 400', async () => {
    const bytes = Buffer.concat([Buffer.from('{"resourceType":"Patient","name":[{"family":"'), Buffer.from([0xc3, 0x28, 0xff]), Buffer.from('"}]}')]);
    const res = await api(t).post('/fhir/Patient').set('Content-Type', 'application/fhir+json').send(bytes);
    // a lenient decoder may turn it into U+FFFD and accept it; anything but a 5xx is acceptable
    expectNo5xx(res);
  });
});

describe('body size limit', () => {
  let small: TestApp;
  before(async () => {
    small = await createTestApp({ FHIR_MAX_BODY: '1kb' });
  });
  after(async () => {
    await small?.close();
  });

  it('a body over FHIR_MAX_BODY → 413 OperationOutcome, nothing written', async () => {
    const big = { resourceType: 'Patient', name: [{ family: 'x'.repeat(2048) }] };
    const res = await postResource(small, big);
    expectOutcome(res, 413);
    assert.equal(await typeHistoryCount(small, 'Patient'), 0);
  });

  it('a body under FHIR_MAX_BODY is accepted', async () => {
    const res = await postResource(small, { resourceType: 'Patient', name: [{ family: 'small' }] });
    expectStatus(res, 201);
  });

  it('an oversized Bundle posted to the base → 413', async () => {
    const entry = Array.from({ length: 20 }, () => ({ resource: { resourceType: 'Patient', active: true }, request: { method: 'POST', url: 'Patient' } }));
    expectOutcome(await postResource(small, { resourceType: 'Bundle', type: 'batch', entry }, '/fhir'), 413);
  });

  it('an oversized PATCH → 413', async () => {
    const p = await create(small, { resourceType: 'Patient', active: true });
    const ops = [{ op: 'add', path: '/name', value: [{ family: 'y'.repeat(4096) }] }];
    const res = await api(small).patch(`/fhir/Patient/${p.id}`).set('Content-Type', 'application/json-patch+json').send(JSON.stringify(ops));
    expectOutcome(res, 413);
  });
});

describe('unsupported methods and paths', () => {
  const cases: Array<[string, string, number[]]> = [
    ['PUT', '/fhir/Patient', [400, 404, 405]],
    ['PATCH', '/fhir/Patient', [400, 404, 405]],
    ['DELETE', '/fhir/metadata', [400, 404, 405]],
    ['POST', '/fhir/metadata', [400, 404, 405]],
    ['PUT', '/fhir/metadata', [400, 404, 405]],
    ['POST', '/fhir/Patient/some-id', [400, 404, 405]],
    ['PUT', '/fhir/Patient/some-id/_history/1', [400, 404, 405]],
    ['POST', '/fhir/Patient/_history', [400, 404, 405]],
    ['DELETE', '/fhir/_history', [400, 404, 405]],
    ['GET', '/fhir/Patient/some-id/_history/1/extra', [400, 404]],
    ['GET', '/fhir/Patient/some-id/unknown-thing', [400, 404]],
    ['POST', '/fhir/Patient/$no-such-operation', [400, 404, 405]],
    ['GET', '/fhir/$no-such-operation', [400, 404, 405]],
    ['DELETE', '/fhir/Patient', [400, 404, 405, 412]],
    ['DELETE', '/fhir', [400, 404, 405]],
  ];
  for (const [method, path, statuses] of cases) {
    it(`${method} ${path} → ${statuses.join('/')} OperationOutcome`, async () => {
      const body = JSON.stringify({ resourceType: 'Patient', id: 'some-id' });
      const req = (api(t) as any)[method.toLowerCase()](path);
      const res = method === 'GET' || method === 'DELETE' ? await req : await req.set('Content-Type', 'application/fhir+json').send(body);
      expectOutcome(res, statuses, `${method} ${path}`);
      assertNoInternals(res);
    });
  }

  it('PUT /fhir/Patient (no id) prefers 405 Method Not Allowed', async () => {
    const res = await putResource(t, { resourceType: 'Patient', id: 'x' }, '/fhir/Patient');
    expectOutcome(res, 405);
  });

  it('DELETE /fhir/metadata prefers 405 Method Not Allowed', async () => {
    expectOutcome(await api(t).delete('/fhir/metadata'), 405);
  });
});

describe('hostile input', () => {
  it('path traversal id on read → 400/404 OperationOutcome', async () => {
    for (const p of ['/fhir/Patient/..%2F..%2Fetc%2Fpasswd', '/fhir/Patient/%2E%2E%2Fx', '/fhir/Patient/..%5C..%5Cwindows']) {
      expectOutcome(await api(t).get(p), [400, 404], p);
    }
  });

  it('path traversal id on PUT → 400, nothing written', async () => {
    const before = await typeHistoryCount(t, 'Patient');
    const res = await putResource(t, { resourceType: 'Patient', id: '../../etc' }, '/fhir/Patient/..%2F..%2Fetc');
    expectOutcome(res, 400);
    assert.equal(await typeHistoryCount(t, 'Patient'), before);
  });

  it('NUL bytes in ids → 4xx, nothing written', async () => {
    expectOutcome(await api(t).get('/fhir/Patient/%00'), [400, 404]);
    const before = await typeHistoryCount(t, 'Patient');
    expectOutcome(await putResource(t, { resourceType: 'Patient', id: 'abc\u0000' }, '/fhir/Patient/abc%00'), 400);
    expectOutcome(await putResource(t, { resourceType: 'Patient', id: '%00' }, '/fhir/Patient/%2500'), 400);
    assert.equal(await typeHistoryCount(t, 'Patient'), before);
  });

  it('a 65+ character id → 400 on PUT; 400/404 on GET and DELETE', async () => {
    const long = 'a'.repeat(65);
    const huge = 'b'.repeat(5000);
    expectOutcome(await putResource(t, { resourceType: 'Patient', id: long }), 400);
    expectOutcome(await api(t).get(`/fhir/Patient/${long}`), [400, 404]);
    expectOutcome(await api(t).get(`/fhir/Patient/${huge}`), [400, 404]);
    expectOutcome(await api(t).delete(`/fhir/Patient/${long}`), [400, 404]);
    expectOutcome(await api(t).get(`/fhir/Patient/${long}/_history`), [400, 404]);
  });

  it('operator-looking ids in the path never match anything', async () => {
    await create(t, { resourceType: 'Patient', active: true });
    for (const raw of ['{"$ne":null}', '{"$gt":""}', '[$ne]', '$where']) {
      const p = `/fhir/Patient/${encodeURIComponent(raw)}`;
      const res = await api(t).get(p);
      expectOutcome(res, [400, 404], p);
      const h = await api(t).get(`${p}/_history`);
      expectOutcome(h, [400, 404], `${p}/_history`);
      const v = await api(t).get(`/fhir/Patient/x/_history/${encodeURIComponent(raw)}`);
      expectOutcome(v, [400, 404], 'vid');
    }
  });

  it('query strings with $where / operator syntax are not 5xx and never broaden results', async () => {
    const p = await create(t, { resourceType: 'Patient', active: true });
    const r = await api(t).get(`/fhir/Patient/${p.id}?$where=sleep(1000)`);
    expectNo5xx(r, '$where on read');
    if (r.status === 200) assert.equal(r.body.id, p.id);
    for (const q of ['_count[$gt]=0', '_since[$gt]=', '_since[$ne]=x', '_count=-1', '_count=1e9', '_count=abc', '$where=1', '_at[$lt]=2030']) {
      const res = await api(t).get(`/fhir/Patient/_history?${q}`);
      expectNo5xx(res, q);
      const res2 = await api(t).get(`/fhir/_history?${q}`);
      expectNo5xx(res2, `system ${q}`);
    }
  });

  const hostileBodies: Array<[string, string]> = [
    ['a $where key', '{"resourceType":"Patient","$where":"sleep(1000)"}'],
    ['an operator object as a value', '{"resourceType":"Patient","name":[{"family":{"$gt":""}}]}'],
    ['an operator object as gender', '{"resourceType":"Patient","gender":{"$ne":null}}'],
    ['a __proto__ key', '{"resourceType":"Patient","__proto__":{"admin":true}}'],
    ['a constructor key', '{"resourceType":"Patient","constructor":{"prototype":{"x":1}}}'],
    ['an _id key with a string', '{"resourceType":"Patient","_id":"forged-db-id"}'],
    ['a $set inside meta', '{"resourceType":"Patient","meta":{"$set":{"versionId":"9"}}}'],
    ['a dotted key', '{"resourceType":"Patient","meta.versionId":"9"}'],
    ['resourceType as an operator', '{"resourceType":{"$ne":"x"}}'],
  ];
  for (const [label, body] of hostileBodies) {
    it(`a Patient body with ${label} → 400/422, nothing written`, async () => {
      const before = await typeHistoryCount(t, 'Patient');
      const res = await api(t).post('/fhir/Patient').set('Content-Type', 'application/fhir+json').send(body);
      expectOutcome(res, [400, 422], label);
      assert.equal(await typeHistoryCount(t, 'Patient'), before, 'nothing may be written');
      const id = newId('hostile');
      const withId = JSON.parse(body);
      if (withId && typeof withId === 'object') {
        const put = await api(t)
          .put(`/fhir/Patient/${id}`)
          .set('Content-Type', 'application/fhir+json')
          .send(body.replace(/^\{/, `{"id":"${id}",`));
        expectOutcome(put, [400, 422], `PUT ${label}`);
        expectStatus(await read(t, 'Patient', id), 404);
      }
    });
  }

  it('an Object.prototype pollution attempt does not affect later requests', async () => {
    await api(t).post('/fhir/Patient').set('Content-Type', 'application/fhir+json').send('{"resourceType":"Patient","__proto__":{"polluted":"yes"}}');
    assert.equal(({} as any).polluted, undefined);
    const p = await create(t, { resourceType: 'Patient', active: true });
    const r = await read(t, 'Patient', p.id);
    assert.equal(r.body.polluted, undefined);
  });

  it('transaction entries with traversal or absolute foreign URLs → 400, nothing written', async () => {
    for (const url of ['../../etc/passwd', 'Patient/../Observation/x', 'http://evil.example.com/fhir/Patient/1', 'Patient/a_b']) {
      const before = await typeHistoryCount(t, 'Patient');
      const res = await postResource(
        t,
        {
          resourceType: 'Bundle',
          type: 'transaction',
          entry: [
            { resource: { resourceType: 'Patient', active: true }, request: { method: 'POST', url: 'Patient' } },
            { resource: { resourceType: 'Patient', id: 'x', active: true }, request: { method: 'PUT', url } },
          ],
        },
        '/fhir',
      );
      expectOutcome(res, [400, 404, 422], url);
      assert.equal(await typeHistoryCount(t, 'Patient'), before, `nothing written for ${url}`);
    }
  });

  it('deeply nested JSON is not a 5xx', async () => {
    // built as text: JSON.stringify itself cannot serialise these depths
    const depth = 3000;
    const ext = '{"url":"http://example.org/n","extension":['.repeat(depth) + '{"url":"http://example.org/leaf","valueString":"x"}' + ']}'.repeat(depth);
    const res = await postResource(t, `{"resourceType":"Patient","extension":[${ext}]}`, '/fhir/Patient');
    expectNo5xx(res, 'deep extension nesting');
    const junk = '{"a":'.repeat(10000) + '1' + '}'.repeat(10000);
    const res2 = await postResource(t, `{"resourceType":"Patient","junk":${junk}}`, '/fhir/Patient');
    expectOutcome(res2, [400, 413, 422], 'deep unknown element');
  });
});

describe('server-only fields never leak', () => {
  it('a read Patient equals exactly what was posted plus id/meta', async () => {
    const posted = {
      resourceType: 'Patient',
      identifier: [{ system: 'http://example.org/mrn', value: 'leak-1' }],
      name: [{ family: 'Leak', given: ['No'] }],
      gender: 'unknown',
      birthDate: '2001-02-03',
    };
    const p = await create(t, posted);
    assertSameResource(p, posted, p.id);
    const r = await read(t, 'Patient', p.id);
    assertSameResource(r.body, posted, p.id);
    assert.deepEqual(Object.keys(r.body.meta).sort(), ['lastUpdated', 'versionId']);
    assertNoServerKeys(r.body);
    const v = await api(t).get(`/fhir/Patient/${p.id}/_history/1`);
    assertSameResource(v.body, posted, p.id);
  });

  it('history, bundle and error responses carry only FHIR keys', async () => {
    const p = await create(t, { resourceType: 'Patient', active: true });
    await putResource(t, { resourceType: 'Patient', id: p.id, active: false });
    await api(t).delete(`/fhir/Patient/${p.id}`);
    const BUNDLE_KEYS = ['resourceType', 'id', 'meta', 'implicitRules', 'language', 'identifier', 'type', 'timestamp', 'total', 'link', 'entry', 'signature'];
    const ENTRY_KEYS = ['id', 'extension', 'modifierExtension', 'link', 'fullUrl', 'resource', 'search', 'request', 'response'];
    for (const path of [`/fhir/Patient/${p.id}/_history`, '/fhir/Patient/_history', '/fhir/_history']) {
      const res = await api(t).get(path);
      expectStatus(res, 200);
      assertNoServerKeys(res.body);
      for (const k of Object.keys(res.body)) assert.ok(BUNDLE_KEYS.includes(k), `non-FHIR Bundle key ${k} in ${path}`);
      for (const e of res.body.entry ?? []) {
        for (const k of Object.keys(e)) assert.ok(ENTRY_KEYS.includes(k), `non-FHIR entry key ${k} in ${path}`);
        if (e.resource) for (const k of Object.keys(e.resource.meta ?? {})) assert.ok(['versionId', 'lastUpdated', 'source', 'profile', 'security', 'tag', 'id', 'extension'].includes(k), `meta key ${k}`);
      }
    }
    const err = await read(t, 'Patient', 'nope-nope');
    const OO_KEYS = ['resourceType', 'id', 'meta', 'implicitRules', 'language', 'text', 'contained', 'extension', 'modifierExtension', 'issue'];
    for (const k of Object.keys(err.body)) assert.ok(OO_KEYS.includes(k), `non-FHIR OperationOutcome key ${k}`);
    const ISSUE_KEYS = ['id', 'extension', 'modifierExtension', 'severity', 'code', 'details', 'diagnostics', 'location', 'expression'];
    for (const i of err.body.issue) for (const k of Object.keys(i)) assert.ok(ISSUE_KEYS.includes(k), `non-FHIR issue key ${k}`);
  });

  it('a deleted resource read (410) does not expose the deleted content or internals', async () => {
    const p = await create(t, { resourceType: 'Patient', name: [{ family: 'SecretName' }] });
    await api(t).delete(`/fhir/Patient/${p.id}`);
    const res = await read(t, 'Patient', p.id);
    expectOutcome(res, 410);
    assert.ok(!res.text.includes('SecretName'), show(res));
    assertNoServerKeys(res.body);
  });
});

describe('health', () => {
  it('GET /healthz → 200', async () => {
    expectStatus(await api(t).get('/healthz'), 200);
  });
  it('GET /readyz → 200', async () => {
    expectStatus(await api(t).get('/readyz'), 200);
  });
});
