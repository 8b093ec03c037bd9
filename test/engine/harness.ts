/**
 * Runs the engine conformance suite against every available engine: always the embedded engine
 * (a fresh temporary directory per test), and real MongoDB when MONGODB_URI is set (a fresh
 * randomly named database per test, dropped afterwards).
 */
import crypto from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe } from 'node:test';
import { MongoClient } from 'mongodb';
import { createLogger } from '../../src/logger.js';
import type { Database } from '../../src/store/database.js';
import { openEmbeddedDatabase } from '../../src/store/embedded/engine.js';
import { openMongoDatabase } from '../../src/store/mongo.js';

export type EngineName = 'embedded' | 'mongodb';

export interface TestDb {
  db: Database;
  /** Closes and opens the same storage again (same directory / database). */
  reopen(): Promise<Database>;
  cleanup(): Promise<void>;
}

export interface Engine {
  name: EngineName;
  skip: string | false;
  open(): Promise<TestDb>;
}

const mongoUri = process.env.MONGODB_URI;

export async function tempDir(): Promise<string> {
  return fs.mkdtemp(path.join(os.tmpdir(), 'engine-test-'));
}

const embedded: Engine = {
  name: 'embedded',
  skip: false,
  async open() {
    const dir = await tempDir();
    const t: TestDb = {
      db: await openEmbeddedDatabase(dir),
      async reopen() {
        await t.db.close();
        t.db = await openEmbeddedDatabase(dir);
        return t.db;
      },
      async cleanup() {
        await t.db.close();
        await fs.rm(dir, { recursive: true, force: true });
      },
    };
    return t;
  },
};

const mongodb: Engine = {
  name: 'mongodb',
  skip: mongoUri ? false : 'MONGODB_URI is not set',
  async open() {
    const uri = mongoUri as string;
    const dbName = `engine_${crypto.randomBytes(6).toString('hex')}`;
    const logger = createLogger({ logLevel: 'silent' });
    const t: TestDb = {
      db: await openMongoDatabase(uri, dbName, logger),
      async reopen() {
        await t.db.close();
        t.db = await openMongoDatabase(uri, dbName, logger);
        return t.db;
      },
      async cleanup() {
        await t.db.close();
        const client = await MongoClient.connect(uri);
        try {
          await client.db(dbName).dropDatabase();
        } finally {
          await client.close();
        }
      },
    };
    return t;
  },
};

export const ENGINES: Engine[] = [embedded, mongodb];

/** Declares `title` once per engine; `body` registers tests that call `engine.open()`. */
export function describeEngines(title: string, body: (engine: Engine) => void): void {
  for (const engine of ENGINES) {
    describe(`${title} [${engine.name}]`, { skip: engine.skip }, () => body(engine));
  }
}

/** Opens a fresh database, runs `fn`, and always cleans up. */
export async function withDb<R>(engine: Engine, fn: (db: Database, t: TestDb) => Promise<R>): Promise<R> {
  const t = await engine.open();
  try {
    return await fn(t.db, t);
  } finally {
    await t.cleanup();
  }
}

/** Sorts documents by _id for order-insensitive comparisons. */
export function byId<T extends { _id?: unknown }>(docs: T[]): T[] {
  return [...docs].sort((a, b) => String(a._id).localeCompare(String(b._id)));
}

export const ids = (docs: { _id?: unknown }[]): unknown[] => docs.map((d) => d._id);
