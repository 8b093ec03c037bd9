/** Chooses the database engine from the configuration: MongoDB when MONGODB_URI is set, else embedded. */
import fs from 'node:fs/promises';
import type { Config } from '../config.js';
import type { Logger } from '../logger.js';
import type { Database } from './database.js';
import { openEmbeddedDatabase } from './embedded/engine.js';
import { openMongoDatabase } from './mongo.js';

export async function openDatabase(config: Config, logger: Logger): Promise<Database> {
  if (config.mongodbUri) return openMongoDatabase(config.mongodbUri, config.mongodbDb, logger);
  await fs.mkdir(config.dataDir, { recursive: true });
  const db = await openEmbeddedDatabase(config.dataDir);
  logger.info({ dataDir: config.dataDir }, 'using the embedded database engine');
  return db;
}
