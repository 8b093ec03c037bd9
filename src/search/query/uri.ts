/**
 * uri parameters (search.html#uri), on the keys `p|uri`:
 *   default   the uri equals the value exactly
 *   :above    the indexed uri is the value or one of its parents by path segment
 *             (`http://a.org/fhir/ValueSet/1` matches `.../ValueSet/1`, `.../ValueSet`, `.../fhir`, `http://a.org`)
 *   :below    the value is a prefix of the indexed uri (anchored regex on the keys)
 */
import { valueKey } from '../normalise.js';
import { unescapeValue } from './parse.js';
import type { Cond, Match } from './types.js';

/** The value and each of its parents by `/`, down to the authority (for `scheme://host/...`). */
export function uriParents(uri: string): string[] {
  const out = [uri];
  const authority = /^[a-z][a-z0-9+.-]*:\/\/[^/]*/i.exec(uri);
  if (!authority) return out;
  let cut = uri.replace(/\/+$/, '');
  if (cut !== uri) out.push(cut);
  while (cut.length > authority[0].length) {
    const slash = cut.lastIndexOf('/');
    if (slash < authority[0].length) break;
    cut = cut.slice(0, slash);
    out.push(cut);
  }
  return out;
}

export function uriMatch(p: string, modifier: string | undefined, value: string): Match {
  const uri = unescapeValue(value);
  if (modifier === 'below') return { kind: 'keyPrefix', prefix: valueKey(p, uri) };
  if (modifier === 'above') return { kind: 'keys', keys: uriParents(uri).map((u) => valueKey(p, u)) };
  return { kind: 'keys', keys: [valueKey(p, uri)] };
}

export function uriCondition(value: string): Cond {
  return { u: unescapeValue(value) };
}
