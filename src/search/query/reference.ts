/**
 * reference parameters (search.html#reference), on the keys `p|Type/id` and `p|<absolute URL>`:
 *   `123`                    `p|T/123` for each target type T of the parameter (an entry with
 *                            id 123 when it has no target list or a very long one)
 *   `Patient/123`            `p|Patient/123` (`/_history/n` dropped, like the index)
 *   `<baseUrl>/Patient/123`  the server's own base stripped: `p|Patient/123`
 *   `http://other/...`, urn  `p|<the URL>` (the index keys the full reference too)
 *   `url|version`            a canonical: entry with `u` = url and `ver` = version
 * Modifiers: `:Type` (`subject:Patient=123`: only that target type), `:identifier` (a token on
 * Reference.identifier: keys `p:identifier|system|value` ...), `:missing` (compile.ts).
 * Chained parameters and `_has` are in chain.ts.
 */
import { RESOURCE_TYPES } from '../../fhir/definitions.js';
import { valueKey } from '../normalise.js';
import { invalid } from './errors.js';
import { splitParts, splitUnescaped, unescapeValue } from './parse.js';
import { tokenKeyMatch } from './token.js';
import type { Cond, Filter, Match, ParamContext } from './types.js';
import { KEYS } from './combine.js';

const RELATIVE = /^([A-Z][A-Za-z]+)\/([A-Za-z0-9\-.]{1,64})(?:\/_history\/[^/]+)?$/;
const ID = /^[A-Za-z0-9\-.]{1,64}$/;
const ABSOLUTE = /^[a-z][a-z0-9+.-]*:/i;
/** above this many target types, a bare id is matched on the entry's `id` rather than by keys */
const MAX_TYPED_KEYS = 32;

/** The target types of a reference parameter for a `:Type` modifier (undefined: none given). */
export function targetTypesOf(ctx: Pick<ParamContext, 'name' | 'def'>, typeModifier: string | undefined): string[] | undefined {
  if (typeModifier === undefined) return ctx.def.target ? [...ctx.def.target] : undefined;
  if (ctx.def.target && !ctx.def.target.includes(typeModifier)) {
    throw invalid(ctx.name, `Parameter '${ctx.def.code}' cannot refer to ${typeModifier} (its targets are ${ctx.def.target.join(', ')})`);
  }
  return [typeModifier];
}

export function isTypeModifier(modifier: string | undefined): modifier is string {
  return modifier !== undefined && RESOURCE_TYPES.has(modifier);
}

/** One reference value as a match (modifier: undefined, a resource type or `identifier`). */
export function referenceMatch(ctx: ParamContext, value: string): Match {
  const { code, modifier, name } = ctx;
  if (modifier === 'identifier') return tokenKeyMatch(name, `${code}:identifier`, value);
  const typeModifier = isTypeModifier(modifier) ? modifier : undefined;
  const bar = splitUnescaped(value, '|');
  if (bar.length === 2 && typeModifier === undefined) {
    const [url, version] = splitParts(value);
    return { kind: 'entry', cond: version === '' ? { u: url } : { u: url, ver: version } };
  }
  if (bar.length > 2) throw invalid(name, `Invalid value for reference parameter '${name}': '${value}'`);
  let ref = unescapeValue(value);
  const base = ctx.baseUrl?.replace(/\/+$/, '');
  if (base && ref.startsWith(`${base}/`)) ref = ref.slice(base.length + 1);
  else if (ABSOLUTE.test(ref)) {
    if (typeModifier !== undefined) throw invalid(name, `Parameter '${name}' takes an id or ${typeModifier}/id, not '${value}'`);
    return { kind: 'keys', keys: [valueKey(code, ref)] };
  }
  const m = RELATIVE.exec(ref);
  if (m && RESOURCE_TYPES.has(m[1])) {
    if (typeModifier !== undefined && m[1] !== typeModifier) throw invalid(name, `Parameter '${name}' takes ${typeModifier} references, not '${value}'`);
    return { kind: 'keys', keys: [valueKey(code, `${m[1]}/${m[2]}`)] };
  }
  if (ID.test(ref)) {
    const types = targetTypesOf(ctx, typeModifier);
    if (types && types.length <= MAX_TYPED_KEYS) return { kind: 'keys', keys: types.map((t) => valueKey(code, `${t}/${ref}`)) };
    return { kind: 'entry', cond: { id: ref } };
  }
  throw invalid(name, `Invalid value for reference parameter '${name}': '${value}' is not an id, Type/id or absolute URL`);
}

/** A reference value as a condition on one entry (composite components). */
export function referenceCondition(ctx: ParamContext, value: string): Cond {
  const m = referenceMatch(ctx, value);
  if (m.kind === 'entry') return m.cond;
  if (m.kind === 'keys') {
    const refs = m.keys.map((k) => unescapeValue(k.slice(ctx.code.length + 1)));
    const cond = (r: string): Cond => (RELATIVE.test(r) ? { r } : { u: r });
    return refs.length === 1 ? cond(refs[0]) : { $or: refs.map(cond) };
  }
  throw invalid(ctx.name, `Unsupported reference value '${value}' in '${ctx.name}'`);
}

/**
 * For the executor of chains: documents whose parameter `code` references one of `refs`
 * (`Type/id`, or absolute URLs as indexed).
 */
export function referenceFilter(code: string, refs: readonly string[]): Filter {
  return { [KEYS]: { $in: [...new Set(refs.map((r) => valueKey(code, r)))] } };
}

/** Documents with one of these logical ids (the `_id` of `<Type>_idx` is the resource id). */
export function idFilter(ids: readonly string[]): Filter {
  return { _id: { $in: [...new Set(ids)] } };
}
