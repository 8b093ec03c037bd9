/** Reads config, opens the store, starts HTTP; stops gracefully on SIGTERM/SIGINT. */
import http from 'node:http';
import { ConfigError, loadConfig } from './config.js';
import { createLogger } from './logger.js';
import { openDatabase } from './store/open.js';
import { createApp } from './app.js';
import { isUnreachableCommitFailure } from './store/embedded/engine.js';

async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\n`);
      process.exit(1);
    }
    throw err;
  }
  const logger = createLogger(config);
  process.on('unhandledRejection', (reason) => {
    if (isUnreachableCommitFailure(reason)) {
      logger.error({ err: reason }, 'the embedded store failed to commit a batch (disk full or I/O error); its writes were refused');
      return;
    }
    logger.fatal({ err: reason }, 'unhandled promise rejection: stopping');
    process.exit(1);
  });
  const db = await openDatabase(config, logger);
  const { app, auth } = await createApp({ config, db, logger });
  printGenerated(auth.generated);
  const server = http.createServer(app);
  server.keepAliveTimeout = 65_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.port, () => resolve());
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  logger.info({ port, base: config.baseUrl, engine: db.engine, dataDir: db.engine === 'embedded' ? config.dataDir : undefined }, 'FHIR server listening');

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down: finishing in-flight requests');
    const force = setTimeout(() => {
      logger.warn('in-flight requests did not finish in 10 s; closing connections');
      server.closeAllConnections();
    }, 10_000);
    force.unref();
    server.close(async () => {
      try {
        await db.close();
        logger.info('store closed; bye');
        process.exit(0);
      } catch (err) {
        logger.error({ err }, 'closing the store failed');
        process.exit(1);
      }
    });
    server.closeIdleConnections();
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

main().catch((err: unknown) => {
  process.stderr.write(`The server could not start: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});

/**
 * Credentials created at this start-up because none were configured: shown once on stdout (not in
 * the log), never again; set FHIR_ADMIN_* and FHIR_BOOTSTRAP_CLIENT_* to choose them instead.
 */
function printGenerated(generated: Awaited<ReturnType<typeof createApp>>['auth']['generated']): void {
  const lines: string[] = [];
  if (generated.administrator) lines.push(`  administrator     ${generated.administrator.email} / ${generated.administrator.password}`);
  if (generated.bootstrapClient) lines.push(`  bootstrap client  ${generated.bootstrapClient.clientId} / ${generated.bootstrapClient.clientSecret}`);
  if (lines.length === 0) return;
  process.stdout.write(['', 'Generated credentials (shown only this once; store them now):', ...lines, ''].join('\n') + '\n');
}
