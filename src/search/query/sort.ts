/**
 * `_sort` (search.html#sort): a comma list of parameter codes, `-` in front for descending. The
 * index keeps per parameter the smallest (`lo`) and largest (`hi`) value (extract.ts), so
 * ascending sorts on `lo` and descending on `hi` (what MongoDB does with an array: the smallest
 * element ascending, the largest descending), always on a scalar. Resources without a value sort
 * first ascending, last descending (a missing field sorts lowest).
 */
import { getSearchParameter } from '../parameters.js';
import { invalid } from './errors.js';

const SORTABLE = new Set(['string', 'token', 'date', 'number', 'quantity', 'reference', 'uri']);

export function parseSort(type: string, name: string, value: string): Array<{ code: string; dir: 1 | -1 }> {
  const out: Array<{ code: string; dir: 1 | -1 }> = [];
  for (const raw of value.split(',')) {
    const item = raw.trim();
    if (item === '') continue;
    const dir: 1 | -1 = item.startsWith('-') ? -1 : 1;
    const code = dir === -1 ? item.slice(1) : item;
    const def = getSearchParameter(type, code);
    if (!def) throw invalid(name, `Invalid _sort: ${type} has no search parameter '${code}'`);
    if (!SORTABLE.has(def.type) || def.branches.length === 0) {
      throw invalid(name, `Invalid _sort: cannot sort on '${code}' (${def.type} parameters${def.branches.length === 0 ? ' without an expression' : ''} are not sortable)`);
    }
    if (out.some((s) => s.code === code)) throw invalid(name, `Invalid _sort: '${code}' appears twice`);
    out.push({ code, dir });
  }
  return out;
}

/** The sort document for one `_sort` item, e.g. `{ '_idx.sort.birthdate.lo': 1 }`. */
export function sortFields(code: string, dir: 1 | -1): Record<string, 1 | -1> {
  return { [`_idx.sort.${code}.${dir === 1 ? 'lo' : 'hi'}`]: dir };
}
