/**
 * The storage port: create, read, vread, update, delete and history of FHIR resources over the
 * MongoDB-shaped Database. The same code runs on MongoDB and on the embedded engine.
 *
 * Every write stores the new version in `<Type>_history` and replaces the current document with
 * compare-and-set on its version, inside one transaction when the database has them.
 */
import { newResourceId } from './ids.js';
import type { Database, DbSession, Doc, Filter } from './database.js';
import { isDuplicateKeyError } from './database.js';
import { GroupCommit } from './group-commit.js';
import { conflict, gone, notFound, preconditionFailed } from '../fhir/errors.js';
import {
  type CurrentDoc,
  type HistoryDoc,
  type WriteMethod,
  type SearchDoc,
  INDEX_FORMATS_COLLECTION,
  TYPES_COLLECTION,
  historyCollection,
  searchCollection,
  historyKey,
} from './documents.js';

export interface StoredVersion {
  type: string;
  id: string;
  versionId: string;
  lastUpdated: string;
  deleted: boolean;
  resource?: fhir4.Resource;
  method: WriteMethod;
}

export interface WriteOptions {
  session?: DbSession;
  /** expected current version (from If-Match); a mismatch is 412 */
  ifMatch?: string;
}

export interface HistoryQuery {
  type?: string;
  id?: string;
  /** epoch ms, inclusive */
  since?: number;
  /** only versions current at some point within [atStart, atEnd] (epoch ms) */
  at?: { start: number; end: number };
  count: number;
  /** keyset cursor: strictly older than this (ts, key) */
  before?: HistoryCursor;
}

/** Position of the last entry of a history page: (ts, type, key) in descending order. */
export interface HistoryCursor {
  ts: number;
  type: string;
  key: string;
}

export interface HistoryPage {
  versions: StoredVersion[];
  /** cursor of the last returned entry when more may follow */
  next?: HistoryCursor;
}

const MAX_CAS_RETRIES = 20;

export class ResourceStore {
  private readonly preparedTypes = new Map<string, Promise<void>>();
  /** Types whose collections and indexes are being made (for diagnostics). */
  private readonly preparing = new Set<string>();

  private readonly groupCommit: GroupCommit;

  private readonly indexer?: (resource: fhir4.Resource) => Doc;
  private readonly searchIndexesOf: (type: string) => Array<Record<string, 1 | -1>>;
  private readonly obsoleteIndexesOf: (type: string) => string[];
  private readonly indexFormat: number;
  private readonly log: (message: string) => void;

  constructor(
    readonly db: Database,
    options: {
      /** extracts the search index values of a version, stored in `<Type>_idx` beside the current version (never sent out) */
      indexer?: (resource: fhir4.Resource) => Doc;
      /** extra indexes of `<Type>_idx` (e.g. on date sort keys), by type */
      searchIndexes?: (type: string) => Array<Record<string, 1 | -1>>;
      /** names of `<Type>_idx` indexes earlier versions made and this one does not use: dropped on first use */
      obsoleteIndexes?: (type: string) => string[];
      /** the indexer's format: a type indexed in an older one is re-extracted on first use */
      indexFormat?: number;
      log?: (message: string) => void;
    } = {},
  ) {
    this.indexer = options.indexer;
    this.searchIndexesOf = options.searchIndexes ?? (() => []);
    this.obsoleteIndexesOf = options.obsoleteIndexes ?? (() => []);
    this.indexFormat = options.indexFormat ?? 1;
    this.log = options.log ?? (() => {});
    this.groupCommit = new GroupCommit(db);
  }

  /** Keeps `<Type>_idx` in step with the current version (removed when deleted). */
  private async writeIndex(type: string, id: string, resource: fhir4.Resource | undefined, session: DbSession | undefined, isNew: boolean): Promise<void> {
    if (!this.indexer) return;
    const coll = this.searchOf(type);
    if (!resource) {
      await coll.deleteOne({ _id: id }, { session });
      return;
    }
    const doc: SearchDoc = { _id: id, _idx: this.indexer(resource) };
    if (isNew) await coll.insertOne(doc, { session });
    else await coll.replaceOne({ _id: id }, doc, { upsert: true, session });
  }

  /**
   * Re-extracts the search index of every current resource of a type whose `<Type>_idx` was
   * written in an older format (or before formats were recorded), in `_id` batches; then records
   * the format. Runs inside prepareType, so the type's searches and writes wait for it.
   */
  private async reindexIfStale(type: string): Promise<void> {
    const formats = this.db.collection<{ _id: string; v: number }>(INDEX_FORMATS_COLLECTION);
    const have = await formats.findOne({ _id: type });
    if (have && have.v >= this.indexFormat) return;
    if (have || (await this.searchOf(type).findOne({}))) {
      const started = Date.now();
      let done = 0;
      let failed = 0;
      let after: string | undefined;
      for (;;) {
        const filter = after === undefined ? {} : { _id: { $gt: after } };
        const batch = await this.currentOf(type).find(filter, { sort: { _id: 1 }, limit: 500 }).toArray();
        if (batch.length === 0) break;
        for (const cur of batch) {
          try {
            await this.writeIndex(type, cur._id, cur.deleted ? undefined : cur.resource, undefined, false);
            done++;
          } catch (err) {
            // one resource the extraction or the store refuses must not keep the type unusable
            failed++;
            this.log(`${type}/${cur._id}: search index not re-extracted: ${err instanceof Error ? err.message : String(err)}`);
          }
        }
        after = batch[batch.length - 1]._id;
      }
      this.log(`${type}: search index re-extracted for ${done} resources${failed ? `, ${failed} failed (left as they were)` : ''} (format ${have?.v ?? 'unrecorded'} -> ${this.indexFormat}) in ${Date.now() - started} ms`);
    }
    await formats.updateOne({ _id: type }, { $set: { v: this.indexFormat } }, { upsert: true });
  }

  /** What the store and its database are doing now (to diagnose a stuck request). */
  activity(): Record<string, unknown> {
    const db = this.db as Database & { activity?: () => Record<string, unknown> };
    return { groupCommit: this.groupCommit.state, preparing: [...this.preparing], engine: db.activity?.() };
  }

  /** The search index collection of a type (for src/search). */
  searchOf(type: string) {
    return this.db.collection<SearchDoc>(searchCollection(type));
  }

  /** Current, not deleted versions of these ids, in the order given (missing ones left out). */
  async readMany(type: string, ids: readonly string[], session?: DbSession): Promise<StoredVersion[]> {
    if (ids.length === 0) return [];
    const docs = await this.currentOf(type).find({ _id: { $in: [...ids] } }, { session }).toArray();
    const byId = new Map(docs.filter((d) => !d.deleted).map((d) => [d._id, d]));
    const out: StoredVersion[] = [];
    for (const id of ids) {
      const d = byId.get(id);
      if (d) out.push(toVersion(type, d, 'PUT'));
    }
    return out;
  }

  /** Ensures the type's collections and indexes exist (search calls it before reading). */
  prepare(type: string): Promise<void> {
    return this.prepareType(type);
  }

  /** Runs fn in one transaction (all-or-nothing). */
  transaction<R>(fn: (session: DbSession) => Promise<R>): Promise<R> {
    return this.db.withTransaction(fn);
  }

  async create(type: string, resource: fhir4.Resource, options: WriteOptions & { id?: string } = {}): Promise<StoredVersion> {
    await this.prepareType(type);
    const id = options.id ?? newResourceId();
    const work = async (session: DbSession | undefined) => {
      const ts = this.now();
      const stored = withMeta(resource, id, 1, ts);
      await this.currentOf(type).insertOne({ _id: id, v: 1, ts, resource: stored }, { session });
      await this.historyOf(type).insertOne({ _id: historyKey(id, 1), id, v: 1, ts, method: 'POST', resource: stored }, { session });
      await this.writeIndex(type, id, stored, session, true);
      return toVersion(type, { _id: id, v: 1, ts, resource: stored }, 'POST');
    };
    // A new id cannot conflict with anyone: creates outside a caller's transaction commit in groups.
    if (!options.session && this.db.supportsTransactions) return this.groupCommit.run(work);
    return this.write(options.session, work);
  }

  async read(type: string, id: string, session?: DbSession): Promise<StoredVersion> {
    const doc = await this.currentOf(type).findOne({ _id: id }, { session });
    if (!doc) throw notFound(`${type}/${id} is not known`);
    if (doc.deleted) throw gone(`${type}/${id} was deleted (version ${doc.v})`);
    return toVersion(type, doc, 'PUT');
  }

  /** The current document, deleted or not, or null when the id never existed. */
  async readCurrent(type: string, id: string, session?: DbSession): Promise<StoredVersion | null> {
    const doc = await this.currentOf(type).findOne({ _id: id }, { session });
    return doc ? toVersion(type, doc, 'PUT') : null;
  }

  async vread(type: string, id: string, versionId: string, session?: DbSession): Promise<StoredVersion> {
    const v = Number(versionId);
    const doc = /^[1-9]\d{0,15}$/.test(versionId)
      ? await this.historyOf(type).findOne({ _id: historyKey(id, v) }, { session })
      : null;
    if (!doc) throw notFound(`${type}/${id}/_history/${versionId} is not known`);
    if (doc.deleted) throw gone(`${type}/${id} was deleted in version ${versionId}`);
    return historyToVersion(type, doc);
  }

  /**
   * Update (or update-as-create when the id is new or deleted-and-recreated). Returns the new
   * version and whether it was created.
   */
  async update(type: string, id: string, resource: fhir4.Resource, options: WriteOptions & { method?: WriteMethod } = {}): Promise<{ version: StoredVersion; created: boolean }> {
    await this.prepareType(type);
    return this.casLoop(options, async (session) => {
      const cur = await this.currentOf(type).findOne({ _id: id }, { session });
      checkIfMatch(type, id, cur, options.ifMatch);
      const ts = this.now();
      if (!cur) {
        const stored = withMeta(resource, id, 1, ts);
        await this.currentOf(type).insertOne({ _id: id, v: 1, ts, resource: stored }, { session });
        await this.historyOf(type).insertOne({ _id: historyKey(id, 1), id, v: 1, ts, method: 'PUT', resource: stored }, { session });
        await this.writeIndex(type, id, stored, session, true);
        return { version: toVersion(type, { _id: id, v: 1, ts, resource: stored }, 'PUT'), created: true };
      }
      const v = cur.v + 1;
      const stored = withMeta(resource, id, v, ts);
      const method = options.method ?? 'PUT';
      await this.replaceVersion(type, cur, { _id: id, v, ts, resource: stored }, method, session);
      await this.writeIndex(type, id, stored, session, false);
      return { version: toVersion(type, { _id: id, v, ts, resource: stored }, method), created: Boolean(cur.deleted) };
    });
  }

  /**
   * Delete: a new, deleted version. Deleting a deleted resource changes nothing; deleting an
   * unknown id returns null (both answer success per the spec).
   */
  async delete(type: string, id: string, options: WriteOptions = {}): Promise<StoredVersion | null> {
    await this.prepareType(type);
    return this.casLoop(options, async (session) => {
      const cur = await this.currentOf(type).findOne({ _id: id }, { session });
      checkIfMatch(type, id, cur, options.ifMatch);
      if (!cur) return null;
      if (cur.deleted) return toVersion(type, cur, 'DELETE');
      const ts = this.now();
      const doc: CurrentDoc = { _id: id, v: cur.v + 1, ts, deleted: true };
      await this.replaceVersion(type, cur, doc, 'DELETE', session);
      await this.writeIndex(type, id, undefined, session, false);
      return toVersion(type, doc, 'DELETE');
    });
  }

  /** Newest first, keyset-paged. */
  async history(query: HistoryQuery, session?: DbSession): Promise<HistoryPage> {
    const types = query.type ? [query.type] : await this.knownTypes(session);
    const filter: Filter = {};
    const and: Filter[] = [];
    if (query.id !== undefined) filter.id = query.id;
    if (query.since !== undefined) and.push({ ts: { $gte: query.since } });
    if (query.at) {
      and.push({ ts: { $lte: query.at.end } });
      and.push({ $or: [{ until: { $exists: false } }, { until: { $gt: query.at.start } }] });
    }
    const limit = query.count + 1;
    const found: Array<{ type: string; doc: HistoryDoc }> = [];
    for (const type of types) {
      const before = query.before ? [beforeCursor(type, query.before)] : [];
      const all = [...and, ...before];
      const typeFilter: Filter = all.length ? { ...filter, $and: all } : filter;
      const docs = await this.historyOf(type)
        .find(typeFilter, { sort: { ts: -1, _id: -1 }, limit, session })
        .toArray();
      for (const doc of docs) found.push({ type, doc });
    }
    // Merge across types: newest first, ties by type then key, all descending.
    found.sort((a, b) => b.doc.ts - a.doc.ts || cmp(b.type + '/' + b.doc._id, a.type + '/' + a.doc._id));
    const page = found.slice(0, query.count);
    const versions = page.map(({ type, doc }) => historyToVersion(type, doc));
    const last = page[page.length - 1];
    return {
      versions,
      next: found.length > query.count && last ? { ts: last.doc.ts, type: last.type, key: last.doc._id } : undefined,
    };
  }

  /** Resource types with at least one stored version. */
  async knownTypes(session?: DbSession): Promise<string[]> {
    const docs = await this.db.collection<{ _id: string }>(TYPES_COLLECTION).find({}, { sort: { _id: 1 }, session }).toArray();
    return docs.map((d) => d._id);
  }

  // ----------------------------------------------------------------------------------------

  private currentOf(type: string) {
    return this.db.collection<CurrentDoc>(type);
  }

  private historyOf(type: string) {
    return this.db.collection<HistoryDoc>(historyCollection(type));
  }

  private lastTs = 0;

  /** Epoch ms, strictly increasing within this process so versions keep their order. */
  private now(): number {
    const t = Date.now();
    this.lastTs = t > this.lastTs ? t : this.lastTs + 1;
    return this.lastTs;
  }

  /** Creates the indexes of a type's collections and registers the type, once per process. */
  private prepareType(type: string): Promise<void> {
    let p = this.preparedTypes.get(type);
    if (!p) {
      p = (async () => {
        if (this.indexer) {
          await this.searchOf(type).createIndex({ '_idx.k': 1 }, { name: 'search_keys' });
          for (const keys of this.searchIndexesOf(type)) await this.searchOf(type).createIndex(keys);
          for (const name of this.obsoleteIndexesOf(type)) {
            await this.searchOf(type).dropIndex(name).then(
              () => this.log(`${type}: dropped the index ${name}, which this version does not use`),
              (err: { code?: number }) => {
                if (err?.code !== 27) throw err; // IndexNotFound: nothing to drop
              },
            );
          }
          await this.reindexIfStale(type);
        }
        const h = this.historyOf(type);
        await h.createIndex({ id: 1, v: -1 }, { name: 'id_v' });
        await h.createIndex({ ts: -1, _id: -1 }, { name: 'ts' });
        await this.db.collection(TYPES_COLLECTION).updateOne({ _id: type }, { $set: { type } }, { upsert: true });
      })();
      p.catch(() => this.preparedTypes.delete(type));
      this.preparing.add(type);
      const settled = (): void => {
        this.preparing.delete(type);
      };
      p.then(settled, settled);
      this.preparedTypes.set(type, p);
    }
    return p;
  }

  private async replaceVersion(type: string, cur: CurrentDoc, next: CurrentDoc, method: WriteMethod, session: DbSession | undefined) {
    const res = await this.currentOf(type).replaceOne({ _id: cur._id, v: cur.v }, next, { session });
    if (res.matchedCount !== 1) throw new VersionConflict();
    await this.historyOf(type).updateOne({ _id: historyKey(cur._id, cur.v) }, { $set: { until: next.ts } }, { session });
    const h: HistoryDoc = { _id: historyKey(next._id, next.v), id: next._id, v: next.v, ts: next.ts, method };
    if (next.deleted) h.deleted = true;
    if (next.resource) h.resource = next.resource;
    await this.historyOf(type).insertOne(h, { session });
  }

  /** Runs one write in its own transaction (or the caller's), retrying lost compare-and-set races. */
  private async write<R>(session: DbSession | undefined, fn: (session: DbSession | undefined) => Promise<R>): Promise<R> {
    if (session) return fn(session);
    if (this.db.supportsTransactions) return this.db.withTransaction((s) => fn(s));
    return fn(undefined);
  }

  private async casLoop<R>(options: WriteOptions, fn: (session: DbSession | undefined) => Promise<R>): Promise<R> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.write(options.session, fn);
      } catch (err) {
        const raced = err instanceof VersionConflict || isDuplicateKeyError(err);
        if (!raced) throw err;
        if (options.ifMatch !== undefined) throw preconditionFailed('The resource was changed by another request');
        if (options.session || attempt >= MAX_CAS_RETRIES) throw conflict('The resource was changed by another request at the same time; try again');
      }
    }
  }
}

class VersionConflict extends Error {}

/** Entries of `type` that come strictly after the cursor in (ts, type, key) descending order. */
function beforeCursor(type: string, c: HistoryCursor): Filter {
  if (type > c.type) return { ts: { $lt: c.ts } };
  if (type < c.type) return { ts: { $lte: c.ts } };
  return { $or: [{ ts: { $lt: c.ts } }, { ts: c.ts, _id: { $lt: c.key } }] };
}

function cmp(a: string, b: string) {
  return a < b ? -1 : a > b ? 1 : 0;
}

function checkIfMatch(type: string, id: string, cur: CurrentDoc | null, ifMatch: string | undefined) {
  if (ifMatch === undefined) return;
  if (!cur || String(cur.v) !== ifMatch) {
    throw preconditionFailed(`If-Match W/"${ifMatch}" does not match the current version of ${type}/${id}${cur ? ` (W/"${cur.v}")` : ' (none)'}`);
  }
}

function withMeta(resource: fhir4.Resource, id: string, v: number, ts: number): fhir4.Resource {
  const meta: fhir4.Meta = { ...(resource.meta ?? {}), versionId: String(v), lastUpdated: new Date(ts).toISOString() };
  // id first, meta next: the order clients expect to see.
  const { resourceType, id: _ignored, meta: _m, ...rest } = resource as fhir4.Resource & Record<string, unknown>;
  return { resourceType, id, meta, ...rest } as fhir4.Resource;
}

function version(type: string, id: string, doc: CurrentDoc | HistoryDoc, method: WriteMethod): StoredVersion {
  return {
    type,
    id,
    versionId: String(doc.v),
    lastUpdated: new Date(doc.ts).toISOString(),
    deleted: Boolean(doc.deleted),
    resource: doc.resource,
    method,
  };
}

function toVersion(type: string, doc: CurrentDoc, method: WriteMethod): StoredVersion {
  return version(type, doc._id, doc, doc.deleted ? 'DELETE' : method);
}

function historyToVersion(type: string, doc: HistoryDoc): StoredVersion {
  return version(type, doc.id, doc, doc.method);
}
