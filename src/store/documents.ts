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

/** The registry of resource types that have ever been written, for system-level history. */
export const TYPES_COLLECTION = 'server_resource_types';
