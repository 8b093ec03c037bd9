/**
 * The catalog: sub-database naming, opening a collection's documents and indexes from the
 * persisted index metadata, validating index specs, and building a new index over existing
 * documents (inside one write transaction, so a failed unique build writes nothing).
 */
import type { Database as LmdbDatabase, RootDatabase } from 'lmdb';
import { isEqual } from 'mingo/util';
import { badValue, EngineError } from './errors.js';
import { docEntries, dupError, fullKey } from './indexes.js';
import { entryKey } from './keys.js';
import { CollStore, type DocsDb, type EngineStats, type IndexDb, type IndexDef, type IndexMeta } from './store.js';

export type CatalogDb = LmdbDatabase<IndexMeta, string>;

/** `$` cannot occur in collection names, so these names never collide. */
const docsDbName = (coll: string): string => `d$${coll}`;
const indexDbName = (coll: string, index: string): string => `x$${coll}$${index}`;
const metaKey = (coll: string, index: string): string => `idx$${coll}$${index}`;

export const MAX_INDEX_FIELDS = 7;

export function checkCollectionName(name: string): void {
  if (typeof name !== 'string' || name.length === 0 || name.length > 200) throw badValue(`Invalid collection name: ${String(name)}`);
  if (name.includes('$') || name.includes('\0') || name.startsWith('system.')) throw badValue(`Invalid collection name: ${name}`);
}

function openIndexDb(env: RootDatabase, coll: string, index: string): IndexDb {
  return env.openDB<Buffer, Buffer>(indexDbName(coll, index), { keyEncoding: 'binary', encoding: 'binary' });
}

export function openStore(env: RootDatabase, catalog: CatalogDb, name: string, dbLabel: string, stats: EngineStats): CollStore {
  checkCollectionName(name);
  const docs: DocsDb = env.openDB(docsDbName(name), { keyEncoding: 'binary' });
  const save = (meta: IndexMeta): void => {
    const { name: index, keys, unique, multikey } = meta;
    catalog.putSync(metaKey(name, index), { name: index, keys, unique, multikey });
  };
  const store = new CollStore(name, `${dbLabel}.${name}`, docs, stats, save);
  const prefix = metaKey(name, '');
  for (const { value } of catalog.getRange({ start: prefix, end: `${prefix}\uffff` })) {
    store.indexes.push({ ...value, fields: value.keys.map(([f]) => f), db: openIndexDb(env, name, value.name), ready: true });
  }
  return store;
}

export interface IndexSpec {
  name: string;
  keys: [string, 1 | -1][];
  unique: boolean;
}

export function parseIndexSpec(keys: Record<string, 1 | -1>, options: { unique?: boolean; name?: string } = {}): IndexSpec {
  if (typeof keys !== 'object' || keys === null || Array.isArray(keys)) throw badValue('index keys must be an object');
  const entries = Object.entries(keys) as [string, 1 | -1][];
  if (entries.length === 0) throw badValue('Index keys cannot be empty.');
  if (entries.length > MAX_INDEX_FIELDS) throw badValue(`the embedded engine supports at most ${MAX_INDEX_FIELDS} fields per index`);
  for (const [field, dir] of entries) {
    if (!field || field.startsWith('$') || field.split('.').some((s) => s === '')) throw badValue(`Invalid index key field: '${field}'`);
    if (dir !== 1 && dir !== -1) throw new EngineError(67, 'CannotCreateIndex', `Unsupported index type for '${field}': ${String(dir)}`);
  }
  const name = options.name ?? entries.map(([f, d]) => `${f}_${d}`).join('_');
  if (typeof name !== 'string' || name.length === 0 || name.includes('\0')) throw badValue('Invalid index name');
  return { name, keys: entries, unique: options.unique === true };
}

/** The existing index this spec is equivalent to (so createIndex is a no-op), or a conflict error. */
export function matchExisting(store: CollStore, spec: IndexSpec): IndexDef | undefined {
  for (const def of store.indexes) {
    const sameKeys = isEqual(def.keys, spec.keys);
    if (def.name === spec.name) {
      if (sameKeys && def.unique === spec.unique) return def;
      if (!sameKeys) throw new EngineError(86, 'IndexKeySpecsConflict', `An existing index has the same name as the requested index but different keys: ${spec.name}`);
      throw new EngineError(85, 'IndexOptionsConflict', `An equivalent index already exists with the same name but different options: ${spec.name}`);
    }
    if (sameKeys) {
      throw new EngineError(85, 'IndexOptionsConflict', `Index already exists with a different name: ${def.name}`);
    }
  }
  return undefined;
}

/**
 * Removes an index from the store, its entries and its metadata. Runs inside a write transaction
 * callback; writers after it no longer maintain it (they iterate `store.indexes`).
 */
export function dropIndexDef(catalog: CatalogDb, store: CollStore, def: IndexDef): void {
  store.indexes.splice(store.indexes.indexOf(def), 1);
  for (const key of [...def.db.getKeys({})]) def.db.removeSync(key);
  catalog.removeSync(metaKey(store.name, def.name));
}

export function newIndexDef(env: RootDatabase, store: CollStore, spec: IndexSpec): IndexDef {
  return { ...spec, multikey: false, fields: spec.keys.map(([f]) => f), db: openIndexDb(env, store.name, spec.name), ready: false };
}

/**
 * Builds the index over every document and registers it with the store. Runs inside a write
 * transaction callback: entries are planned (and unique keys checked) before anything is written.
 */
export function buildIndex(store: CollStore, def: IndexDef): void {
  const planned: [Buffer, Buffer][] = [];
  const seen = new Map<string, Set<string>>();
  let multikey = false;
  for (const { key: idKey, value: doc } of store.docs.getRange({})) {
    const de = docEntries(def, doc);
    multikey ||= de.multikey;
    for (const [ks, e] of de.entries) {
      if (def.unique) {
        let same = seen.get(ks);
        if (!same) seen.set(ks, (same = new Set()));
        const fulls = e.variants.map(fullKey);
        const hit = fulls.findIndex((k) => same.has(k));
        if (hit >= 0) throw dupError(store.namespace, def, e.variants[hit]);
        for (const k of fulls) same.add(k);
      }
      planned.push([entryKey(e.tuple, idKey), idKey]);
    }
  }
  for (const key of [...def.db.getKeys({})]) def.db.removeSync(key); // leftovers of a failed build
  for (const [key, idKey] of planned) def.db.putSync(key, idKey);
  def.multikey = multikey;
  store.saveIndexMeta(def);
  store.indexes.push(def);
}
