/**
 * The MongoDB-shaped database the store talks to. It is the subset of the official `mongodb`
 * driver's API that the store uses; the real driver's `Db`/`Collection` satisfy it structurally,
 * and the embedded engine (src/store/embedded) implements exactly this subset.
 *
 * Rules for code above this interface: only documented MongoDB query/update operators, no
 * whole-embedded-document equality, no sorting on array fields (see DESIGN.md "Storage").
 */
export type Doc = Record<string, unknown>;
export type Filter = Record<string, unknown>;
export type UpdateDoc = Record<string, unknown>;
export type SortSpec = Record<string, 1 | -1>;
export type Projection = Record<string, 0 | 1>;

/** Opaque session handle passed as `{ session }` to every operation inside a transaction. */
export interface DbSession {
  readonly id: unknown;
}

export interface SessionOption {
  session?: DbSession;
}

export interface FindOptions extends SessionOption {
  sort?: SortSpec;
  skip?: number;
  limit?: number;
  projection?: Projection;
}

export interface FindCursor<T> {
  toArray(): Promise<T[]>;
}

export interface UpdateOptions extends SessionOption {
  upsert?: boolean;
}

export interface FindOneAndUpdateOptions extends SessionOption {
  upsert?: boolean;
  returnDocument?: 'before' | 'after';
  sort?: SortSpec;
  projection?: Projection;
}

export interface IndexOptions {
  unique?: boolean;
  name?: string;
}

export interface InsertOneResult {
  insertedId: unknown;
}
export interface InsertManyResult {
  insertedCount: number;
}
export interface UpdateResult {
  matchedCount: number;
  modifiedCount: number;
  upsertedCount: number;
}
export interface DeleteResult {
  deletedCount: number;
}

export interface DbCollection<T extends Doc = Doc> {
  insertOne(doc: T, options?: SessionOption): Promise<InsertOneResult>;
  insertMany(docs: T[], options?: SessionOption): Promise<InsertManyResult>;
  findOne(filter: Filter, options?: FindOptions): Promise<T | null>;
  find(filter: Filter, options?: FindOptions): FindCursor<T>;
  countDocuments(filter: Filter, options?: SessionOption): Promise<number>;
  updateOne(filter: Filter, update: UpdateDoc, options?: UpdateOptions): Promise<UpdateResult>;
  replaceOne(filter: Filter, replacement: T, options?: UpdateOptions): Promise<UpdateResult>;
  findOneAndUpdate(filter: Filter, update: UpdateDoc, options?: FindOneAndUpdateOptions): Promise<T | null>;
  deleteOne(filter: Filter, options?: SessionOption): Promise<DeleteResult>;
  deleteMany(filter: Filter, options?: SessionOption): Promise<DeleteResult>;
  createIndex(keys: Record<string, 1 | -1>, options?: IndexOptions): Promise<string>;
  /** Drops an index by name; rejects with code 27 (IndexNotFound) when there is none, as MongoDB does. */
  dropIndex(name: string): Promise<unknown>;
}

/**
 * A database with its client-level concerns (sessions/transactions, health, shutdown).
 * `withTransaction` runs `fn` as one all-or-nothing, isolated transaction: if `fn` throws, nothing
 * it wrote is visible, and the error is rethrown unchanged.
 */
export interface Database {
  readonly engine: 'embedded' | 'mongodb';
  /** false on a standalone mongod: multi-document transactions are not available. */
  readonly supportsTransactions: boolean;
  collection<T extends Doc = Doc>(name: string): DbCollection<T>;
  withTransaction<R>(fn: (session: DbSession) => Promise<R>): Promise<R>;
  ping(): Promise<void>;
  close(): Promise<void>;
}

/** Error thrown by both engines on a unique index violation (MongoDB code 11000). */
export function isDuplicateKeyError(err: unknown): boolean {
  return typeof err === 'object' && err !== null && (err as { code?: unknown }).code === 11000;
}
