/**
 * DbCollection over the embedded engine: reads run synchronously on a view (committed state, or a
 * transaction's own view with `{session}`); writes run as one operation either in the
 * transaction's layer (`{session}`) or as one lmdb write transaction of their own.
 */
import type {
  DbCollection, DbSession, DeleteResult, Doc, Filter, FindCursor, FindOneAndUpdateOptions, FindOptions,
  IndexOptions, InsertManyResult, InsertOneResult, SessionOption, UpdateDoc, UpdateOptions, UpdateResult,
} from '../database.js';
import { deleteOp, insertDocs, replaceOneOp, updateOneOp, type UpdateOutcome, type WriteLayer } from './ops.js';
import { project, runCount, runFind } from './query.js';
import type { CollStore, View } from './store.js';

/** What a collection needs from its database. */
export interface CollectionHost {
  /** The view to read with: the session's transaction view, or committed state. */
  readView(store: CollStore, session: DbSession | undefined): View;
  /** Runs a write operation in the session's transaction (synchronously) or as its own commit. */
  write<R>(store: CollStore, session: DbSession | undefined, op: (layer: WriteLayer) => R): Promise<R>;
  createIndex(store: CollStore, keys: Record<string, 1 | -1>, options?: IndexOptions): Promise<string>;
  dropIndex(store: CollStore, name: string): Promise<void>;
}

const updateResult = (o: UpdateOutcome): UpdateResult & { acknowledged: true; upsertedId: unknown } => ({
  acknowledged: true,
  matchedCount: o.matchedCount,
  modifiedCount: o.modifiedCount,
  upsertedCount: o.upsertedCount,
  upsertedId: o.upsertedId,
});

export class EmbeddedCollection<T extends Doc = Doc> implements DbCollection<T> {
  constructor(
    private readonly host: CollectionHost,
    readonly store: CollStore,
  ) {}

  get collectionName(): string {
    return this.store.name;
  }

  private read<R>(session: DbSession | undefined, fn: (view: View) => R): Promise<R> {
    try {
      return Promise.resolve(fn(this.host.readView(this.store, session)));
    } catch (err) {
      return Promise.reject(err);
    }
  }

  private write<R>(session: DbSession | undefined, op: (layer: WriteLayer) => R): Promise<R> {
    return this.host.write(this.store, session, op);
  }

  async insertOne(doc: T, options?: SessionOption): Promise<InsertOneResult> {
    const [insertedId] = await this.write(options?.session, (layer) => insertDocs(layer, [doc]));
    return { acknowledged: true, insertedId } as InsertOneResult;
  }

  async insertMany(docs: T[], options?: SessionOption): Promise<InsertManyResult> {
    const ids = await this.write(options?.session, (layer) => insertDocs(layer, docs));
    const insertedIds = Object.fromEntries(ids.map((id, i) => [i, id]));
    return { acknowledged: true, insertedCount: ids.length, insertedIds } as InsertManyResult;
  }

  findOne(filter: Filter, options?: FindOptions): Promise<T | null> {
    return this.read(options?.session, (view) => (runFind(view, filter, { ...options, limit: 1 })[0] as T | undefined) ?? null);
  }

  find(filter: Filter, options?: FindOptions): FindCursor<T> {
    return { toArray: () => this.read(options?.session, (view) => runFind(view, filter, options) as T[]) };
  }

  countDocuments(filter: Filter, options?: SessionOption): Promise<number> {
    return this.read(options?.session, (view) => runCount(view, filter));
  }

  async updateOne(filter: Filter, update: UpdateDoc, options?: UpdateOptions): Promise<UpdateResult> {
    const o = await this.write(options?.session, (layer) => updateOneOp(layer, filter, update, options?.upsert === true));
    return updateResult(o);
  }

  async replaceOne(filter: Filter, replacement: T, options?: UpdateOptions): Promise<UpdateResult> {
    const o = await this.write(options?.session, (layer) => replaceOneOp(layer, filter, replacement, options?.upsert === true));
    return updateResult(o);
  }

  async findOneAndUpdate(filter: Filter, update: UpdateDoc, options?: FindOneAndUpdateOptions): Promise<T | null> {
    const upsert = options?.upsert === true;
    const o = await this.write(options?.session, (layer) => updateOneOp(layer, filter, update, upsert, options?.sort));
    const doc = options?.returnDocument === 'after' ? o.after : o.before;
    if (!doc) return null;
    return project([structuredClone(doc)], options?.projection)[0] as T;
  }

  async deleteOne(filter: Filter, options?: SessionOption): Promise<DeleteResult> {
    const deletedCount = await this.write(options?.session, (layer) => deleteOp(layer, filter, false));
    return { acknowledged: true, deletedCount } as DeleteResult;
  }

  async deleteMany(filter: Filter, options?: SessionOption): Promise<DeleteResult> {
    const deletedCount = await this.write(options?.session, (layer) => deleteOp(layer, filter, true));
    return { acknowledged: true, deletedCount } as DeleteResult;
  }

  createIndex(keys: Record<string, 1 | -1>, options?: IndexOptions): Promise<string> {
    return this.host.createIndex(this.store, keys, options);
  }

  dropIndex(name: string): Promise<void> {
    return this.host.dropIndex(this.store, name);
  }
}
