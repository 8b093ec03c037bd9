/**
 * The embedded engine: the Database interface in-process over one lmdb environment (durable,
 * crash-safe files in a directory), with mingo evaluating filters, sorts, projections and updates.
 *
 * Concurrency: every plain write is one lmdb transaction callback; lmdb runs queued callbacks in
 * order inside one write transaction per batch and commits the batch atomically (group commit), so
 * single writes are serialised without a lock on the hot path. Reads never wait: they see the last
 * commit (or, with `{session}`, the transaction's view).
 *
 * Transactions are pipelined but serializable:
 * - `withTransaction` takes the write lock (plain writes wait for it), so transactions execute one
 *   at a time, and releases it as soon as its commit is queued in lmdb.
 * - It waits for pending plain writes (they change lmdb state no layer describes), but not for
 *   pending transactions: it reads through their layers, in commit order, over committed state
 *   (own layer > pending layers, newest first > committed). Its commit is queued behind theirs.
 * - Its lmdb callback first checks that every transaction it read through was applied (lmdb runs
 *   callbacks in queue order, each sets its state), then re-checks unique indexes against the real
 *   write-txn state, then applies its layers. A failed dependency fails it with a transient
 *   WriteConflict and it writes nothing; the failure cascades to whoever read through it.
 * - It resolves only once its commit is durable (`env.flushed`); a read-only transaction that read
 *   pending layers waits for those commits to be durable (and fails if one of them failed).
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import fs from 'node:fs';
import path from 'node:path';
import { open, type RootDatabase } from 'lmdb';
import type { Database, DbCollection, DbSession, Doc, IndexOptions } from '../database.js';
import { badValue, commitFailed, dependencyFailed, EngineError, noSuchTransaction } from './errors.js';
import { buildIndex, dropIndexDef, matchExisting, newIndexDef, openStore, parseIndexSpec, type CatalogDb } from './catalog.js';
import { EmbeddedCollection, type CollectionHost } from './collection.js';
import { checkAllUnique } from './indexes.js';
import type { WriteLayer } from './ops.js';
import { CollOverlay, OverlayView } from './overlay.js';
import { CommittedView, newStats, type CollStore, type EngineStats, type View } from './store.js';
import { CommitQueue, EmbeddedSession, Mutex, TxnState } from './transaction.js';

export interface EmbeddedOptions {
  /** Transactions running longer are aborted, like MongoDB's transactionLifetimeLimitSeconds. */
  transactionTimeoutMs?: number;
  /** Upper bound on sub-databases (one per collection plus one per index). */
  maxDbs?: number;
}

type Outcome<R> = { ok: true; value: R } | { ok: false; error: unknown };

function attempt<R>(fn: () => R): Outcome<R> {
  try {
    return { ok: true, value: fn() };
  } catch (error) {
    return { ok: false, error };
  }
}

export class EmbeddedDatabase implements Database, CollectionHost {
  readonly engine = 'embedded' as const;
  readonly supportsTransactions = true;
  readonly stats: EngineStats = newStats();
  private readonly env: RootDatabase;
  private readonly catalog: CatalogDb;
  private readonly stores = new Map<string, CollStore>();
  private readonly collections = new Map<string, EmbeddedCollection>();
  private readonly building = new Map<string, Promise<string>>();
  private readonly lock = new Mutex();
  private readonly pending = new CommitQueue();
  private readonly context = new AsyncLocalStorage<TxnState>();
  private readonly txnTimeoutMs: number;
  private state: 'open' | 'closing' | 'closed' = 'open';

  constructor(readonly dir: string, options: EmbeddedOptions = {}) {
    this.txnTimeoutMs = options.transactionTimeoutMs ?? 60_000;
    // noSubdir: false — the directory is the environment even when its name has a dot in it.
    this.env = open({ path: dir, noSubdir: false, maxDbs: options.maxDbs ?? 10_000 });
    this.catalog = this.env.openDB('$catalog', {});
  }

  private assertOpen(): void {
    if (this.state !== 'open') throw new Error('The embedded database is closed');
  }

  private store(name: string): CollStore {
    let store = this.stores.get(name);
    if (!store) {
      store = openStore(this.env, this.catalog, name, 'embedded', this.stats);
      this.stores.set(name, store);
    }
    return store;
  }

  collection<T extends Doc = Doc>(name: string): DbCollection<T> {
    this.assertOpen();
    let coll = this.collections.get(name);
    if (!coll) {
      coll = new EmbeddedCollection(this, this.store(name));
      this.collections.set(name, coll);
    }
    return coll as unknown as DbCollection<T>;
  }

  private txnOf(session: DbSession): TxnState {
    if (!(session instanceof EmbeddedSession) || session.txn.owner !== this) {
      throw badValue('The session was not started by this embedded database');
    }
    return session.txn;
  }

  readView(store: CollStore, session: DbSession | undefined): View {
    if (session) return this.txnOf(session).view(store);
    this.assertOpen();
    return new CommittedView(store);
  }

  /**
   * Queues `fn` as its own lmdb transaction callback and resolves once it is durably committed.
   * `fn` must not write before it is sure to succeed (a throwing callback is not rolled back).
   * Writes from inside a running transaction's callback context (without its session) bypass the
   * lock, as they would not wait on MongoDB either; everything else waits for the transaction.
   */
  private async commitCallback<R>(fn: () => R): Promise<R> {
    this.assertOpen();
    const insideTxn = this.context.getStore()?.status === 'active';
    const release = insideTxn ? () => {} : (this.lock.tryAcquire() ?? (await this.lock.acquire()));
    let queued: Promise<Outcome<R>>;
    try {
      queued = this.lmdbTransaction(() => attempt(fn));
      this.pending.trackPlain(queued);
    } finally {
      release();
    }
    const outcome = await queued;
    if (!outcome.ok) throw outcome.error;
    await this.env.flushed;
    return outcome.value;
  }

  /**
   * Queues `fn` as an lmdb transaction callback. When lmdb cannot commit the batch (disk full, I/O
   * error), every callback of it is rejected with an error whose `commitError` is a second,
   * rejected promise holding the cause, which nobody else handles: it is handled here and the
   * write fails with commitFailed (StorageCommitFailed), which the HTTP layer answers 503. (lmdb
   * also rejects a promise of its own that nobody can reach: see isUnreachableCommitFailure.)
   */
  private lmdbTransaction<R>(fn: () => R): Promise<R> {
    return this.env.transaction(fn).catch(async (err: unknown) => {
      const pending = (err as { commitError?: Promise<unknown> } | undefined)?.commitError;
      if (!pending || typeof pending.then !== 'function') throw err;
      const cause = await pending.then(() => err, (reason: unknown) => reason);
      throw commitFailed(cause);
    });
  }

  write<R>(store: CollStore, session: DbSession | undefined, op: (layer: WriteLayer) => R): Promise<R> {
    if (session) {
      try {
        return Promise.resolve(this.txnOf(session).run(store, op));
      } catch (err) {
        return Promise.reject(err);
      }
    }
    return this.commitCallback(() => {
      const overlay = new CollOverlay(store);
      const result = op({ view: new OverlayView(new CommittedView(store), overlay), overlay });
      overlay.applyToStore();
      return result;
    });
  }

  createIndex(store: CollStore, keys: Record<string, 1 | -1>, options: IndexOptions = {}): Promise<string> {
    try {
      this.assertOpen();
      const spec = parseIndexSpec(keys, options);
      if (spec.keys.length === 1 && spec.keys[0][0] === '_id') return Promise.resolve('_id_');
      if (matchExisting(store, spec)) return Promise.resolve(spec.name);
      const key = `${store.name}$${spec.name}`;
      const inFlight = this.building.get(key);
      if (inFlight) return inFlight.then(() => this.createIndex(store, keys, options));
      const def = newIndexDef(this.env, store, spec);
      const build = this.commitCallback(() => {
        if (matchExisting(store, spec)) return spec.name; // built by a call queued earlier
        buildIndex(store, def);
        return spec.name;
      }).then((name) => {
        def.ready = true;
        return name;
      });
      this.building.set(key, build);
      const forget = (): void => {
        this.building.delete(key);
      };
      build.then(forget, forget);
      return build;
    } catch (err) {
      return Promise.reject(err);
    }
  }

  dropIndex(store: CollStore, name: string): Promise<void> {
    try {
      this.assertOpen();
      if (name === '_id_') throw new EngineError(72, 'InvalidOptions', 'cannot drop _id index');
      const inFlight = this.building.get(`${store.name}$${name}`);
      if (inFlight) return inFlight.then(() => this.dropIndex(store, name));
      return this.commitCallback(() => {
        const def = store.indexes.find((d) => d.name === name);
        if (!def) throw new EngineError(27, 'IndexNotFound', `index not found with name [${name}]`);
        dropIndexDef(this.catalog, store, def);
      });
    } catch (err) {
      return Promise.reject(err);
    }
  }

  async withTransaction<R>(fn: (session: DbSession) => Promise<R>): Promise<R> {
    this.assertOpen();
    if (this.context.getStore()?.status === 'active') {
      throw new Error('withTransaction cannot be nested in the embedded engine');
    }
    const release = await this.lock.acquire();
    const txn = new TxnState(this);
    let timer: NodeJS.Timeout | undefined;
    try {
      const plain = this.pending.settlePlain();
      if (plain) await plain;
      txn.readsThrough = this.pending.pendingTxns();
      if (txn.readsThrough.length) this.stats.pipelinedTxns++;
      timer = setTimeout(() => {
        txn.abort(noSuchTransaction(`Transaction ${txn.number} has been aborted: it ran longer than ${this.txnTimeoutMs} ms`));
        release();
      }, this.txnTimeoutMs);
      timer.unref();
      let result: R;
      try {
        result = await this.context.run(txn, () => fn(new EmbeddedSession(txn)));
      } catch (err) {
        txn.abort();
        throw err;
      }
      txn.ensureActive(); // throws if the transaction timed out meanwhile
      txn.status = 'committing';
      await this.commitTxn(txn, release);
      return result;
    } finally {
      clearTimeout(timer);
      if (txn.status === 'committing') txn.status = 'aborted';
      release();
    }
  }

  /**
   * Queues a transaction's layers as one lmdb write callback that re-checks unique indexes and
   * applies them, unless a transaction it read through was not applied; releases the lock once
   * queued (later transactions then read through this one), resolves once durable.
   */
  private async commitTxn(txn: TxnState, release: () => void): Promise<void> {
    const failed = txn.failedDependency();
    if (failed) throw dependencyFailed(txn.number, failed.number);
    if (txn.changeCount === 0) {
      if (txn.readsThrough.length) {
        release();
        await this.awaitDependencies(txn);
      }
      txn.status = 'committed';
      return;
    }
    const layers = [...txn.layers.values()];
    txn.commit = 'queued';
    const queued = this.lmdbTransaction(() => {
      const outcome = attempt(() => {
        const unapplied = txn.unappliedDependency();
        if (unapplied) throw dependencyFailed(txn.number, unapplied.number);
        for (const layer of layers) {
          const view = new OverlayView(new CommittedView(layer.store), layer);
          for (const [ks, c] of layer.changes) if (c.doc) checkAllUnique(view, c.doc, ks);
        }
        for (const layer of layers) layer.applyToStore();
      });
      txn.commit = outcome.ok ? 'applied' : 'failed'; // read by later callbacks (see above)
      return outcome;
    });
    this.pending.trackTxn(txn, queued);
    release(); // later writes queue behind this commit in lmdb's order
    const outcome = await queued;
    if (!outcome.ok) throw outcome.error;
    txn.status = 'committed';
    await this.env.flushed;
  }

  /** A read-only transaction that read pending layers: their commits must succeed and be durable. */
  private async awaitDependencies(txn: TxnState): Promise<void> {
    await Promise.allSettled(txn.readsThrough.map((t) => t.done));
    const failed = txn.failedDependency();
    if (failed) throw dependencyFailed(txn.number, failed.number);
    await this.env.flushed;
  }

  /** What the engine is doing now: the write lock, pending commits (to diagnose a stuck request). */
  activity(): Record<string, unknown> {
    return { state: this.state, lock: this.lock.state, pending: this.pending.state, indexBuilds: [...this.building.keys()], stats: this.stats };
  }

  async ping(): Promise<void> {
    this.assertOpen();
    this.catalog.get('$ping');
  }

  async close(): Promise<void> {
    if (this.state !== 'open') return;
    this.state = 'closing';
    const release = await this.lock.acquire();
    try {
      await this.pending.settleAll();
      await this.env.close();
    } finally {
      this.state = 'closed';
      release();
    }
  }
}

/**
 * True for the rejection lmdb leaves unhandled when a batch fails to commit: the promise of its
 * own batch-start instruction, which no caller ever receives. Every write of the batch has been
 * rejected to its caller already, so the server logs this one instead of ending the process.
 */
export function isUnreachableCommitFailure(reason: unknown): boolean {
  return reason instanceof Error && reason.message.startsWith('Commit failed') && 'commitError' in reason;
}

/** Opens (creating if needed) an embedded database stored in `dir`. */
export async function openEmbeddedDatabase(dir: string, options?: EmbeddedOptions): Promise<Database> {
  fs.mkdirSync(dir, { recursive: true });
  return new EmbeddedDatabase(path.resolve(dir), options);
}

/** Work counters of an embedded database (undefined for other engines). */
export function embeddedStats(db: Database): EngineStats | undefined {
  return db instanceof EmbeddedDatabase ? db.stats : undefined;
}
