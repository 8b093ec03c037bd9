/**
 * Secondary index keys: which entries a document produces for an index (multikey over arrays like
 * MongoDB), unique-constraint probes against a view, and applying entry diffs on commit.
 */
import type { Doc } from '../database.js';
import { duplicateKeyError } from './errors.js';
import { EMPTY_ARRAY, encodeFull, encodeTuple, entryKey, keyString, prefixEnd } from './keys.js';
import type { CollStore, IndexDef, View } from './store.js';

export interface IndexEntry {
  /** Encoded (cut) tuple. */
  tuple: Buffer;
  /** The first value tuple encoding to it. */
  values: unknown[];
  /** Every distinct value tuple of the document encoding to it (more than one only when cut). */
  variants: unknown[][];
}

export interface DocEntries {
  /** Distinct entries keyed by the latin1 form of their (cut) tuple. */
  entries: Map<string, IndexEntry>;
  multikey: boolean;
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Date) && !(v instanceof Uint8Array);

/** Values a document holds at a dotted path, one per array element (MongoDB multikey rules). */
const segments = new Map<string, string[]>();

export function pathValues(doc: Doc, path: string): { values: unknown[]; multi: boolean } {
  let segs = segments.get(path);
  if (!segs) {
    segs = path.split('.');
    if (segments.size < 10_000) segments.set(path, segs);
  }
  const out: unknown[] = [];
  const state = { multi: false };
  collect(doc, segs, 0, out, state);
  return { values: out, multi: state.multi };
}

function collect(value: unknown, segs: string[], i: number, out: unknown[], state: { multi: boolean }): void {
  if (i === segs.length) {
    if (Array.isArray(value)) {
      state.multi = true;
      if (value.length === 0) out.push(EMPTY_ARRAY);
      else for (const el of value) out.push(el);
    } else out.push(value);
    return;
  }
  const seg = segs[i];
  if (Array.isArray(value)) {
    state.multi = true;
    const before = out.length;
    if (/^\d+$/.test(seg) && Number(seg) < value.length) collect(value[Number(seg)], segs, i + 1, out, state);
    for (const el of value) if (isObject(el)) collect(el[seg], segs, i + 1, out, state);
    if (out.length === before) out.push(undefined);
    return;
  }
  if (isObject(value)) collect(value[seg], segs, i + 1, out, state);
  else out.push(undefined);
}

const MAX_ENTRIES_PER_DOC = 10_000;

/** Value tuples of a document for an index: the cross product of each field's values. */
function tuples(def: IndexDef, doc: Doc): { list: unknown[][]; multi: boolean } {
  if (def.fields.length === 1) {
    // one field: its values are the tuples (no cross product to build)
    const pv = pathValues(doc, def.fields[0]);
    if (pv.values.length > MAX_ENTRIES_PER_DOC) throw new RangeError(`index ${def.name}: document would produce more than ${MAX_ENTRIES_PER_DOC} keys`);
    return { list: pv.values.map((v) => [v]), multi: pv.multi };
  }
  let list: unknown[][] = [[]];
  let multi = false;
  for (const field of def.fields) {
    const pv = pathValues(doc, field);
    multi ||= pv.multi;
    const next: unknown[][] = [];
    for (const t of list) for (const v of pv.values) next.push([...t, v]);
    if (next.length > MAX_ENTRIES_PER_DOC) throw new RangeError(`index ${def.name}: document would produce more than ${MAX_ENTRIES_PER_DOC} keys`);
    list = next;
  }
  return { list, multi };
}

export function docEntries(def: IndexDef, doc: Doc): DocEntries {
  const { list, multi } = tuples(def, doc);
  const entries = new Map<string, IndexEntry>();
  for (const values of list) {
    const tuple = encodeTuple(values);
    const ks = keyString(tuple);
    const e = entries.get(ks);
    if (e) e.variants.push(values);
    else entries.set(ks, { tuple, values, variants: [values] });
  }
  return { entries, multikey: multi };
}

/** Uncut encodings of every tuple of a document, to tell real conflicts from cut-key collisions. */
function fullTuples(def: IndexDef, doc: Doc): Set<string> {
  return new Set(tuples(def, doc).list.map(fullKey));
}

export const fullKey = (values: unknown[]): string => values.map((v) => keyString(encodeFull(v))).join('');

/**
 * Throws E11000 if another document in `view` (not `selfKs`) has this entry in a unique index.
 * Candidates come from the committed index (unless shadowed by a layer) and from the layers.
 */
export function checkUnique(view: View, def: IndexDef, entry: IndexEntry, selfKs: string): void {
  const store = view.store;
  const candidates: [string, Buffer][] = [];
  for (const { value } of def.db.getRange({ start: entry.tuple, end: prefixEnd(entry.tuple) })) {
    store.stats.keysExamined++;
    const ks = keyString(value);
    if (ks !== selfKs && !view.isOverlaid(ks)) candidates.push([ks, value]);
  }
  if (view.layered) {
    for (const ks of view.overlayIndexIds(def.name, keyString(entry.tuple))) {
      if (ks !== selfKs) candidates.push([ks, Buffer.from(ks, 'latin1')]);
    }
  }
  if (candidates.length === 0) return;
  const mine = entry.variants.map(fullKey);
  for (const [ks, idKey] of candidates) {
    const other = view.get(idKey, ks);
    if (!other) continue;
    const theirs = fullTuples(def, other);
    const hit = mine.findIndex((k) => theirs.has(k));
    if (hit >= 0) throw dupError(store.namespace, def, entry.variants[hit]);
  }
}

export function dupError(namespace: string, def: IndexDef, values: unknown[]): Error {
  return duplicateKeyError(namespace, def.name, def.fields, values.map((v) => (v === EMPTY_ARRAY ? [] : v)));
}

/** Checks every unique index of the collection for a new version of a document. */
export function checkAllUnique(view: View, doc: Doc, selfKs: string): void {
  for (const def of view.store.indexes) {
    if (!def.unique) continue;
    for (const entry of docEntries(def, doc).entries.values()) checkUnique(view, def, entry, selfKs);
  }
}

/**
 * Writes one document change to lmdb: the document itself and the diff of its index entries.
 * Must run inside an lmdb write transaction callback; uniqueness was checked beforehand.
 */
export function applyChange(store: CollStore, idKey: Buffer, after: Doc | null, computed?: Map<string, DocEntries>): void {
  const before = store.peekDoc(idKey);
  for (const def of store.indexes) {
    const old = before ? docEntries(def, before).entries : new Map<string, IndexEntry>();
    const next = after ? (computed?.get(def.name) ?? docEntries(def, after)) : { entries: new Map<string, IndexEntry>(), multikey: false };
    for (const [ks, e] of old) if (!next.entries.has(ks)) def.db.removeSync(entryKey(e.tuple, idKey));
    for (const [ks, e] of next.entries) if (!old.has(ks)) def.db.putSync(entryKey(e.tuple, idKey), idKey);
    if (next.multikey && !def.multikey) {
      def.multikey = true;
      store.saveIndexMeta(def);
    }
  }
  if (after) store.docs.putSync(idKey, after);
  else if (before) store.docs.removeSync(idKey);
}
