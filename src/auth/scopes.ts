/**
 * SMART scopes (App Launch 2.2 "Scopes and Launch Context"): parsing v1 and v2 resource scopes,
 * and the comparisons the authorization server needs (does one set of scopes cover a scope, what
 * two sets of scopes have in common).
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

function restrictionKey(q: QueryPairs): string {
  return q.map(([k, v]) => `${k}=${v}`).sort().join('&');
}

/** Does `by` allow letter `p` on what `scope` names (same context, type covered, no narrower restriction)? */
function allows(by: ResourceScope, scope: ResourceScope, p: Permission): boolean {
  return by.context === scope.context && (by.type === '*' || by.type === scope.type) && by.permissions.has(p)
    && (by.restriction.length === 0 || restrictionKey(by.restriction) === restrictionKey(scope.restriction));
}

/** Is every letter of `scope` allowed by one of `limits`? */
function covered(scope: ResourceScope, limits: readonly ResourceScope[]): boolean {
  return [...scope.permissions].every((p) => limits.some((l) => allows(l, scope, p)));
}

/** A scope's text: `text` itself when it says the same, else the v2 form. */
function scopeText(context: ScopeContext, type: string, letters: ReadonlySet<Permission>, restriction: QueryPairs, like: ResourceScope): string {
  if (type === like.type && letters.size === like.permissions.size && restrictionKey(restriction) === restrictionKey(like.restriction)) return like.text;
  const query = restriction.length ? `?${new URLSearchParams(restriction as Array<[string, string]>)}` : '';
  return `${context}/${type}.${PERMISSIONS.filter((p) => letters.has(p)).join('')}${query}`;
}

/**
 * What is left of one requested resource scope under the limits: for each limit of its context, the
 * common type (a wildcard on one side takes the other side's type), the common letters and the
 * restriction (kept when only one side has one or both have the same; different ones have nothing
 * in common). Pieces of the same type and restriction are merged, pieces another piece covers are
 * dropped. `patient/*.cruds` under `patient/*.rs` is `patient/*.rs`; `system/*.cruds` under
 * `system/Patient.rs system/Observation.r` is `system/Patient.rs system/Observation.r`.
 */
function intersectScope(scope: ResourceScope, limits: readonly ResourceScope[]): ResourceScope[] {
  const pieces = new Map<string, { type: string; restriction: QueryPairs; letters: Set<Permission> }>();
  for (const l of limits) {
    if (l.context !== scope.context) continue;
    const type = scope.type === '*' ? l.type : l.type === '*' || l.type === scope.type ? scope.type : undefined;
    if (type === undefined) continue;
    const letters = PERMISSIONS.filter((p) => scope.permissions.has(p) && l.permissions.has(p));
    if (letters.length === 0) continue;
    let restriction: QueryPairs;
    if (l.restriction.length === 0) restriction = scope.restriction;
    else if (scope.restriction.length === 0 || restrictionKey(scope.restriction) === restrictionKey(l.restriction)) restriction = l.restriction;
    else continue;
    const key = `${type}?${restrictionKey(restriction)}`;
    const piece = pieces.get(key) ?? { type, restriction, letters: new Set<Permission>() };
    for (const p of letters) piece.letters.add(p);
    pieces.set(key, piece);
  }
  const found: ResourceScope[] = [...pieces.values()].map((piece) => {
    const text = scopeText(scope.context, piece.type, piece.letters, piece.restriction, scope);
    return { context: scope.context, type: piece.type, permissions: piece.letters, restriction: piece.restriction, text, version: text === scope.text ? scope.version : 2 };
  });
  // Merged by type and restriction, a piece is only ever covered by more general ones (a wildcard
  // type, no restriction), never the other way round: dropping every covered piece loses nothing.
  return found.filter((s) => !covered(s, found.filter((o) => o !== s)));
}

/**
 * What both `requested` and `allowed` (scope strings) cover: each requested resource scope
 * intersected with the allowed ones (see intersectScope; a scope wholly allowed is kept as written),
 * the other scopes kept when listed in `allowed`. `contexts`: resource scopes of other contexts
 * (patient, user, system) are dropped. Order follows `requested`, without repeats.
 */
export function narrowScopes(requested: readonly string[], allowed: readonly string[], options: { contexts?: readonly ScopeContext[] } = {}): string[] {
  const limits = allowed.map(parseResourceScope).filter((s): s is ResourceScope => s !== undefined);
  const out = new Set<string>();
  for (const text of requested) {
    const scope = parseResourceScope(text);
    if (!scope) {
      if (allowed.includes(text)) out.add(text);
      continue;
    }
    if (options.contexts && !options.contexts.includes(scope.context)) continue;
    for (const piece of intersectScope(scope, limits)) out.add(piece.text);
  }
  return [...out];
}

/** True when every scope of `requested` is wholly covered by `allowed`. */
export function coversAll(allowed: readonly string[], requested: readonly string[]): boolean {
  const limits = allowed.map(parseResourceScope).filter((s): s is ResourceScope => s !== undefined);
  return requested.every((text) => {
    const scope = parseResourceScope(text);
    return scope ? covered(scope, limits) : allowed.includes(text);
  });
}
