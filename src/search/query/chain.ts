/**
 * Chained parameters (search.html#chaining) and reverse chaining `_has` (search.html#has), parsed
 * into ChainSpecs for the executor, which runs the sub-searches (see ChainSpec in types.ts). The
 * rest of the chain is compiled here once for each target type, to refuse malformed values and
 * unknown parameters now and to keep only the target types that know the chained parameter.
 *
 *   subject.name=peter            chain on subject, every target type that has `name`
 *   subject:Patient.name=peter    chain on subject, Patient only
 *   _has:Observation:patient:code=1234          Observations with code 1234 whose patient is us
 *   _has:A:p:_has:B:q:param=v                   nested
 * At most MAX_CHAIN_LINKS links (each `.` and each `_has:` is one): more is a 400.
 */
import { RESOURCE_TYPES } from '../../fhir/definitions.js';
import { FhirError } from '../../fhir/errors.js';
import { getSearchParameter } from '../parameters.js';
import { invalid } from './errors.js';
import { isTypeModifier, targetTypesOf } from './reference.js';
import { RESULT_PARAMS } from './result.js';
import type { ChainSpec, CompiledSearch, SearchRequest } from './types.js';
import type { ParsedName } from './parse.js';
import type { SearchParameterDef } from '../types.js';

export const MAX_CHAIN_LINKS = 3;

export type SubCompile = (req: SearchRequest, depth: number) => CompiledSearch;

export interface ChainContext {
  req: SearchRequest;
  depth: number;
  compile: SubCompile;
}

/** Links in a chained / _has parameter name: each `_has:` and each `.`. */
export function chainLinks(name: string): number {
  return (name.match(/_has:/g) ?? []).length + (name.match(/\./g) ?? []).length;
}

function checkDepth(name: string, depth: number): void {
  if (depth + chainLinks(name) > MAX_CHAIN_LINKS) {
    throw invalid(name, `Parameter '${name}' chains more than ${MAX_CHAIN_LINKS} links`);
  }
}

/** errors already rewritten for a chain: their message without the `In '...': ` of the inner chain */
const innerMessage = new WeakMap<object, string>();

/** The error of a sub-search, named after the outer parameter. */
function wrap(name: string, e: unknown): unknown {
  if (!(e instanceof FhirError)) return e;
  const message = innerMessage.get(e) ?? e.message;
  const out = new FhirError(e.status, e.outcome.issue[0]?.code ?? 'invalid', `In '${name}': ${message}`, { expression: [name] });
  innerMessage.set(out, message);
  return out;
}

/** The types of `types` on which [[rest, value]] compiles without unknown parameters. */
function acceptingTypes(ctx: ChainContext, name: string, types: readonly string[], rest: string, value: string): string[] {
  const head = rest.split(/[:.]/)[0];
  if (RESULT_PARAMS.has(head)) throw invalid(name, `'${head}' cannot be chained (in '${name}')`);
  const out: string[] = [];
  let error: unknown;
  for (const type of types) {
    try {
      const sub = ctx.compile({ type, params: [[rest, value]], strict: false, baseUrl: ctx.req.baseUrl, now: ctx.req.now }, ctx.depth + 1);
      if (sub.unknown.length === 0) out.push(type);
    } catch (e) {
      error ??= e;
    }
  }
  if (out.length === 0 && error !== undefined) throw wrap(name, error);
  return out;
}

/** `subject.name=x`: a ChainSpec, or undefined when no target type knows the chained parameter. */
export function parseChain(ctx: ChainContext, parsed: ParsedName, def: SearchParameterDef, value: string): ChainSpec | undefined {
  const { name } = parsed;
  checkDepth(name, ctx.depth);
  if (def.type !== 'reference') throw invalid(name, `Cannot chain on '${parsed.code}': it is a ${def.type} parameter, not a reference`);
  if (parsed.modifier !== undefined && !isTypeModifier(parsed.modifier)) {
    throw invalid(name, `In a chain only a resource type may follow '${parsed.code}:' (got ':${parsed.modifier}')`);
  }
  const rest = parsed.chain!;
  if (rest === '') throw invalid(name, `Parameter '${name}' has an empty chain`);
  const types = targetTypesOf({ name, def }, parsed.modifier) ?? [...RESOURCE_TYPES];
  const accepted = acceptingTypes(ctx, name, types, rest, value);
  if (accepted.length === 0) return undefined;
  return { kind: 'chain', name, param: parsed.code, targetTypes: accepted, rest, value };
}

/** `_has:Type:param:rest=value`: a ChainSpec, or undefined when Type does not know `rest`. */
export function parseHas(ctx: ChainContext, name: string, value: string): ChainSpec | undefined {
  checkDepth(name, ctx.depth);
  const parts = name.split(':');
  const [, type, param] = parts;
  const rest = parts.slice(3).join(':');
  if (parts.length < 4 || !type || !param || rest === '') {
    throw invalid(name, `Invalid _has parameter '${name}': expected _has:Type:reference-parameter:parameter`);
  }
  if (!RESOURCE_TYPES.has(type)) throw invalid(name, `Invalid _has parameter '${name}': unknown resource type '${type}'`);
  const def = getSearchParameter(type, param);
  if (!def || def.type !== 'reference') throw invalid(name, `Invalid _has parameter '${name}': ${type} has no reference parameter '${param}'`);
  if (def.target && !def.target.includes(ctx.req.type)) {
    throw invalid(name, `Invalid _has parameter '${name}': ${type}.${param} cannot refer to ${ctx.req.type}`);
  }
  const accepted = acceptingTypes(ctx, name, [type], rest, value);
  if (accepted.length === 0) return undefined;
  return { kind: 'has', name, param, targetTypes: accepted, rest, value };
}
