/**
 * mingo, wrapped: compiled filters, sorting and projection with MongoDB semantics, with mingo's
 * errors reported as engine errors.
 */
import { find as mingoFind, Query } from 'mingo';
import type { Doc, Filter, Projection, SortSpec } from '../database.js';
import { badValue, wrapMingoError } from './errors.js';

export interface Matcher {
  test(doc: Doc): boolean;
}

export function compileFilter(filter: Filter | null | undefined): Matcher {
  if (filter === null || filter === undefined) return { test: () => true };
  if (typeof filter !== 'object' || Array.isArray(filter)) throw badValue('query filter must be an object');
  if (Object.keys(filter).length === 0) return { test: () => true };
  try {
    const q = new Query(filter);
    return {
      test: (doc) => {
        try {
          return q.test(doc);
        } catch (err) {
          throw wrapMingoError(err);
        }
      },
    };
  } catch (err) {
    throw wrapMingoError(err);
  }
}

export function validateSort(sort: SortSpec): void {
  for (const [k, v] of Object.entries(sort)) {
    if (v !== 1 && v !== -1) throw badValue(`bad sort specification for ${k}: ${String(v)}`);
  }
}

export function sortDocs(docs: Doc[], sort: SortSpec | undefined): Doc[] {
  if (!sort || Object.keys(sort).length === 0 || docs.length < 2) return docs;
  validateSort(sort);
  try {
    return mingoFind(docs, {}).sort(sort).all() as Doc[];
  } catch (err) {
    throw wrapMingoError(err);
  }
}

export function project(docs: Doc[], projection: Projection | undefined): Doc[] {
  if (!projection || Object.keys(projection).length === 0 || docs.length === 0) return docs;
  try {
    return mingoFind(docs, {}, projection).all() as Doc[];
  } catch (err) {
    throw wrapMingoError(err);
  }
}
