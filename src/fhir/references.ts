/** Walking and rewriting the references inside a resource (Reference.reference at any depth). */

type Json = unknown;

/** Calls visit for every object holding a string `reference`, at any depth (contained included). */
export function visitReferences(value: Json, visit: (holder: { reference: string }) => void): void {
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

/** Replaces references found in `map` (e.g. urn:uuid:... -> Patient/123) in place. */
export function rewriteReferences(resource: Json, map: ReadonlyMap<string, string>): void {
  if (map.size === 0) return;
  visitReferences(resource, (holder) => {
    const target = map.get(holder.reference);
    if (target !== undefined) holder.reference = target;
  });
}
