/**
 * Transactions of the embedded engine: the write lock that serialises transactions against other
 * writes, the tracker of in-flight lmdb commits, and the per-transaction state (one write layer
 * per collection, merged from each successful operation, applied to lmdb at commit).
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

/** The lmdb commits that have been queued and not yet settled. */
export class PendingWrites {
  private readonly inFlight = new Set<Promise<unknown>>();

  track(p: Promise<unknown>): void {
    this.inFlight.add(p);
    const done = (): void => {
      this.inFlight.delete(p);
    };
    p.then(done, done);
  }

  async settle(): Promise<void> {
    while (this.inFlight.size) await Promise.allSettled([...this.inFlight]);
  }
}

let txnCounter = 0;

export type TxnStatus = 'active' | 'committing' | 'committed' | 'aborted';

export class TxnState {
  readonly number = ++txnCounter;
  status: TxnStatus = 'active';
  abortReason: Error | undefined;
  readonly layers = new Map<string, CollOverlay>();

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

  private layerFor(store: CollStore): CollOverlay {
    let layer = this.layers.get(store.name);
    if (!layer) this.layers.set(store.name, (layer = new CollOverlay(store)));
    return layer;
  }

  /** The transaction's view of a collection: committed state plus its own writes. */
  view(store: CollStore): View {
    this.ensureActive();
    const layer = this.layers.get(store.name);
    return layer ? new OverlayView(new CommittedView(store), layer) : new CommittedView(store);
  }

  /** Runs one write operation in its own layer; merges it into the transaction if it succeeds. */
  run<R>(store: CollStore, op: (layer: WriteLayer) => R): R {
    this.ensureActive();
    const base = new OverlayView(new CommittedView(store), this.layerFor(store));
    const overlay = new CollOverlay(store);
    const result = op({ view: new OverlayView(base, overlay), overlay });
    overlay.mergeInto(base.overlay);
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
