/**
 * Every example resource in ../shared/data/fhir-r4-examples/*.json (135 files, 124 types) and
 * fhir-r4-examples/official/*.json (166 files, byte-for-byte from hl7.fhir.r4.examples@4.0.1) is
 * POSTed to /fhir/{resourceType} without its id and must answer 201 with a Location
 * `{Type}/{id}/_history/1`; the resource read back must deep-equal the posted one except `id` and the
 * server-owned `meta.versionId` / `meta.lastUpdated`. Other meta (tag, profile, security, source)
 * must be kept as posted.
 *
 * The server validates on write (R4 JSON schema), so an example that is not valid R4 is listed in
 * KNOWN_INVALID with the reason, and must get 400 with an OperationOutcome naming the element.
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
  parseLocation,
  withoutServerFields,
  type JsonObject,
} from './lib.js';

const EXAMPLES_DIR = path.join(dataDir, 'fhir-r4-examples');

/**
 * Examples that are not valid R4, with the reason and the element the OperationOutcome must name.
 * Keys are paths relative to fhir-r4-examples/. Each must be rejected with 400 + OperationOutcome.
 *
 * The three Questionnaires are the spec's auto-generated "questionnaire for resource X" examples:
 * their nested display items have no linkId, and Questionnaire.item.linkId is 1..1 in R4. The
 * published fhir.schema.json does not list required primitives (they may appear as `_linkId` only);
 * the server's R4 schema adds them (src/fhir/schema/build.ts), which is what R4 says.
 *
 * Not an exception: structuredefinition-example-composition.json has `_profile` on
 * ElementDefinition.type (extensions on a canonical). The published fhir.schema.json forgets the
 * `_x` twins of canonical elements, but R4 JSON allows `_x` for every primitive, and the server
 * adds them; it must be accepted and read back unchanged.
 */
const KNOWN_INVALID: Record<string, { reason: string; element: string }> = {
  'medicinalproductcontraindication-questionnaire.json': {
    reason: '21 nested items without linkId (Questionnaire.item.linkId is 1..1)',
    element: 'Questionnaire.item[0].item[0].linkId',
  },
  'practitionerrole-questionnaire.json': {
    reason: '36 nested items without linkId (Questionnaire.item.linkId is 1..1)',
    element: 'Questionnaire.item[0].item[0].linkId',
  },
  'specimendefinition-questionnaire.json': {
    reason: '48 nested items without linkId (Questionnaire.item.linkId is 1..1)',
    element: 'Questionnaire.item[0].item[0].linkId',
  },
};

const files = [
  ...fs
    .readdirSync(EXAMPLES_DIR)
    .filter((f) => f.endsWith('.json'))
    .sort(),
  ...fs
    .readdirSync(path.join(EXAMPLES_DIR, 'official'))
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => `official/${f}`),
];

describe('FHIR R4 examples: create and read back', { timeout: 120_000 }, () => {
  const ctx = useListeningApp();

  it('the data set is complete (135 + 166 files) and every known exception exists', () => {
    assert.equal(files.filter((f) => !f.startsWith('official/')).length, 135);
    assert.equal(files.filter((f) => f.startsWith('official/')).length, 166);
    for (const f of Object.keys(KNOWN_INVALID)) assert.ok(files.includes(f), `known exception ${f} is not in the data`);
  });

  for (const file of files) {
    const invalid = KNOWN_INVALID[file];
    const title = invalid ? `${file}: invalid R4 (${invalid.reason}) -> 400 OperationOutcome` : `${file}: POST -> 201, read back equal`;
    it(title, async () => {
      const original = JSON.parse(fs.readFileSync(path.join(EXAMPLES_DIR, file), 'utf8')) as JsonObject;
      const type = original.resourceType as string;
      const posted: JsonObject = { ...original };
      delete posted.id;

      const res = await request(ctx.server)
        .post(`${ctx.t.base}/${type}`)
        .set('Content-Type', FHIR_JSON)
        .set('Accept', FHIR_JSON)
        .buffer(true)
        .parse(jsonParser)
        .send(JSON.stringify(posted));
      const body = res.body as JsonObject;

      if (invalid) {
        assert.equal(res.status, 400, `POST ${ctx.t.base}/${type} (${file}, ${invalid.reason}): expected 400, got ${res.status}`);
        assert.equal(body?.resourceType, 'OperationOutcome', `expected an OperationOutcome, got ${JSON.stringify(body).slice(0, 300)}`);
        const issues = (body.issue ?? []) as JsonObject[];
        assert.ok(
          issues.some((i) => i.severity === 'error' || i.severity === 'fatal'),
          `OperationOutcome has no error issue: ${JSON.stringify(body).slice(0, 500)}`,
        );
        assert.ok(
          issues.some((i) => JSON.stringify([i.expression, i.location, i.diagnostics]).includes(invalid.element)),
          `no issue names ${invalid.element}: ${JSON.stringify(body).slice(0, 500)}`,
        );
        return;
      }

      assert.equal(res.status, 201, `POST ${ctx.t.base}/${type} (${file}): expected 201, got ${res.status}: ${JSON.stringify(body).slice(0, 1500)}`);
      const location = res.headers.location;
      const loc = parseLocation(location, ctx.publicBase);
      assert.ok(loc, `Location ${JSON.stringify(location)} is not ${ctx.publicBase}/${type}/{id}/_history/{v}`);
      assert.equal(loc.type, type);
      assert.equal(loc.version, '1');
      if (original.id !== undefined) assert.notEqual(loc.id, original.id, 'the ctx.server must assign its own id on create');

      const got = await request(ctx.server).get(`${ctx.t.base}/${type}/${loc.id}`).set('Accept', FHIR_JSON).buffer(true).parse(jsonParser);
      const actual = got.body as JsonObject;
      assert.equal(got.status, 200, `GET ${ctx.t.base}/${type}/${loc.id}: expected 200, got ${got.status}: ${JSON.stringify(actual).slice(0, 500)}`);
      assert.equal(actual.resourceType, type);
      assert.equal(actual.id, loc.id);
      const meta = (actual.meta ?? {}) as JsonObject;
      assert.equal(meta.versionId, '1', 'meta.versionId');
      assert.ok(isInstant(meta.lastUpdated), `meta.lastUpdated ${JSON.stringify(meta.lastUpdated)} is not an instant`);
      if (original.meta && (original.meta as JsonObject).lastUpdated !== undefined) {
        assert.notEqual(meta.lastUpdated, (original.meta as JsonObject).lastUpdated, "meta.lastUpdated must be the ctx.server's, not the client's");
      }

      const diffs = diffPaths(withoutServerFields(original), withoutServerFields(actual), 15);
      assert.deepEqual(diffs, [], `GET ${ctx.t.base}/${type}/${loc.id} (${file}) differs from what was posted`);
    });
  }
});
