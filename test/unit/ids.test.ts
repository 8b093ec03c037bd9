import { it } from 'node:test';
import assert from 'node:assert/strict';
import { newResourceId } from '../../src/store/ids.js';
import { isValidId } from '../../src/fhir/ids.js';

it('server ids are valid FHIR ids, UUIDv7, unique and increasing', () => {
  const ids = Array.from({ length: 20_000 }, () => newResourceId());
  for (const id of ids.slice(0, 100)) {
    assert.ok(isValidId(id), id);
    assert.match(id, /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  }
  assert.equal(new Set(ids).size, ids.length);
  for (let i = 1; i < ids.length; i++) assert.ok(ids[i - 1] < ids[i], `${ids[i - 1]} < ${ids[i]}`);
  const ms = parseInt(ids[0].replace(/-/g, '').slice(0, 12), 16);
  assert.ok(Math.abs(ms - Date.now()) < 60_000);
});
