/**
 * Walking and rewriting the links inside a resource: Reference.reference at any depth, and, for
 * transaction Bundles (hl7.org/fhir/R4/http.html#trules), every element of type uri, url,
 * canonical, oid or uuid and the href/src attributes of the narrative.
 */
import { childStep, ownTypePath } from './model.js';

/** Calls visit for every object holding a string `reference`, at any depth (contained included). */
export function visitReferences(value: unknown, visit: (holder: { reference: string }) => void): void {
  if (Array.isArray(value)) {
    for (const v of value) visitReferences(v, visit);
  } else if (value && typeof value === 'object') {
    const obj = value as Record<string, unknown>;
    if (typeof obj.reference === 'string') visit(obj as { reference: string });
    for (const key in obj) {
      const v = obj[key];
      if (v && typeof v === 'object') visitReferences(v, visit);
    }
  }
}

const LINK_TYPES = new Set(['uri', 'url', 'canonical', 'oid', 'uuid']);

function rewriteNarrative(div: string, map: ReadonlyMap<string, string>): string {
  return div.replace(/(\s(?:href|src)\s*=\s*)(["'])([^"']*)\2/g, (all, pre: string, q: string, url: string) => {
    const target = map.get(url);
    return target === undefined ? all : `${pre}${q}${target}${q}`;
  });
}

type Mode = 'link' | 'narrative';

function rewriteString(value: string, mode: Mode, map: ReadonlyMap<string, string>): string {
  return mode === 'link' ? map.get(value) ?? value : rewriteNarrative(value, map);
}

function rewriteIn(value: unknown, typePath: string, map: ReadonlyMap<string, string>): unknown {
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) value[i] = rewriteIn(value[i], typePath, map);
    return value;
  }
  if (!value || typeof value !== 'object') return value;
  const obj = value as Record<string, unknown>;
  // A resource (top level, contained, Bundle.entry.resource, Parameters.parameter.resource ...).
  const own = ownTypePath(obj, typePath);
  for (const key of Object.keys(obj)) {
    if (key === 'resourceType' || key.startsWith('_')) continue;
    const { type, next } = childStep(own, key);
    if (type === undefined) continue;
    const mode: Mode | undefined = (own === 'Reference' && key === 'reference') || LINK_TYPES.has(type) ? 'link' : type === 'xhtml' ? 'narrative' : undefined;
    const v = obj[key];
    if (mode) {
      if (typeof v === 'string') obj[key] = rewriteString(v, mode, map);
      else if (Array.isArray(v)) obj[key] = v.map((x) => (typeof x === 'string' ? rewriteString(x, mode, map) : x));
    } else if (v && typeof v === 'object') {
      rewriteIn(v, next, map);
    }
  }
  return value;
}

/**
 * Replaces links found in `map` (e.g. urn:uuid:... -> Patient/123) in place: references, elements
 * of the uri family and narrative href/src, at any depth, contained resources included.
 */
export function rewriteReferences(resource: fhir4.Resource, map: ReadonlyMap<string, string>): void {
  if (map.size === 0) return;
  rewriteIn(resource, resource.resourceType, map);
}

const LOCAL_REFERENCE = /^([A-Z][A-Za-z]+)\/([A-Za-z0-9\-.]{1,64})(?:\/_history\/[^/]+)?$/;

/**
 * Type and id of a literal reference to this server: relative (`Patient/1`, `Patient/1/_history/2`)
 * or absolute on `baseUrl`; undefined for anything else (other servers, URNs, contained `#id`).
 */
export function localReference(reference: string | undefined, baseUrl?: string): { type: string; id: string } | undefined {
  if (!reference) return undefined;
  const base = baseUrl?.replace(/\/+$/, '');
  const ref = base && reference.startsWith(`${base}/`) ? reference.slice(base.length + 1) : reference;
  const m = LOCAL_REFERENCE.exec(ref);
  return m ? { type: m[1], id: m[2] } : undefined;
}
