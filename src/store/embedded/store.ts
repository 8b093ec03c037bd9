/**
 * The committed state of one collection in lmdb: its documents sub-database (keyed by encoded
 * `_id`), its secondary indexes (one sub-database each), and the read view over them. Reads made
 * inside an lmdb transaction callback see that write transaction; elsewhere the last commit.
 */
import type { Database as LmdbDatabase } from 'lmdb';
import type { Doc } from '../database.js';
import type { Change } from './overlay.js';

export type DocsDb = LmdbDatabase<Doc, Buffer>;
/** Index entries: key = encoded tuple + encoded _id, value = encoded _id. */
export type IndexDb = LmdbDatabase<Buffer, Buffer>;

export interface IndexMeta {
  name: string;
  /** Field paths with their directions, in key order. */
  keys: [string, 1 | -1][];
  unique: boolean;
  /** Set once any document produced more than one key (an array on an indexed path). */
  multikey: boolean;
}

export interface IndexDef extends IndexMeta {
  fields: string[];
  db: IndexDb;
  /** false while the index is being built: writers maintain it, the planner ignores it. */
  ready: boolean;
}

/** Counters for tests and diagnostics: how much work queries did. */
export interface EngineStats {
  /** Documents read from a documents sub-database to evaluate a query or write. */
  docsExamined: number;
  /** Index entries read by index scans (including unique-key probes). */
  keysExamined: number;
  /** Queries answered by a full collection scan. */
  collectionScans: number;
  /** Queries answered through a secondary index. */
  indexScans: number;
  /** Of those, the ones tested on the index keys (covered.ts), documents read for the page only. */
  coveredScans: number;
  /** Transactions that started while earlier ones' commits were pending (and read through them). */
  pipelinedTxns: number;
}

export function newStats(): EngineStats {
  return { docsExamined: 0, keysExamined: 0, collectionScans: 0, indexScans: 0, coveredScans: 0, pipelinedTxns: 0 };
}

export class CollStore {
  readonly indexes: IndexDef[] = [];

  constructor(
    readonly name: string,
    /** "db.collection", as in MongoDB error messages. */
    readonly namespace: string,
    readonly docs: DocsDb,
    readonly stats: EngineStats,
    /** Persists index metadata (called inside the write transaction). */
    readonly saveIndexMeta: (meta: IndexMeta) => void,
  ) {}

  getDoc(idKey: Buffer): Doc | undefined {
    this.stats.docsExamined++;
    return this.docs.get(idKey);
  }

  /** Raw read for write bookkeeping (not counted as examined). */
  peekDoc(idKey: Buffer): Doc | undefined {
    return this.docs.get(idKey);
  }

  readyIndexes(): IndexDef[] {
    return this.indexes.filter((i) => i.ready);
  }
}

/**
 * A readable state of a collection: the committed store, optionally with uncommitted changes
 * layered on top (see overlay.ts). Keys are encoded ids; `ks` is their latin1 string form.
 */
export interface View {
  readonly store: CollStore;
  get(idKey: Buffer, ks: string): Doc | undefined;
  /** Whether a layer above the committed store has its own version (or deletion) of this id. */
  isOverlaid(ks: string): boolean;
  /** Every id changed in some layer (each once), with its key. */
  overlayKeys(): Iterable<[string, Buffer]>;
  /** Ids whose layered version has this (cut) unique-index tuple. */
  overlayIndexIds(index: string, tupleKs: string): Iterable<string>;
  /** The topmost layered change of an id (undefined if no layer has one). */
  change(ks: string): Change | undefined;
  readonly layered: boolean;
}

export class CommittedView implements View {
  readonly layered = false;
  constructor(readonly store: CollStore) {}
  get(idKey: Buffer): Doc | undefined {
    return this.store.getDoc(idKey);
  }
  isOverlaid(): boolean {
    return false;
  }
  overlayKeys(): Iterable<[string, Buffer]> {
    return [];
  }
  overlayIndexIds(): Iterable<string> {
    return [];
  }
  change(): undefined {
    return undefined;
  }
}
