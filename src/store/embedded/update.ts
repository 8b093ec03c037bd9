/**
 * Document rules shared by the write operations: validating and normalising stored documents,
 * generating ids, validating update/replacement documents, applying update operators (mingo) and
 * building upsert documents from a filter's equality conditions, all as MongoDB does.
 */
import { randomBytes } from 'node:crypto';
import { update as mingoUpdate } from 'mingo';
import { isEqual } from 'mingo/util';
import type { Doc, Filter, UpdateDoc } from '../database.js';
import { badValue, EngineError, failedToParse, immutableField, wrapMingoError } from './errors.js';

const UPDATE_OPERATORS = new Set([
  '$set', '$unset', '$inc', '$mul', '$min', '$max', '$push', '$pull', '$pullAll', '$addToSet',
  '$pop', '$rename', '$currentDate', '$bit', '$setOnInsert',
]);

const MAX_DEPTH = 100;

const processRandom = randomBytes(5).toString('hex');
let counter = randomBytes(3).readUIntBE(0, 3);

/** A new id shaped like an ObjectId's hex string: seconds, per-process random, counter. */
export function newObjectId(): string {
  counter = (counter + 1) % 0xffffff;
  const time = Math.floor(Date.now() / 1000).toString(16).padStart(8, '0');
  return time + processRandom + counter.toString(16).padStart(6, '0');
}

export const isPlainObject = (v: unknown): v is Record<string, unknown> => {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return false;
  const proto: unknown = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
};

function cloneValue(v: unknown, depth: number): unknown {
  if (depth > MAX_DEPTH) throw badValue(`document exceeds the maximum nesting depth of ${MAX_DEPTH}`);
  if (v === undefined) return null; // the driver serialises undefined as null
  if (v === null || typeof v !== 'object') return v;
  if (v instanceof Date) return new Date(v.getTime());
  if (v instanceof Uint8Array) return Buffer.from(v);
  if (v instanceof RegExp) return v;
  if (Array.isArray(v)) {
    const out = new Array<unknown>(v.length);
    for (let i = 0; i < v.length; i++) out[i] = cloneValue(v[i], depth + 1);
    return out;
  }
  return cloneFields({}, v as Record<string, unknown>, depth, false);
}

/** Copies the own fields of `v` into `out` (cloned, checked), leaving out `_id` if asked. */
function cloneFields(out: Record<string, unknown>, v: Record<string, unknown>, depth: number, skipId: boolean): Record<string, unknown> {
  for (const k in v) {
    if (!Object.prototype.hasOwnProperty.call(v, k) || (skipId && k === '_id')) continue;
    if (k.charCodeAt(0) === 36 /* $ */) throw badValue(`Document can't have $ prefixed field names: ${k}`);
    const x = v[k];
    if (typeof x === 'function' || typeof x === 'symbol') continue;
    out[k] = cloneValue(x, depth + 1);
  }
  return out;
}

export function checkId(id: unknown): void {
  if (Array.isArray(id)) throw badValue("The '_id' value cannot be of type array");
  if (id instanceof RegExp) throw badValue("The '_id' value cannot be of type regex");
  if (id === undefined) throw badValue("The '_id' value cannot be undefined");
}

/** A validated deep copy in stored form: `_id` first, undefined as null, no `$` field names. */
export function toStored(doc: unknown, id: unknown): Doc {
  if (!isPlainObject(doc)) throw badValue('document must be an object');
  checkId(id);
  return cloneFields({ _id: cloneValue(id, 1) }, doc, 0, true) as Doc;
}

/** Prepares a document for insertion; like the driver, assigns `_id` on the caller's object. */
export function prepareInsert(doc: Doc): Doc {
  if (!isPlainObject(doc)) throw badValue('document must be an object');
  if (doc._id === undefined) doc._id = newObjectId();
  return toStored(doc, doc._id);
}

export function checkUpdate(update: UpdateDoc): void {
  if (Array.isArray(update)) throw badValue('pipeline-style updates are not supported by the embedded engine');
  if (!isPlainObject(update)) throw badValue('Update document must be an object');
  const ops = Object.keys(update);
  if (ops.length === 0 || !ops.every((k) => k.startsWith('$'))) throw badValue('Update document requires atomic operators');
  for (const op of ops) {
    if (!UPDATE_OPERATORS.has(op)) {
      throw failedToParse(`Unknown modifier: ${op}. Expected a valid update modifier or pipeline-style update specified as an array`);
    }
    if (!isPlainObject(update[op])) throw failedToParse(`Modifiers operate on fields but we found another type instead: {${op}: ...}`);
  }
}

export function checkReplacement(doc: Doc): void {
  if (!isPlainObject(doc)) throw badValue('Replacement document must be an object');
  if (Object.keys(doc).some((k) => k.startsWith('$'))) throw badValue('Replacement document must not contain atomic operators');
}

const hasPositional = (mod: Record<string, Record<string, unknown>>): boolean =>
  Object.values(mod).some((expr) => Object.keys(expr).some((path) => /(^|\.)\$(\.|$)/.test(path)));

/**
 * Applies update operators to `doc` (which it may modify). `inserting` means an upsert is creating
 * the document, so `$setOnInsert` applies and `_id` may be set. Returns the new stored document.
 */
export function applyUpdate(doc: Doc, update: UpdateDoc, filter: Filter, inserting: boolean): { doc: Doc; changed: boolean } {
  const mod: Record<string, Record<string, unknown>> = {};
  for (const [op, expr] of Object.entries(update) as [string, Record<string, unknown>][]) {
    if (op !== '$setOnInsert') mod[op] = { ...expr };
  }
  const onInsert = update.$setOnInsert as Record<string, unknown> | undefined;
  if (inserting && onInsert) {
    const set = (mod.$set ??= {});
    for (const [path, v] of Object.entries(onInsert)) {
      if (path in set) throw new EngineError(40, 'ConflictingUpdateOperators', `Updating the path '${path}' would create a conflict at '${path}'`);
      set[path] = v;
    }
  }
  if (mod.$set && '_id' in mod.$set) {
    const id = mod.$set._id;
    if (doc._id === undefined && inserting) doc._id = id;
    else if (!isEqual(id, doc._id)) throw immutableField();
    delete mod.$set._id;
  }
  for (const op of Object.keys(mod)) if (Object.keys(mod[op]).length === 0) delete mod[op];
  if (Object.keys(mod).length === 0) return { doc, changed: false };
  let fields: string[];
  try {
    fields = mingoUpdate(doc, mod, undefined, hasPositional(mod) ? filter : undefined, { cloneMode: 'deep' });
  } catch (err) {
    throw wrapMingoError(err);
  }
  return { doc, changed: fields.length > 0 };
}

function setPath(target: Doc, path: string, value: unknown): void {
  const segs = path.split('.');
  let cur: Record<string, unknown> = target;
  for (const seg of segs.slice(0, -1)) {
    if (!isPlainObject(cur[seg])) cur[seg] = {};
    cur = cur[seg] as Record<string, unknown>;
  }
  cur[segs[segs.length - 1]] = structuredClone(value);
}

function seedFrom(filter: Filter, seed: Doc): void {
  for (const [k, v] of Object.entries(filter)) {
    if (k === '$and' && Array.isArray(v)) {
      for (const sub of v) if (isPlainObject(sub)) seedFrom(sub, seed);
    } else if (k.startsWith('$')) continue;
    else if (isPlainObject(v) && Object.keys(v).some((x) => x.startsWith('$'))) {
      if ('$eq' in v) setPath(seed, k, v.$eq);
    } else if (!(v instanceof RegExp)) setPath(seed, k, v);
  }
}

/** The document an upsert starts from: the equality conditions of its filter. */
export function upsertSeed(filter: Filter): Doc {
  const seed: Doc = {};
  seedFrom(filter ?? {}, seed);
  return seed;
}
