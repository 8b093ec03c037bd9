/**
 * Keyset paging (search.html#paging with a stable sort): the cursor holds the sort values and the
 * id of the last (next page) or first (previous page) entry; the next page is "strictly after"
 * it in the sort order. Sort fields are scalars (`_idx.sort.<code>.lo|hi`, `_id`), missing values
 * sort lowest, as in MongoDB.
 */
import { badRequest } from '../../fhir/errors.js';
import type { Doc, Filter } from '../../store/database.js';
import { NOTHING } from '../query/combine.js';

export interface SortKey {
  field: string;
  dir: 1 | -1;
}

export interface Cursor {
  /** the sort values of the boundary entry (null when it has none), then its _id */
  values: Array<string | number | null>;
  /** 'n': the page after the boundary; 'p': the page before it */
  dir: 'n' | 'p';
}

export function encodeCursor(c: Cursor): string {
  return Buffer.from(JSON.stringify([c.dir, ...c.values])).toString('base64url');
}

export function decodeCursor(text: string, keys: readonly SortKey[]): Cursor {
  try {
    const [dir, ...values] = JSON.parse(Buffer.from(text, 'base64url').toString('utf8')) as unknown[];
    if ((dir === 'n' || dir === 'p') && values.length === keys.length && values.every((v) => v === null || typeof v === 'string' || typeof v === 'number')) {
      return { dir, values: values as Cursor['values'] };
    }
  } catch {
    /* below */
  }
  throw badRequest('_cursor is not a page cursor of this search (the sort may have changed)', ['_cursor']);
}

function valueAt(doc: Doc, path: string): string | number | null {
  let cur: unknown = doc;
  for (const part of path.split('.')) {
    if (!cur || typeof cur !== 'object') return null;
    cur = (cur as Record<string, unknown>)[part];
  }
  return typeof cur === 'string' || typeof cur === 'number' ? cur : null;
}

export function cursorOf(doc: Doc, keys: readonly SortKey[], dir: Cursor['dir']): Cursor {
  return { dir, values: keys.map((k) => valueAt(doc, k.field)) };
}


/** Documents strictly after `values` in the order of `keys` (each key's own direction). */
export function afterFilter(keys: readonly SortKey[], values: Cursor['values']): Filter {
  const branches: Filter[] = [];
  for (let i = 0; i < keys.length; i++) {
    const and: Filter[] = [];
    for (let j = 0; j < i; j++) and.push({ [keys[j].field]: values[j] });
    const { field, dir } = keys[i];
    const v = values[i];
    let after: Filter;
    if (dir === 1) after = v === null ? { [field]: { $ne: null } } : { [field]: { $gt: v } };
    else after = v === null ? NOTHING : { $or: [{ [field]: { $lt: v } }, { [field]: null }] };
    if (after === NOTHING) continue;
    and.push(after);
    branches.push(and.length === 1 ? and[0] : { $and: and });
  }
  return branches.length === 0 ? NOTHING : branches.length === 1 ? branches[0] : { $or: branches };
}

export function sortDocument(keys: readonly SortKey[], reverse = false): Record<string, 1 | -1> {
  const out: Record<string, 1 | -1> = {};
  for (const k of keys) out[k.field] = (reverse ? -k.dir : k.dir) as 1 | -1;
  return out;
}

export function reversed(keys: readonly SortKey[]): SortKey[] {
  return keys.map((k) => ({ field: k.field, dir: (k.dir === 1 ? -1 : 1) as 1 | -1 }));
}
