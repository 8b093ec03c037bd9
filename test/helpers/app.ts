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
  const db = await openDatabase(config, logger);
  const { app: rawApp, auth } = await createApp({ config, db, logger });
  const token = async (claims: NewAccessToken, ttl = 3600) => (await auth.deps.tokens.issue(claims, ttl)).token;
  const systemToken = await token({ sub: 'test-system', client_id: 'test-system', scope: 'system/*.cruds', role: 'system', adm: true }, 3600);
  const app: Handler = (req, res) => {
    if (req.headers.authorization === undefined && req.url?.startsWith('/fhir')) req.headers.authorization = `Bearer ${systemToken}`;
    rawApp(req as Request, res as Response);
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
    await t.close?.();
  });
  return t;
}
