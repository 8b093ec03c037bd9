/**
 * Content negotiation (hl7.org/fhir/R4/http.html#mime-type): the server speaks FHIR JSON. `_format`
 * overrides Accept; XML and Turtle are answered 406; request bodies of other types are 415.
 */
import { FhirError } from './errors.js';

export const FHIR_JSON = 'application/fhir+json';
export const JSON_PATCH = 'application/json-patch+json';
const JSON_TYPES = ['application/fhir+json', 'application/json', 'application/json+fhir'];
const FORMAT_ALIASES: Record<string, string> = {
  json: FHIR_JSON,
  'application/fhir+json': FHIR_JSON,
  'application/json': 'application/json',
  'application/json+fhir': FHIR_JSON,
};

/** The response media type, 'raw' when a Binary may answer with its own bytes. */
export interface ResponseFormat {
  type: string;
  /** no FHIR type was explicitly asked for (Binary then answers with its bytes) */
  rawAllowed: boolean;
}

export function mediaType(header: string | undefined): string | undefined {
  return header?.split(';')[0].trim().toLowerCase() || undefined;
}

export function negotiateResponse(format: string | undefined, accept: string | undefined): ResponseFormat {
  if (format !== undefined) {
    const f = FORMAT_ALIASES[format.trim().toLowerCase().split(';')[0]];
    if (!f) throw new FhirError(406, 'not-supported', `_format '${format}' is not supported; this server speaks application/fhir+json`);
    return { type: f, rawAllowed: false };
  }
  if (!accept || accept.trim() === '') return { type: FHIR_JSON, rawAllowed: true };
  const ranges = accept
    .split(',')
    .map((r) => {
      const [type, ...params] = r.split(';').map((s) => s.trim().toLowerCase());
      const q = params.find((p) => p.startsWith('q='));
      return { type, q: q ? Number(q.slice(2)) : 1 };
    })
    .filter((r) => r.type && !(r.q <= 0))
    .sort((a, b) => b.q - a.q);
  for (const r of ranges) {
    if (r.type === 'application/fhir+json' || r.type === 'application/json+fhir') return { type: FHIR_JSON, rawAllowed: false };
    if (r.type === 'application/json') return { type: 'application/json', rawAllowed: false };
    if (r.type === '*/*' || r.type === 'application/*') return { type: FHIR_JSON, rawAllowed: true };
  }
  // Nothing JSON was acceptable: only a Binary read can still answer (with its own type).
  return { type: '', rawAllowed: true };
}

export function requireAcceptable(format: ResponseFormat, accept: string | undefined): void {
  if (!format.type) {
    throw new FhirError(406, 'not-supported', `None of the types in Accept '${accept}' can be produced; this server speaks application/fhir+json`);
  }
}

export type BodyKind = 'json' | 'json-patch' | 'form' | 'raw';

/** Classifies a request body by its Content-Type, or throws 415. */
export function bodyKind(contentType: string | undefined, allowRaw: boolean): BodyKind {
  const t = mediaType(contentType);
  if (t === undefined) throw new FhirError(415, 'not-supported', 'The request has a body but no Content-Type; send application/fhir+json');
  if (JSON_TYPES.includes(t)) return 'json';
  if (t === JSON_PATCH) return 'json-patch';
  if (t === 'application/x-www-form-urlencoded') return 'form';
  if (allowRaw) return 'raw';
  throw new FhirError(415, 'not-supported', `Content-Type '${t}' is not supported; send application/fhir+json`);
}
