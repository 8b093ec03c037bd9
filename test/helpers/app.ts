/**
 * Builds the real express app on a fresh store: the embedded engine in a new temporary directory,
 * or, when MONGODB_URI is set, a fresh database with a random name on that server.
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import crypto from 'node:crypto';
import { before, after } from 'node:test';
import type http from 'node:http';
import type { Express, Request, Response } from 'express';
import type { AuthServer } from '../../src/auth/index.js';
import type { NewAccessToken } from '../../src/auth/access-token.js';
import { loadConfig, type Config } from '../../src/config.js';
import { openDatabase } from '../../src/store/open.js';
import { createApp } from '../../src/app.js';
import { createLogger } from '../../src/logger.js';
import type { Database } from '../../src/store/database.js';

export type Handler = (req: http.IncomingMessage, res: http.ServerResponse) => void;

export interface TestApp {
  /**
   * The app, for tests that are not about access control: a request to /fhir without an
   * Authorization header gets a system token with every right (system/*.cruds, administrator).
   */
  app: Handler;
  /** The app exactly as served: no token is added (tests of authentication and authorization). */
  rawApp: Express;
  auth: AuthServer;
  /** Signs an access token with the server's key (ttl seconds, default 3600). */
  token(claims: NewAccessToken, ttl?: number): Promise<string>;
  db: Database;
  config: Config;
  /** FHIR base path to use with supertest, e.g. '/fhir' */
  base: string;
  close(): Promise<void>;
}

export const TEST_ORIGIN = 'http://localhost:8080';

/**
 * A request the app has not answered after this long is answered by the test harness with a 599
 * whose body says what the store and engine were doing, so a hang fails its test with the facts
 * instead of timing out the whole file without a word.
 */
const STUCK_MS = Number(process.env.TEST_STUCK_MS ?? 30_000);
/** createTestApp taking longer fails the same way. */
const START_MS = Number(process.env.TEST_START_MS ?? 60_000);

type Activity = () => Record<string, unknown>;

/** Wraps a handler so requests left unanswered for STUCK_MS are answered with a diagnosis. */
function watched(handler: Handler, activity: Activity): Handler {
  const inFlight = new Map<http.ServerResponse, { method?: string; url?: string; since: number }>();
  let timer: NodeJS.Timeout | undefined;
  const check = (): void => {
    const now = Date.now();
    for (const [res, r] of inFlight) {
      if (now - r.since < STUCK_MS) continue;
      inFlight.delete(res);
      const body = JSON.stringify({ stuck: `${r.method} ${r.url}`, ms: now - r.since, others: [...inFlight.values()].map((o) => `${o.method} ${o.url} ${now - o.since} ms`), activity: activity() });
      process.stderr.write(`test harness: request unanswered after ${STUCK_MS} ms: ${body}\n`);
      if (!res.headersSent) {
        res.writeHead(599, { 'Content-Type': 'application/json' });
        res.end(body);
      } else res.destroy(new Error(body));
    }
    if (!inFlight.size) {
      clearInterval(timer);
      timer = undefined;
    }
  };
  return (req, res) => {
    inFlight.set(res, { method: req.method, url: req.url, since: Date.now() });
    const done = (): void => {
      inFlight.delete(res);
    };
    res.on('finish', done);
    res.on('close', done);
    if (!timer) {
      timer = setInterval(check, 1000);
      timer.unref();
    }
    handler(req, res);
  };
}

/** `work`, or an error naming `what` and the store's activity when it takes longer than `ms`. */
async function within<T>(what: string, ms: number, work: Promise<T>, activity?: Activity): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not finish in ${ms} ms: ${JSON.stringify(activity?.() ?? {})}`)), ms);
  });
  try {
    return await Promise.race([work, late]);
  } finally {
    clearTimeout(timer);
  }
}

export async function createTestApp(env: Record<string, string> = {}): Promise<TestApp> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'fhir-test-'));
  const mongoUri = process.env.MONGODB_URI;
  const config = loadConfig({
    PORT: '8080',
    FHIR_BASE_URL: `${TEST_ORIGIN}/fhir`,
    FHIR_DATA_DIR: dir,
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    ...(mongoUri ? { MONGODB_URI: mongoUri, MONGODB_DB: `t_${crypto.randomBytes(6).toString('hex')}` } : {}),
    ...env,
  });
  const logger = createLogger(config);
  const db = await within('openDatabase', START_MS, openDatabase(config, logger));
  const activity: Activity = () => (db as Database & { activity?: Activity }).activity?.() ?? {};
  const { app: expressApp, store, auth } = await within('createApp', START_MS, createApp({ config, db, logger }), activity);
  const storeActivity: Activity = () => store.activity();
  const token = async (claims: NewAccessToken, ttl = 3600) => (await auth.deps.tokens.issue(claims, ttl)).token;
  const systemToken = await token({ sub: 'test-system', client_id: 'test-system', scope: 'system/*.cruds', role: 'system', adm: true }, 3600);
  // The express app itself, watched: tests use it as a plain handler (supertest) or listen with it.
  const rawApp = Object.assign(watched((req, res) => expressApp(req as Request, res as Response), storeActivity), expressApp) as unknown as Express;
  const app: Handler = (req, res) => {
    if (req.headers.authorization === undefined && req.url?.startsWith('/fhir')) req.headers.authorization = `Bearer ${systemToken}`;
    rawApp(req, res);
  };
  return {
    app,
    rawApp,
    auth,
    token,
    db,
    config,
    base: '/fhir',
    async close() {
      await db.close();
      await fs.rm(dir, { recursive: true, force: true });
    },
  };
}

/**
 * One fresh app for the tests of a file (or describe block): created in `before`, closed in
 * `after`. The returned object is filled in when `before` has run.
 */
export function useTestApp(env: Record<string, string> = {}): TestApp {
  const t = {} as TestApp;
  before(async () => {
    Object.assign(t, await createTestApp(env));
  });
  after(async () => {
    if (t.close) await within('closing the test app', START_MS, t.close(), () => t.db && (t.db as Database & { activity?: Activity }).activity?.() || {});
  });
  return t;
}
