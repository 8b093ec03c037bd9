/**
 * The write operations, run synchronously against a write layer (an OverlayView over whatever state
 * the operation may see). They read through the view, check unique indexes, and record changes in
 * the layer; a thrown error leaves the layer to be discarded, so an operation is all-or-nothing.
 */
import { isEqual } from 'mingo/util';
import type { Doc, Filter, SortSpec, UpdateDoc, UpdateResult } from '../database.js';
import { badValue, duplicateKeyError, immutableField } from './errors.js';
import { checkAllUnique } from './indexes.js';
import { encodeId, keyString } from './keys.js';
import type { CollOverlay, OverlayView } from './overlay.js';
import { matching, sortDocs } from './query.js';
import { applyUpdate, checkReplacement, checkUpdate, newObjectId, prepareInsert, toStored, upsertSeed } from './update.js';

export interface WriteLayer {
  view: OverlayView;
  overlay: CollOverlay;
}

export interface UpdateOutcome extends UpdateResult {
  acknowledged: true;
  upsertedId: unknown;
  before: Doc | null;
  after: Doc | null;
}

function idKeyOf(id: unknown): Buffer {
  try {
    return encodeId(id);
  } catch (err) {
    throw badValue(err instanceof Error ? err.message : String(err));
  }
}

/** Records a new version of an existing document (same _id). */
function replaceDoc(layer: WriteLayer, doc: Doc): void {
  const idKey = idKeyOf(doc._id);
  const ks = keyString(idKey);
  checkAllUnique(layer.view, doc, ks);
  layer.overlay.set(idKey, ks, doc);
}

/** Records a brand-new document, enforcing the implicit unique `_id_` index. */
function insertDoc(layer: WriteLayer, doc: Doc): void {
  const idKey = idKeyOf(doc._id);
  const ks = keyString(idKey);
  if (layer.view.get(idKey, ks) !== undefined) {
    throw duplicateKeyError(layer.view.store.namespace, '_id_', ['_id'], [doc._id]);
  }
  checkAllUnique(layer.view, doc, ks);
  layer.overlay.set(idKey, ks, doc);
}

export function insertDocs(layer: WriteLayer, docs: Doc[]): unknown[] {
  if (!Array.isArray(docs)) throw badValue('insertMany expects an array of documents');
  if (docs.length === 0) throw badValue('Invalid BulkOperation, Batch cannot be empty');
  const ids: unknown[] = [];
  for (const raw of docs) {
    const doc = prepareInsert(raw);
    insertDoc(layer, doc);
    ids.push(doc._id);
  }
  return ids;
}

function firstMatch(layer: WriteLayer, filter: Filter, sort?: SortSpec): Doc | undefined {
  if (sort && Object.keys(sort).length) return sortDocs(matching(layer.view, filter), sort)[0];
  return matching(layer.view, filter, 1)[0];
}

const outcome = (matched: number, modified: number, upsertedId: unknown, before: Doc | null, after: Doc | null): UpdateOutcome => ({
  acknowledged: true,
  matchedCount: matched,
  modifiedCount: modified,
  upsertedCount: upsertedId === undefined ? 0 : 1,
  upsertedId: upsertedId === undefined ? null : upsertedId,
  before,
  after,
});

export function updateOneOp(layer: WriteLayer, filter: Filter, update: UpdateDoc, upsert: boolean, sort?: SortSpec): UpdateOutcome {
  checkUpdate(update);
  const target = firstMatch(layer, filter, sort);
  if (target) {
    const { doc, changed } = applyUpdate(structuredClone(target), update, filter, false);
    if (!isEqual(doc._id, target._id)) throw immutableField();
    if (!changed) return outcome(1, 0, undefined, target, target);
    const stored = toStored(doc, target._id);
    replaceDoc(layer, stored);
    return outcome(1, 1, undefined, target, stored);
  }
  if (!upsert) return outcome(0, 0, undefined, null, null);
  const { doc } = applyUpdate(upsertSeed(filter), update, filter, true);
  const stored = toStored(doc, doc._id === undefined ? newObjectId() : doc._id);
  insertDoc(layer, stored);
  return outcome(0, 0, stored._id, null, stored);
}

export function replaceOneOp(layer: WriteLayer, filter: Filter, replacement: Doc, upsert: boolean): UpdateOutcome {
  checkReplacement(replacement);
  const target = firstMatch(layer, filter);
  if (target) {
    if (replacement._id !== undefined && !isEqual(replacement._id, target._id)) throw immutableField();
    const stored = toStored(replacement, target._id);
    if (isEqual(stored, target) && Object.keys(stored).join() === Object.keys(target).join()) {
      return outcome(1, 0, undefined, target, target);
    }
    replaceDoc(layer, stored);
    return outcome(1, 1, undefined, target, stored);
  }
  if (!upsert) return outcome(0, 0, undefined, null, null);
  const seedId = upsertSeed(filter)._id;
  const id = replacement._id ?? seedId ?? newObjectId();
  const stored = toStored(replacement, id);
  insertDoc(layer, stored);
  return outcome(0, 0, stored._id, null, stored);
}

export function deleteOp(layer: WriteLayer, filter: Filter, many: boolean): number {
  const docs = matching(layer.view, filter, many ? Infinity : 1);
  for (const doc of docs) {
    const idKey = idKeyOf(doc._id);
    layer.overlay.set(idKey, keyString(idKey), null);
  }
  return docs.length;
}
