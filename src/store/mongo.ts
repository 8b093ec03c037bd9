/**
 * The Database interface over real MongoDB through the official driver. Collections are the
 * driver's own (they satisfy DbCollection structurally); transactions need a replica set or a
 * sharded cluster, so a standalone server is detected at start-up and reported.
 */
import { MongoClient, type ClientSession, type Db } from 'mongodb';
import type { Logger } from '../logger.js';
import type { Database, DbCollection, DbSession, Doc } from './database.js';

type Topology = 'replicaSet' | 'sharded' | 'standalone';

async function detectTopology(db: Db): Promise<Topology> {
  const hello = await db.admin().command({ hello: 1 });
  if (typeof hello.setName === 'string') return 'replicaSet';
  if (hello.msg === 'isdbgrid') return 'sharded';
  return 'standalone';
}

class MongoDatabase implements Database {
  readonly engine = 'mongodb' as const;

  constructor(
    private readonly client: MongoClient,
    private readonly db: Db,
    readonly supportsTransactions: boolean,
  ) {}

  collection<T extends Doc = Doc>(name: string): DbCollection<T> {
    return this.db.collection(name) as unknown as DbCollection<T>;
  }

  async withTransaction<R>(fn: (session: DbSession) => Promise<R>): Promise<R> {
    if (!this.supportsTransactions) {
      throw new Error(
        'This MongoDB server is a standalone mongod: multi-document transactions (FHIR transaction Bundles) need a replica set (a single-node replica set is fine) or a sharded cluster',
      );
    }
    const session: ClientSession = this.client.startSession();
    try {
      return await session.withTransaction(() => fn(session as unknown as DbSession));
    } finally {
      await session.endSession();
    }
  }

  async ping(): Promise<void> {
    await this.db.command({ ping: 1 });
  }

  async close(): Promise<void> {
    await this.client.close();
  }
}

/** Connects to MongoDB and wraps database `dbName`. Fails if the server cannot be reached. */
export async function openMongoDatabase(uri: string, dbName: string, logger: Logger): Promise<Database> {
  const client = new MongoClient(uri);
  await client.connect();
  try {
    const db = client.db(dbName);
    const topology = await detectTopology(db);
    const supportsTransactions = topology !== 'standalone';
    if (supportsTransactions) {
      logger.info({ db: dbName, topology }, 'connected to MongoDB');
    } else {
      logger.warn(
        { db: dbName, topology },
        'connected to a standalone MongoDB server: transaction Bundles need a replica set (a single-node replica set is fine) and will be rejected',
      );
    }
    return new MongoDatabase(client, db, supportsTransactions);
  } catch (err) {
    await client.close();
    throw err;
  }
}
