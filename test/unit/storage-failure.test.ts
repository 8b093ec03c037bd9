/**
 * A disk that is full (or failing) refuses writes with 503 and never ends the process: the engine
 * turns lmdb's commit failure into StorageCommitFailed, the HTTP layer answers it 503 transient
 * with Retry-After, and main.ts recognises the one rejection lmdb leaves unhandled. (Filling a real
 * disk needs a small tmpfs mounted as root; test/rest/storage-failure.test.ts fakes the failure.)
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { commitFailed, EngineError } from '../../src/store/embedded/errors.js';
import { isUnreachableCommitFailure } from '../../src/store/embedded/engine.js';
import { toFhirError } from '../../src/fhir/error-handler.js';

describe('storage failures', () => {
  it('a failed commit is StorageCommitFailed, naming the cause', () => {
    const cause = Object.assign(new Error('Input/output error'), { code: 5 });
    const err = commitFailed(cause);
    assert.ok(err instanceof EngineError);
    assert.equal(err.codeName, 'StorageCommitFailed');
    assert.match(err.message, /Input\/output error/);
    assert.equal(err.cause, cause);
  });

  it('is answered 503 transient with Retry-After, saying nothing was written', () => {
    const fe = toFhirError(commitFailed(new Error('No space left on device')), 1024);
    assert.equal(fe.status, 503);
    assert.equal(fe.outcome.issue[0].code, 'transient');
    assert.match(fe.outcome.issue[0].diagnostics ?? '', /nothing was written/);
    assert.equal(fe.headers['Retry-After'], '30');
  });

  it('other unknown errors stay 500', () => {
    assert.equal(toFhirError(new Error('boom'), 1024).status, 500);
    assert.equal(toFhirError(new EngineError(2, 'BadValue', 'x'), 1024).status, 500);
  });

  it("recognises lmdb's unreachable batch rejection, and nothing else", () => {
    const lmdbError = Object.assign(new Error('Commit failed (see commitError for details)'), { commitError: Promise.resolve() });
    assert.equal(isUnreachableCommitFailure(lmdbError), true);
    assert.equal(isUnreachableCommitFailure(new Error('Commit failed (see commitError for details)')), false);
    assert.equal(isUnreachableCommitFailure(new Error('something else')), false);
    assert.equal(isUnreachableCommitFailure('Commit failed'), false);
  });
});
