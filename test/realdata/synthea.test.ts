/**
 * Every Synthea patient bundle (../shared/data/synthea, 30 transaction Bundles, 6,878 entries) is
 * POSTed to the base as a transaction. Each must answer 200 with a transaction-response whose
 * entries, in request order, are all 201 with a location `{Type}/{id}/_history/1`. Then every
 * created resource is read back (vread of its location, and a plain read) and must deep-equal what
 * was posted, except: `id` (server-assigned), `meta.versionId` / `meta.lastUpdated` (server-owned),
 * and references `urn:uuid:X`, which must have become `{Type}/{newid}` of the entry whose fullUrl
 * was X. The expected resource is computed from the original with exactly those rewrites; nothing
 * else may differ (the Synthea `meta.tag` must survive, key order aside).
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import request from 'supertest';
import {
  FHIR_JSON,
  dataDir,
  diffPaths,
  isInstant,
  jsonParser,
  useListeningApp,
  mapLimit,
  parseLocation,
  rewriteReferences,
  withoutServerFields,
  type Json,
  type JsonObject,
} from './lib.js';

const SYNTHEA_DIR = path.join(dataDir, 'synthea');
const files = fs
  .readdirSync(SYNTHEA_DIR)
  .filter((f) => f.endsWith('.json'))
  .sort();

/** Parallel read-backs per bundle (in-process server; keeps the whole file well under 60 s). */
const READ_CONCURRENCY = 8;

interface Bundle {
  resourceType: 'Bundle';
  type: string;
  entry: { fullUrl: string; resource: JsonObject; request: { method: string; url: string } }[];
}

describe('Synthea transaction bundles (30 patients, 6,878 entries)', { timeout: 120_000 }, () => {
  const ctx = useListeningApp();

  const allCreated = new Set<string>();
  let totalEntries = 0;

  it('the data set is complete (30 bundles, 6,878 entries)', () => {
    assert.equal(files.length, 30, `expected 30 bundles in ${SYNTHEA_DIR}`);
    let n = 0;
    for (const f of files) n += (JSON.parse(fs.readFileSync(path.join(SYNTHEA_DIR, f), 'utf8')) as Bundle).entry.length;
    assert.equal(n, 6878);
  });

  for (const file of files) {
    it(`${file}: transaction -> 200, every entry 201, every resource reads back exactly`, async () => {
      const text = fs.readFileSync(path.join(SYNTHEA_DIR, file), 'utf8');
      const bundle = JSON.parse(text) as Bundle;
      assert.equal(bundle.type, 'transaction');

      const res = await request(ctx.server)
        .post(ctx.t.base)
        .set('Content-Type', FHIR_JSON)
        .set('Accept', FHIR_JSON)
        .buffer(true)
        .parse(jsonParser)
        .send(text);
      const body = res.body as JsonObject;
      assert.equal(res.status, 200, `POST ${ctx.t.base} (${file}): expected 200, got ${res.status}: ${JSON.stringify(body).slice(0, 2000)}`);
      assert.equal(body?.resourceType, 'Bundle', 'response is a Bundle');
      assert.equal(body.type, 'transaction-response', 'response Bundle.type');
      const entries = (body.entry ?? []) as JsonObject[];
      assert.equal(entries.length, bundle.entry.length, 'one response entry per request entry');

      // fullUrl -> Type/newid, from the response (entries are in request order).
      const refMap = new Map<string, string>();
      const created: { type: string; id: string; version: string; original: JsonObject; fullUrl: string }[] = [];
      const statusProblems: string[] = [];
      bundle.entry.forEach((reqEntry, i) => {
        const r = (entries[i]?.response ?? {}) as JsonObject;
        const status = String(r.status ?? '');
        const loc = parseLocation(r.location, ctx.publicBase);
        const type = reqEntry.resource.resourceType as string;
        if (!/^201(\s|$)/.test(status)) statusProblems.push(`entry ${i} (${type}): status ${JSON.stringify(r.status)}`);
        else if (!loc) statusProblems.push(`entry ${i} (${type}): location ${JSON.stringify(r.location)} is not {Type}/{id}/_history/{v}`);
        else if (loc.type !== type) statusProblems.push(`entry ${i}: location type ${loc.type}, posted ${type}`);
        else if (loc.version !== '1') statusProblems.push(`entry ${i} (${type}): location version ${loc.version}, expected 1`);
        else if (loc.id === reqEntry.resource.id) statusProblems.push(`entry ${i} (${type}): ctx.server kept the client id ${loc.id} on POST`);
        else {
          refMap.set(reqEntry.fullUrl, `${loc.type}/${loc.id}`);
          created.push({ ...loc, original: reqEntry.resource, fullUrl: reqEntry.fullUrl });
        }
      });
      assert.deepEqual(statusProblems.slice(0, 20), [], `${statusProblems.length} bad response entries`);

      for (const c of created) {
        const key = `${c.type}/${c.id}`;
        assert.ok(!allCreated.has(key), `${key} assigned twice`);
        allCreated.add(key);
      }
      totalEntries += created.length;

      const problems: string[] = [];
      await mapLimit(created, READ_CONCURRENCY, async (c) => {
        const expected = withoutServerFields(c.original);
        rewriteReferences(expected as Json, refMap);
        for (const url of [`${ctx.t.base}/${c.type}/${c.id}/_history/${c.version}`, `${ctx.t.base}/${c.type}/${c.id}`]) {
          const got = await request(ctx.server).get(url).set('Accept', FHIR_JSON).buffer(true).parse(jsonParser);
          const actual = got.body as JsonObject;
          if (got.status !== 200) {
            problems.push(`GET ${url} (${c.fullUrl}): expected 200, got ${got.status} ${JSON.stringify(actual).slice(0, 300)}`);
            continue;
          }
          const meta = (actual?.meta ?? {}) as JsonObject;
          if (actual?.id !== c.id) problems.push(`GET ${url}: id ${JSON.stringify(actual?.id)}, expected ${c.id}`);
          if (meta.versionId !== c.version) problems.push(`GET ${url}: meta.versionId ${JSON.stringify(meta.versionId)}, expected "${c.version}"`);
          if (!isInstant(meta.lastUpdated)) problems.push(`GET ${url}: meta.lastUpdated ${JSON.stringify(meta.lastUpdated)} is not an instant`);
          const diffs = diffPaths(expected, withoutServerFields(actual));
          if (diffs.length) problems.push(`GET ${url} (${c.fullUrl}) differs from what was posted:\n    ${diffs.join('\n    ')}`);
        }
      });
      assert.equal(problems.length, 0, `${problems.length} read-back problems in ${file}; first ones:\n  ${problems.slice(0, 8).join('\n  ')}`);
    });
  }

  it('every entry of every bundle was created under its own new id', () => {
    assert.equal(totalEntries, 6878);
    assert.equal(allCreated.size, 6878);
  });
});
