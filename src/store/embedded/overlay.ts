/**
 * Uncommitted changes to one collection, layered over a View. Every write runs against a fresh
 * layer: a plain write's layer is applied to lmdb in the same write transaction; a transaction's
 * operations each run in a layer over the transaction's own layer and are merged into it when they
 * succeed, so a failed operation leaves nothing behind. Only unique indexes are tracked per layer
 * (for duplicate-key probes); queries re-check every layered document with mingo anyway.
 */
import type { Doc } from '../database.js';
import { applyChange, docEntries, type DocEntries } from './indexes.js';
import type { CollStore, View } from './store.js';

export interface Change {
  idKey: Buffer;
  /** The new version, or null for a deletion. */
  doc: Doc | null;
  /** Index entries of `doc` per index name, computed (and so validated) when the change is made. */
  entries: Map<string, DocEntries>;
}

export class CollOverlay {
  readonly changes = new Map<string, Change>();
  /** unique index name -> tuple (latin1) -> ids (latin1) of layered docs with that tuple */
  private readonly unique = new Map<string, Map<string, Set<string>>>();
  /** id -> [index name, tuple] pairs it was filed under, to unfile on overwrite */
  private readonly filed = new Map<string, [string, string][]>();

  constructor(readonly store: CollStore) {}

  set(idKey: Buffer, ks: string, doc: Doc | null): void {
    for (const [index, tuple] of this.filed.get(ks) ?? []) this.unique.get(index)?.get(tuple)?.delete(ks);
    this.filed.delete(ks);
    const entries = new Map<string, DocEntries>();
    this.changes.set(ks, { idKey, doc, entries });
    if (!doc) return;
    const filed: [string, string][] = [];
    for (const def of this.store.indexes) {
      const de = docEntries(def, doc);
      entries.set(def.name, de);
      if (!def.unique) continue;
      let byTuple = this.unique.get(def.name);
      if (!byTuple) this.unique.set(def.name, (byTuple = new Map()));
      for (const tuple of de.entries.keys()) {
        let ids = byTuple.get(tuple);
        if (!ids) byTuple.set(tuple, (ids = new Set()));
        ids.add(ks);
        filed.push([def.name, tuple]);
      }
    }
    if (filed.length) this.filed.set(ks, filed);
  }

  idsFor(index: string, tuple: string): Iterable<string> {
    return this.unique.get(index)?.get(tuple) ?? [];
  }

  get size(): number {
    return this.changes.size;
  }

  mergeInto(parent: CollOverlay): void {
    for (const [ks, c] of this.changes) parent.set(c.idKey, ks, c.doc);
  }

  /** Writes every change to lmdb; call inside a write transaction callback. */
  applyToStore(): void {
    for (const c of this.changes.values()) applyChange(this.store, c.idKey, c.doc, c.entries);
  }
}

export class OverlayView implements View {
  readonly layered = true;
  readonly store: CollStore;

  constructor(
    readonly parent: View,
    readonly overlay: CollOverlay,
  ) {
    this.store = parent.store;
  }

  get(idKey: Buffer, ks: string): Doc | undefined {
    const c = this.overlay.changes.get(ks);
    if (c) {
      this.store.stats.docsExamined++;
      return c.doc ? structuredClone(c.doc) : undefined;
    }
    return this.parent.get(idKey, ks);
  }

  change(ks: string): Change | undefined {
    return this.overlay.changes.get(ks) ?? this.parent.change(ks);
  }

  isOverlaid(ks: string): boolean {
    return this.overlay.changes.has(ks) || this.parent.isOverlaid(ks);
  }

  *overlayKeys(): Iterable<[string, Buffer]> {
    for (const [ks, c] of this.overlay.changes) yield [ks, c.idKey];
    for (const [ks, key] of this.parent.overlayKeys()) if (!this.overlay.changes.has(ks)) yield [ks, key];
  }

  *overlayIndexIds(index: string, tupleKs: string): Iterable<string> {
    yield* this.overlay.idsFor(index, tupleKs);
    yield* this.parent.overlayIndexIds(index, tupleKs);
  }
}
