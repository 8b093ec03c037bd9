/**
 * Group commit: independent writes that arrive while a commit is in progress are committed together
 * in the next transaction, so one durable commit serves many requests. If a grouped transaction
 * fails, each write is retried on its own, so one bad write never fails its neighbours.
 */
import type { Database, DbSession } from './database.js';

type Work<R> = (session: DbSession) => Promise<R>;

interface Pending {
  work: Work<unknown>;
  resolve(value: unknown): void;
  reject(err: unknown): void;
}

export class GroupCommit {
  private queue: Pending[] = [];
  private inFlight = 0;

  /**
   * @param maxInFlight groups handed to the database at once: the next group runs while the
   *   previous one's commit is being flushed to disk
   */
  constructor(private readonly db: Database, private readonly maxGroup = 256, private readonly maxInFlight = 2) {}

  /** Writes waiting and groups being committed (for diagnostics). */
  get state(): { queued: number; inFlight: number } {
    return { queued: this.queue.length, inFlight: this.inFlight };
  }

  run<R>(work: Work<R>): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      this.queue.push({ work, resolve: resolve as (v: unknown) => void, reject });
      if (this.inFlight < this.maxInFlight) void this.drain();
    });
  }

  private async drain(): Promise<void> {
    this.inFlight++;
    try {
      while (this.queue.length) {
        const group = this.queue.splice(0, this.maxGroup);
        await this.commitGroup(group);
      }
    } finally {
      this.inFlight--;
    }
  }

  private async commitGroup(group: Pending[]): Promise<void> {
    if (group.length > 1) {
      try {
        const results = await this.db.withTransaction(async (session) => {
          const out: unknown[] = [];
          for (const p of group) out.push(await p.work(session));
          return out;
        });
        group.forEach((p, i) => p.resolve(results[i]));
        return;
      } catch {
        // fall through: each on its own, so only the failing one sees its error
      }
    }
    for (const p of group) {
      try {
        p.resolve(await this.db.withTransaction((session) => p.work(session)));
      } catch (err) {
        p.reject(err);
      }
    }
  }
}
