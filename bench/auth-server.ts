/**
 * The FHIR server for bench/auth.ts: the real app (src/app.ts) on its config, listening on PORT.
 * BENCH_UNCHECKED_ACCESS=1 builds it without token checks (every request has full access), the
 * "read without auth" side of the comparison; otherwise it is exactly what `npm start` serves.
 */
import http from 'node:http';
import { loadConfig } from '../src/config.js';
import { createLogger } from '../src/logger.js';
import { openDatabase } from '../src/store/open.js';
import { createApp } from '../src/app.js';

const config = loadConfig();
const logger = createLogger(config);
const db = await openDatabase(config, logger);
const { app } = await createApp({ config, db, logger, uncheckedAccess: process.env.BENCH_UNCHECKED_ACCESS === '1' });
const server = http.createServer(app);
server.keepAliveTimeout = 65_000;
server.listen(config.port, '127.0.0.1');
process.on('SIGTERM', () => server.close(async () => {
  await db.close();
  process.exit(0);
}));
