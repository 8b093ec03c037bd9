/**
 * The shapes of the documents the store keeps. The resource is stored as the client sees it under
 * `resource`; everything else is server-only and never leaves the server.
 */
import type { Doc } from './database.js';

export type WriteMethod = 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/** The current version of one resource, in the collection named after its type. */
export interface CurrentDoc extends Doc {
  _id: string;
  /** version number, 1, 2, ... */
  v: number;
  /** lastUpdated, epoch milliseconds */
  ts: number;
  deleted?: boolean;
  resource?: fhir4.Resource;
}

/** Every version of every resource, in `<Type>_history`; `_id` is `${id}/${v}`. */
export interface HistoryDoc extends Doc {
  _id: string;
  id: string;
  v: number;
  ts: number;
  /** when the next version replaced this one (epoch ms); absent while current */
  until?: number;
  method: WriteMethod;
  deleted?: boolean;
  resource?: fhir4.Resource;
}

export const historyCollection = (type: string) => `${type}_history`;
export const historyKey = (id: string, v: number) => `${id}/${v}`;

/**
 * Per type, the format of the search index its `<Type>_idx` holds (`{ _id: type, v }`): when the
 * extraction changes what it writes, the store re-extracts the type's index on first use.
 */
export const INDEX_FORMATS_COLLECTION = 'server_index_formats';

/** The registry of resource types that have ever been written, for system-level history. */
export const TYPES_COLLECTION = 'server_resource_types';

/**
 * The search index values of the current version of one resource, in `<Type>_idx` under the same
 * `_id` (extracted by src/search on every write). Kept apart from the resource so that reads never
 * decode them; searches query this collection and then fetch the resources by id.
 */
export interface SearchDoc extends Doc {
  _id: string;
  _idx: Doc;
}

export const searchCollection = (type: string) => `${type}_idx`;
