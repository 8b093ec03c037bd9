/**
 * HTTP-independent FHIR requests and responses. The express adapter (src/fhir/http.ts) and the
 * Bundle processor both build a FhirRequest and dispatch it through the same router.
 */
import type { DbSession } from '../store/database.js';
import type { StoredVersion } from '../store/resource-store.js';
import type { ReturnPreference } from '../fhir/prefer.js';
import type { AccessContext } from '../auth/access.js';

export type QueryPairs = ReadonlyArray<readonly [string, string]>;

export interface FhirRequest {
  method: 'GET' | 'HEAD' | 'POST' | 'PUT' | 'PATCH' | 'DELETE' | string;
  /** path below the FHIR base, split on '/' and decoded */
  segments: string[];
  /** query parameters in order, repeated ones repeated */
  query: QueryPairs;
  headers: {
    ifMatch?: string;
    ifNoneMatch?: string;
    ifModifiedSince?: string;
    ifNoneExist?: string;
    contentType?: string;
    /** X-Security-Context, for Binary */
    securityContext?: string;
  };
  /** the parameters of an application/x-www-form-urlencoded body (POST [type]/_search) */
  form?: QueryPairs;
  /** the parsed JSON body */
  body?: unknown;
  /** raw bytes of a non-FHIR body (Binary) */
  raw?: { contentType: string; data: Buffer };
  /** set for entries of a transaction Bundle */
  session?: DbSession;
  /** Prefer: handling=strict makes unknown search parameters an error */
  handling?: 'strict' | 'lenient';
  /** Prefer: return=... of the request (default representation) */
  prefer?: ReturnPreference;
  /** the id a transaction assigned in advance to a POST entry, so references to it resolve */
  assignedId?: string;
  /** who asks and what their token grants (src/auth/access.ts); entries of a Bundle inherit it */
  access?: AccessContext;
}

export interface FhirResponse {
  status: number;
  resource?: fhir4.Resource;
  /** the version written or read: gives ETag and Last-Modified */
  version?: StoredVersion;
  /** relative location of what was created/updated: Type/id/_history/v */
  location?: string;
  headers?: Record<string, string>;
  /** a Binary read that may be answered with its raw bytes */
  binary?: fhir4.Binary;
}

/** `a=1&b=2` (no leading `?`) -> [['a', '1'], ['b', '2']], decoded, in order. */
export function parseQuery(search: string): QueryPairs {
  const pairs: Array<[string, string]> = [];
  for (const [k, v] of new URLSearchParams(search)) pairs.push([k, v]);
  return pairs;
}

/** `url?pairs`, or `url` when there are none. */
export function withQuery(url: string, pairs: QueryPairs): string {
  if (pairs.length === 0) return url;
  const q = new URLSearchParams();
  for (const [k, v] of pairs) q.append(k, v);
  return `${url}?${q}`;
}

export function queryValue(query: QueryPairs, name: string): string | undefined {
  for (const [k, v] of query) if (k === name) return v;
  return undefined;
}

export function versionLocation(v: StoredVersion): string {
  return `${v.type}/${v.id}/_history/${v.versionId}`;
}
