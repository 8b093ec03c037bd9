import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { coversAll, narrowScopes } from '../../src/auth/scopes.js';

const narrow = (requested: string, allowed: string, options?: Parameters<typeof narrowScopes>[2]) =>
  narrowScopes(requested.split(' '), allowed.split(' '), options);

describe('narrowScopes: what requested and allowed scopes have in common', () => {
  it('a scope wholly allowed is kept as written (v1 too)', () => {
    assert.deepEqual(narrow('patient/Observation.read', 'patient/*.rs'), ['patient/Observation.read']);
    assert.deepEqual(narrow('patient/*.rs', 'patient/*.cruds'), ['patient/*.rs']);
    assert.deepEqual(narrow('system/Patient.rs', 'system/*.cruds'), ['system/Patient.rs']);
  });

  it('letters are intersected', () => {
    assert.deepEqual(narrow('patient/*.cruds', 'patient/*.rs'), ['patient/*.rs']);
    assert.deepEqual(narrow('user/*.write', 'user/*.rs user/Observation.cu'), ['user/Observation.cu']);
    assert.deepEqual(narrow('patient/*.c', 'patient/*.rs'), []);
  });

  it('letters of several limits of one type are merged', () => {
    assert.deepEqual(narrow('patient/*.rs', 'patient/*.r patient/*.s'), ['patient/*.rs']);
  });

  it('a requested wildcard under typed limits yields each typed scope it covers', () => {
    assert.deepEqual(narrow('system/*.cruds', 'system/Patient.rs'), ['system/Patient.rs']);
    assert.deepEqual(narrow('system/*.cruds', 'system/Patient.rs system/Observation.r'), ['system/Patient.rs', 'system/Observation.r']);
    assert.deepEqual(narrow('system/*.cruds', 'system/*.rs system/Observation.cruds'), ['system/*.rs', 'system/Observation.cruds']);
    assert.deepEqual(narrow('system/*.c', 'system/*.rs system/Observation.cruds'), ['system/Observation.c']);
  });

  it('a typed piece another piece of the same request covers is dropped', () => {
    assert.deepEqual(narrow('system/*.r', 'system/*.rs system/Observation.cruds'), ['system/*.r']);
    assert.deepEqual(narrow('system/Observation.cruds', 'system/*.rs system/Observation.cruds'), ['system/Observation.cruds']);
  });

  it('the authorize case: patient/*.read for a client registered for patient/Observation.rs', () => {
    assert.deepEqual(narrow('openid patient/*.read', 'openid patient/Observation.rs'), ['openid', 'patient/Observation.rs']);
  });

  it('other types and contexts have nothing in common', () => {
    assert.deepEqual(narrow('system/Encounter.c', 'system/Observation.cruds'), []);
    assert.deepEqual(narrow('user/*.rs', 'patient/*.cruds'), []);
  });

  it('restrictions are kept when compatible: one side has none, or both the same', () => {
    assert.deepEqual(narrow('patient/Observation.rs?category=laboratory', 'patient/*.cruds'), ['patient/Observation.rs?category=laboratory']);
    assert.deepEqual(narrow('patient/*.rs', 'patient/Observation.rs?category=laboratory'), ['patient/Observation.rs?category=laboratory']);
    assert.deepEqual(narrow('patient/Observation.cruds?category=laboratory', 'patient/Observation.rs?category=laboratory'), ['patient/Observation.rs?category=laboratory']);
    assert.deepEqual(narrow('patient/Observation.rs?category=vital-signs', 'patient/Observation.rs?category=laboratory'), []);
  });

  it('non-resource scopes are kept only when allowed; repeats are dropped', () => {
    assert.deepEqual(narrow('openid launch offline_access', 'openid offline_access'), ['openid', 'offline_access']);
    assert.deepEqual(narrow('patient/*.rs patient/*.rs', 'patient/*.rs'), ['patient/*.rs']);
  });

  it('contexts: resource scopes of other contexts are dropped, other scopes stay', () => {
    assert.deepEqual(narrow('openid system/*.rs patient/*.rs', 'openid system/*.cruds patient/*.rs', { contexts: ['patient', 'user'] }), ['openid', 'patient/*.rs']);
  });
});

describe('coversAll', () => {
  it('true only when every requested scope is wholly allowed', () => {
    assert.equal(coversAll(['system/*.cruds'], ['system/Patient.rs']), true);
    assert.equal(coversAll(['patient/*.r', 'patient/*.s'], ['patient/*.rs']), true);
    assert.equal(coversAll(['system/Patient.rs'], ['system/*.rs']), false);
    assert.equal(coversAll(['patient/*.rs'], ['patient/*.cruds']), false);
    assert.equal(coversAll(['openid'], ['openid', 'fhirUser']), false);
    assert.equal(coversAll(['patient/Observation.rs?category=laboratory'], ['patient/Observation.rs']), false);
    assert.equal(coversAll(['patient/Observation.rs'], ['patient/Observation.rs?category=laboratory']), true);
  });
});
