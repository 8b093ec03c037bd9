/**
 * SMART scopes (App Launch 2.2 "Scopes and Launch Context"): parsing v1 and v2 resource scopes,
 * and the comparisons the authorization server needs (does one set of scopes cover a scope, what
 * is left of a scope under a limit).
 *
 *   v1: patient/Observation.read  user/*.write  system/*.*
 *   v2: patient/Observation.rs  user/*.cruds  patient/Observation.rs?category=laboratory
 *
 * v1 `read` is v2 `rs`, `write` is `cud`, `*` is `cruds`. Other scopes (openid, fhirUser, profile,
 * launch, launch/patient, launch/encounter, offline_access, online_access) are kept as words.
 */
import type { QueryPairs } from '../resources/interaction.js';
import { parseQuery } from '../resources/interaction.js';
import { isResourceType } from '../fhir/definitions.js';

export type ScopeContext = 'patient' | 'user' | 'system';
export type Permission = 'c' | 'r' | 'u' | 'd' | 's';
export const PERMISSIONS: readonly Permission[] = ['c', 'r', 'u', 'd', 's'];

export interface ResourceScope {
  context: ScopeContext;
  /** a resource type, or '*' */
  type: string;
  permissions: ReadonlySet<Permission>;
  /** v2 `?param=value` restriction (search parameters the resources must match); empty: none */
  restriction: QueryPairs;
  /** the scope as written */
  text: string;
  version: 1 | 2;
}

export const OTHER_SCOPES = ['openid', 'fhirUser', 'profile', 'launch', 'launch/patient', 'launch/encounter', 'offline_access', 'online_access'] as const;

const RESOURCE_SCOPE = /^(patient|user|system)\/(\*|[A-Z][A-Za-z]+)\.(read|write|\*|c?r?u?d?s?)(\?.*)?$/;

/** A resource scope, or undefined when `text` is not one (or names an unknown type or no letter). */
export function parseResourceScope(text: string): ResourceScope | undefined {
  const m = RESOURCE_SCOPE.exec(text);
  if (!m) return undefined;
  const [, context, type, action, query] = m;
  if (type !== '*' && !isResourceType(type)) return undefined;
  let letters: string;
  let version: 1 | 2 = 2;
  if (action === 'read') (letters = 'rs'), (version = 1);
  else if (action === 'write') (letters = 'cud'), (version = 1);
  else if (action === '*') (letters = 'cruds'), (version = 1);
  else letters = action;
  if (letters === '') return undefined;
  if (query !== undefined && version === 1) return undefined;
  const restriction = query ? parseQuery(query.slice(1)) : [];
  if (query !== undefined && restriction.length === 0) return undefined;
  return { context: context as ScopeContext, type, permissions: new Set(letters.split('') as Permission[]), restriction, text, version };
}

/** Splits a scope string on spaces (any run of whitespace), dropping duplicates, keeping order. */
export function splitScopes(scope: string | undefined): string[] {
  return [...new Set((scope ?? '').split(/\s+/).filter((s) => s !== ''))];
}

export function isKnownScope(text: string): boolean {
  return (OTHER_SCOPES as readonly string[]).includes(text) || parseResourceScope(text) !== undefined;
}

export function resourceScopes(scope: string | undefined): ResourceScope[] {
  return splitScopes(scope).map(parseResourceScope).filter((s): s is ResourceScope => s !== undefined);
}

function sameRestriction(a: QueryPairs, b: QueryPairs): boolean {
  const key = (q: QueryPairs) => q.map(([k, v]) => `${k}=${v}`).sort().join('&');
  return key(a) === key(b);
}

/** Does `by` allow letter `p` on what `scope` names (same context, type covered, no narrower restriction)? */
function allows(by: ResourceScope, scope: ResourceScope, p: Permission): boolean {
  return by.context === scope.context && (by.type === '*' || by.type === scope.type) && by.permissions.has(p)
    && (by.restriction.length === 0 || sameRestriction(by.restriction, scope.restriction));
}

/**
 * What is left of `requested` under the limit `allowed` (scope strings): the scope itself when
 * covered, a narrower one when only some letters are (`patient/*.cruds` under `patient/*.rs` is
 * `patient/*.rs`), undefined when nothing is. Non-resource scopes are kept when listed in `allowed`.
 */
export function narrowScope(requested: string, allowed: readonly string[]): string | undefined {
  const scope = parseResourceScope(requested);
  if (!scope) return allowed.includes(requested) ? requested : undefined;
  const limits = allowed.map(parseResourceScope).filter((s): s is ResourceScope => s !== undefined);
  const kept = PERMISSIONS.filter((p) => scope.permissions.has(p) && limits.some((l) => allows(l, scope, p)));
  if (kept.length === 0) return undefined;
  if (kept.length === scope.permissions.size) return requested;
  const query = scope.restriction.length ? `?${new URLSearchParams(scope.restriction as Array<[string, string]>)}` : '';
  return `${scope.context}/${scope.type}.${kept.join('')}${query}`;
}

/** Each requested scope narrowed to `allowed`, the ones with nothing left dropped. */
export function narrowScopes(requested: readonly string[], allowed: readonly string[]): string[] {
  return [...new Set(requested.map((s) => narrowScope(s, allowed)).filter((s): s is string => s !== undefined))];
}

/** True when every scope of `requested` is wholly covered by `allowed`. */
export function coversAll(allowed: readonly string[], requested: readonly string[]): boolean {
  return requested.every((s) => narrowScope(s, allowed) === s);
}
