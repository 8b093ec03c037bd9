/**
 * Transactions of the embedded engine: the write lock that serialises transactions against other
 * writes, the tracker of in-flight lmdb commits, and the per-transaction state (one write layer
 * per collection, merged from each successful operation, applied to lmdb at commit, and the
 * pending transactions it reads through).
 */
import type { DbSession } from '../database.js';
import { noSuchTransaction } from './errors.js';
import type { WriteLayer } from './ops.js';
import { CollOverlay, OverlayView } from './overlay.js';
import { CommittedView, type CollStore, type View } from './store.js';

/** FIFO async mutex with a synchronous fast path; release hands the lock to the next waiter. */
export class Mutex {
  private locked = false;
  private readonly waiters: (() => void)[] = [];

  /** Held, and how many wait (for diagnostics). */
  get state(): { held: boolean; waiting: number } {
    return { held: this.locked, waiting: this.waiters.length };
  }

  tryAcquire(): (() => void) | undefined {
    if (this.locked) return undefined;
    this.locked = true;
    return this.releaser();
  }

  async acquire(): Promise<() => void> {
    const fast = this.tryAcquire();
    if (fast) return fast;
    await new Promise<void>((resolve) => this.waiters.push(resolve));
    return this.releaser();
  }

  private releaser(): () => void {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.waiters.shift();
      if (next) next();
      else this.locked = false;
    };
  }
}

/**
 * The lmdb commits that have been queued and not yet settled, in two kinds:
 * - plain (non-session) writes: they run against the real write-txn state inside lmdb, so nothing
 *   can layer over them; a transaction starting while one is pending waits for it (they are rare
 *   on the transaction path: index builds, registry upserts, plain writes made inside a
 *   transaction's callback context).
 * - transactions: a transaction starting while they are pending reads through their layers
 *   instead of waiting (see TxnState.readsThrough).
 */
export class CommitQueue {
  private readonly plain = new Set<Promise<unknown>>();
  /** Insertion-ordered, so iteration is lmdb's commit order (callbacks run FIFO). */
  private readonly txns = new Set<TxnState>();

  /** Pending commits (for diagnostics): plain writes, and transactions by number and state. */
  get state(): { plain: number; txns: { number: number; commit: CommitState; dependsOn: number[] }[] } {
    return { plain: this.plain.size, txns: [...this.txns].map((t) => ({ number: t.number, commit: t.commit, dependsOn: t.readsThrough.map((d) => d.number) })) };
  }

  trackPlain(p: Promise<unknown>): void {
    this.plain.add(p);
    const done = (): void => {
      this.plain.delete(p);
    };
    p.then(done, done);
  }

  /** Registers a transaction whose commit `p` has just been queued (resolving to its outcome). */
  trackTxn(txn: TxnState, p: Promise<{ ok: boolean }>): void {
    txn.done = p;
    this.txns.add(txn);
    const done = (ok: boolean): void => {
      if (!ok) txn.commit = 'failed'; // also covers an lmdb-level commit failure of its batch
      this.txns.delete(txn);
      txn.readsThrough = []; // settled: dependents have their own reference; break the chain
    };
    p.then((o) => done(o.ok), () => done(false));
  }

  /**
   * Transactions queued and not yet settled, oldest first, leaving out those already known to
   * fail (rejected by their callback, or behind a dependency that was): their layers will never
   * be applied, so a new transaction must not read through them.
   */
  pendingTxns(): TxnState[] {
    return [...this.txns].filter((t) => t.commit !== 'failed' && !t.failedDependency());
  }

  /** Waits for pending plain writes; undefined (no await needed) when there are none. */
  settlePlain(): Promise<void> | undefined {
    if (!this.plain.size) return undefined;
    return (async () => {
      while (this.plain.size) await Promise.allSettled([...this.plain]);
    })();
  }

  async settleAll(): Promise<void> {
    while (this.plain.size || this.txns.size) {
      await Promise.allSettled([...this.plain, ...[...this.txns].map((t) => t.done)]);
    }
  }
}

let txnCounter = 0;

export type TxnStatus = 'active' | 'committing' | 'committed' | 'aborted';
/**
 * Where the transaction's commit is in lmdb: 'applied' is set inside its lmdb write callback once
 * its changes are written (so a later callback in the same or a later batch can check it),
 * 'failed' when the callback rejected it or its batch failed to commit.
 */
export type CommitState = 'none' | 'queued' | 'applied' | 'failed';

export class TxnState {
  readonly number = ++txnCounter;
  status: TxnStatus = 'active';
  commit: CommitState = 'none';
  abortReason: Error | undefined;
  readonly layers = new Map<string, CollOverlay>();
  /**
   * Transactions whose commits were queued but not settled when this one started, oldest first.
   * Its reads see: own layer > their layers (newest first) > committed lmdb state. This stays
   * consistent while they commit underneath: a layer shadows exactly what its commit changes,
   * and nothing else can commit meanwhile (the lock is held; plain writes were settled first).
   * This transaction may only commit if every one of them was applied.
   */
  readsThrough: TxnState[] = [];
  /** The queued commit (set once queued). */
  done: Promise<unknown> = Promise.resolve();
  /** Per collection: the pending layers over committed state (fixed for the transaction). */
  private readonly bases = new Map<string, View>();

  constructor(readonly owner: object) {}

  ensureActive(): void {
    if (this.status === 'active') return;
    if (this.abortReason) throw this.abortReason;
    throw noSuchTransaction(`Transaction ${this.number} has been ${this.status}; the session can no longer be used`);
  }

  abort(reason?: Error): void {
    if (this.status !== 'active') return;
    this.status = 'aborted';
    this.abortReason = reason;
    this.layers.clear();
  }

  /** The first transaction read through that is not (yet) applied: this one must not commit. */
  unappliedDependency(): TxnState | undefined {
    return this.readsThrough.find((t) => t.commit !== 'applied');
  }

  failedDependency(): TxnState | undefined {
    return this.readsThrough.find((t) => t.commit === 'failed');
  }

  private layerFor(store: CollStore): CollOverlay {
    let layer = this.layers.get(store.name);
    if (!layer) this.layers.set(store.name, (layer = new CollOverlay(store)));
    return layer;
  }

  /** Committed state with the pending transactions' layers of this collection on top. */
  private base(store: CollStore): View {
    let view = this.bases.get(store.name);
    if (!view) {
      view = new CommittedView(store);
      for (const t of this.readsThrough) {
        const layer = t.layers.get(store.name);
        if (layer) view = new OverlayView(view, layer);
      }
      this.bases.set(store.name, view);
    }
    return view;
  }

  /** The transaction's view of a collection: committed + pending layers + its own writes. */
  view(store: CollStore): View {
    this.ensureActive();
    const layer = this.layers.get(store.name);
    return layer ? new OverlayView(this.base(store), layer) : this.base(store);
  }

  /** Runs one write operation in its own layer; merges it into the transaction if it succeeds. */
  run<R>(store: CollStore, op: (layer: WriteLayer) => R): R {
    this.ensureActive();
    const mine = new OverlayView(this.base(store), this.layerFor(store));
    const overlay = new CollOverlay(store);
    const result = op({ view: new OverlayView(mine, overlay), overlay });
    overlay.mergeInto(mine.overlay);
    return result;
  }

  get changeCount(): number {
    let n = 0;
    for (const layer of this.layers.values()) n += layer.size;
    return n;
  }
}

export class EmbeddedSession implements DbSession {
  readonly id: { txnNumber: number };
  constructor(readonly txn: TxnState) {
    this.id = { txnNumber: txn.number };
  }
}
