/**
 * Helpers shared by the real-data tests (Synthea bundles, official R4 examples).
 * The data lives in ../shared/data next to the repository and is never copied into it.
 */
import http from 'node:http';
import { before, after } from 'node:test';
import { createTestApp, type TestApp } from '../helpers/app.js';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { isDeepStrictEqual } from 'node:util';
import type { AddressInfo } from 'node:net';
import type { Express } from 'express';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const dataDir = path.resolve(repoRoot, '../shared/data');

export type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
export type JsonObject = { [k: string]: Json };

/** Starts `app` once on 127.0.0.1 so supertest reuses one listening server for every request. */
export async function listen(app: Express | ((req: http.IncomingMessage, res: http.ServerResponse) => void)): Promise<http.Server> {
  const server = http.createServer(app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return server;
}

export async function closeServer(server: http.Server | undefined): Promise<void> {
  if (!server) return;
  server.closeAllConnections?.();
  await new Promise<void>((resolve) => server.close(() => resolve()));
}

export function serverOrigin(server: http.Server): string {
  const { port } = server.address() as AddressInfo;
  return `http://127.0.0.1:${port}`;
}

/**
 * superagent parser that reads any body as text and parses it as JSON when it can (the server
 * answers application/fhir+json, which not every superagent version maps to its JSON parser).
 */
// superagent hands a node parser the raw IncomingMessage (typed as its own Response), hence `any`.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function jsonParser(res: any, cb: (err: Error | null, body: unknown) => void): void {
  const stream = res as http.IncomingMessage;
  let text = '';
  stream.setEncoding('utf8');
  stream.on('data', (chunk: string) => {
    text += chunk;
  });
  stream.on('end', () => {
    if (text === '') return cb(null, null);
    try {
      cb(null, JSON.parse(text));
    } catch {
      cb(null, text);
    }
  });
}

export const FHIR_JSON = 'application/fhir+json';

export interface ParsedLocation {
  type: string;
  id: string;
  version: string;
}

const LOCATION_RE = /(?:^|\/)([A-Z][A-Za-z]+)\/([A-Za-z0-9\-.]{1,64})\/_history\/([A-Za-z0-9\-.]{1,64})$/;

/**
 * Parses `{type}/{id}/_history/{v}`, relative or absolute. An absolute location must start with the
 * server's public base (`publicBase`, e.g. http://localhost:8080/fhir); returns undefined otherwise.
 */
export function parseLocation(location: unknown, publicBase: string): ParsedLocation | undefined {
  if (typeof location !== 'string') return undefined;
  let rel = location;
  if (/^https?:\/\//.test(location)) {
    const prefix = publicBase.replace(/\/+$/, '') + '/';
    if (!location.startsWith(prefix)) return undefined;
    rel = location.slice(prefix.length);
  }
  const m = LOCATION_RE.exec(rel);
  if (!m || m.index !== 0) return undefined;
  return { type: m[1]!, id: m[2]!, version: m[3]! };
}

export function clone<T>(v: T): T {
  return structuredClone(v);
}

/**
 * The resource without `id` and without the server-owned `meta.versionId` / `meta.lastUpdated`;
 * any other meta (tag, profile, security, source) is kept; an emptied meta is dropped.
 */
export function withoutServerFields(resource: JsonObject): JsonObject {
  const r = clone(resource);
  delete r.id;
  if (r.meta && typeof r.meta === 'object' && !Array.isArray(r.meta)) {
    const meta = r.meta as JsonObject;
    delete meta.versionId;
    delete meta.lastUpdated;
    if (Object.keys(meta).length === 0) delete r.meta;
  }
  return r;
}

/** Rewrites every `reference` string found in `map` (urn:uuid:... -> Type/id), in place. */
export function rewriteReferences(node: Json, map: Map<string, string>): void {
  if (Array.isArray(node)) {
    for (const item of node) rewriteReferences(item, map);
  } else if (node && typeof node === 'object') {
    for (const [key, value] of Object.entries(node)) {
      if (key === 'reference' && typeof value === 'string') {
        const target = map.get(value);
        if (target !== undefined) node[key] = target;
      } else {
        rewriteReferences(value, map);
      }
    }
  }
}

/** Every path where `actual` differs from `expected`, as readable lines (at most `limit`). */
export function diffPaths(expected: Json | undefined, actual: Json | undefined, limit = 10): string[] {
  const out: string[] = [];
  const show = (v: Json | undefined): string => {
    if (v === undefined) return '(absent)';
    const s = JSON.stringify(v);
    return s.length > 160 ? s.slice(0, 157) + '...' : s;
  };
  const walk = (e: Json | undefined, a: Json | undefined, p: string): void => {
    if (out.length >= limit) return;
    if (isDeepStrictEqual(e, a)) return;
    const eObj = e !== null && typeof e === 'object';
    const aObj = a !== null && typeof a === 'object';
    if (eObj && aObj && Array.isArray(e) === Array.isArray(a)) {
      if (Array.isArray(e) && Array.isArray(a)) {
        if (e.length !== a.length) out.push(`${p || '(root)'}: array length expected ${e.length}, got ${a.length}`);
        for (let i = 0; i < Math.max(e.length, a.length); i++) walk(e[i], a[i], `${p}[${i}]`);
      } else {
        const eo = e as JsonObject;
        const ao = a as JsonObject;
        const keys = new Set([...Object.keys(eo), ...Object.keys(ao)]);
        for (const k of keys) walk(eo[k], ao[k], p ? `${p}.${k}` : k);
      }
      return;
    }
    out.push(`${p || '(root)'}: expected ${show(e)}, got ${show(a)}`);
  };
  walk(expected, actual, '');
  return out;
}

/** Runs `fn` over `items` with at most `limit` in flight, preserving result order. */
export async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i]!, i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

export function isInstant(v: unknown): boolean {
  return (
    typeof v === 'string' &&
    /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/.test(v) &&
    !Number.isNaN(Date.parse(v))
  );
}

/** An app on a fresh store listening on a loopback port for the tests of one describe block. */
export interface ListeningApp {
  t: TestApp;
  server: http.Server;
  publicBase: string;
}

export function useListeningApp(): ListeningApp {
  const ctx = {} as ListeningApp;
  before(async () => {
    ctx.t = await createTestApp();
    ctx.server = await listen(ctx.t.app);
    ctx.publicBase = ctx.t.config.baseUrl;
  });
  after(async () => {
    await closeServer(ctx.server);
    await ctx.t?.close();
  });
  return ctx;
}
