/**
 * Errors thrown by the embedded engine, shaped like the driver's MongoServerError: a numeric `code`
 * and `codeName` (11000 DuplicateKey carries `keyPattern` and `keyValue` too), so code above the
 * Database interface handles both engines alike.
 */
import { MingoError } from 'mingo/util';

export class EngineError extends Error {
  readonly code: number;
  readonly codeName: string;
  keyPattern?: Record<string, 1 | -1>;
  keyValue?: Record<string, unknown>;
  /** Like the driver's: 'TransientTransactionError' means the whole transaction may be retried. */
  errorLabels?: string[];

  constructor(code: number, codeName: string, message: string) {
    super(message);
    this.name = 'EmbeddedEngineError';
    this.code = code;
    this.codeName = codeName;
  }
}

export const badValue = (msg: string): EngineError => new EngineError(2, 'BadValue', msg);
export const failedToParse = (msg: string): EngineError => new EngineError(9, 'FailedToParse', msg);
export const immutableField = (field = '_id'): EngineError =>
  new EngineError(66, 'ImmutableField', `Performing an update on the path '${field}' would modify the immutable field '${field}'`);
export const noSuchTransaction = (msg: string): EngineError => new EngineError(251, 'NoSuchTransaction', msg);

/**
 * A transaction read through an earlier transaction's pending commit, and that commit failed: its
 * reads described a state that never existed, so it is rejected (code 112 WriteConflict with the
 * TransientTransactionError label, as MongoDB reports write conflicts; retrying is safe).
 */
export function dependencyFailed(txn: number, dependency: number): EngineError {
  const err = new EngineError(
    112,
    'WriteConflict',
    `Transaction ${txn} was aborted: it read the uncommitted writes of transaction ${dependency}, whose commit failed; nothing was written, retry the transaction`,
  );
  err.errorLabels = ['TransientTransactionError'];
  return err;
}

/**
 * lmdb could not commit the batch this write was in (disk full, I/O error): nothing of it was
 * written. `cause` is lmdb's own error.
 */
export function commitFailed(cause: unknown): EngineError {
  const detail = cause instanceof Error ? cause.message : String(cause);
  const err = new EngineError(14031, 'StorageCommitFailed', `The embedded store could not commit to disk (${detail}); nothing was written`);
  err.cause = cause;
  return err;
}

/** Renders a value the way the server prints dup keys: { field: "value" }. */
function show(v: unknown): string {
  if (v === undefined) return 'null';
  if (v instanceof Date) return `new Date(${v.getTime()})`;
  try {
    return JSON.stringify(v) ?? String(v);
  } catch {
    return String(v);
  }
}

export function duplicateKeyError(
  collection: string,
  indexName: string,
  fields: string[],
  values: unknown[],
): EngineError {
  const pairs = fields.map((f, i) => `${f}: ${show(values[i])}`).join(', ');
  const err = new EngineError(
    11000,
    'DuplicateKey',
    `E11000 duplicate key error collection: ${collection} index: ${indexName} dup key: { ${pairs} }`,
  );
  err.keyPattern = Object.fromEntries(fields.map((f) => [f, 1 as const]));
  err.keyValue = Object.fromEntries(fields.map((f, i) => [f, values[i] === undefined ? null : values[i]]));
  return err;
}

/** Wraps mingo's own errors (bad operators, update conflicts) as BadValue-style engine errors. */
export function wrapMingoError(err: unknown): unknown {
  if (err instanceof MingoError) {
    const msg = err.message;
    if (/immutable field/i.test(msg)) return immutableField();
    if (/would create a conflict/i.test(msg)) return new EngineError(40, 'ConflictingUpdateOperators', msg);
    return badValue(msg);
  }
  return err;
}
