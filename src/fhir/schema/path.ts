/** Element paths: JSON pointers (what ajv reports) and FHIRPath-style expressions (what we report). */

export type Segment = string | number;

export function escapePointer(key: string): string {
  return key.replace(/~/g, '~0').replace(/\//g, '~1');
}

/** Splits a JSON pointer, using the data to tell array indices from property names. */
export function pointerToSegments(data: unknown, pointer: string): Segment[] {
  if (pointer === '') return [];
  const out: Segment[] = [];
  let node: unknown = data;
  for (const raw of pointer.slice(1).split('/')) {
    const key = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (Array.isArray(node) && /^\d+$/.test(key)) {
      out.push(Number(key));
      node = node[Number(key)];
    } else {
      out.push(key);
      node = node && typeof node === 'object' ? (node as Record<string, unknown>)[key] : undefined;
    }
  }
  return out;
}

/** ['name', 0, 'given', 1] under Patient -> Patient.name[0].given[1] */
export function segmentsToExpression(root: string, segments: readonly Segment[]): string {
  let out = root;
  for (const s of segments) out += typeof s === 'number' ? `[${s}]` : `.${s}`;
  return out;
}

/** Renders a value for a diagnostic message, shortened. */
export function showValue(value: unknown): string {
  const text = typeof value === 'string' ? `'${value}'` : JSON.stringify(value) ?? String(value);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}
