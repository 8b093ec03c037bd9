/**
 * Builds the express app from its parts. No I/O happens at import time; createApp prepares what the
 * app needs (the validator) and returns it ready to listen.
 */
import express, { type Express } from 'express';
import { createRequire } from 'node:module';
import type { Config } from './config.js';
import type { Logger } from './logger.js';
import type { Database, Doc } from './store/database.js';
import { extractSearchIndex, getSearchParameter, SEARCH_INDEX_FORMAT } from './search/index.js';
import { ResourceStore } from './store/resource-store.js';
import { createRouter, type Router } from './resources/router.js';
import { createBundleProcessor } from './resources/bundle.js';
import { buildCapabilityStatement } from './resources/capabilities.js';
import { fhirHttpHandler } from './fhir/http.js';
import { fhirErrorHandler } from './fhir/error-handler.js';
import { notFound } from './fhir/errors.js';
import { loadValidator } from './fhir/validator.js';
import { requestLog } from './request-log.js';
import { createAuthServer, corsForApps, type AuthServer } from './auth/index.js';

const require = createRequire(import.meta.url);
const pkg = require('../package.json') as { name: string; version: string };

/** The project's first-class types and the clinical types every EHR exchange carries. */
export const STARTUP_TYPES = [
  'Patient', 'Practitioner', 'PractitionerRole', 'Organization', 'Location', 'Schedule', 'Slot', 'Appointment',
  'AppointmentResponse', 'MedicationRequest', 'MedicationDispense', 'DocumentReference', 'Binary', 'Consent',
  'Communication', 'AuditEvent', 'Observation', 'Encounter', 'Condition',
];

/**
 * Date sort keys with an index: `_lastUpdated` everywhere (its values only grow, so the index
 * appends) and the date parameter searched most per type (`date`, Patient `birthdate`). Each index
 * holds both ends, `{hi, lo}` and `{lo, hi}`: a single-valued parameter's whole condition is on
 * them (compile.ts), so the index alone answers it (the engine's covered scans, MongoDB's covered
 * plans), and each still serves the sort on its leading end.
 */
const INDEXED_DATES: Record<string, string> = { Patient: 'birthdate' };

const dateCodes = (type: string): string[] => ['_lastUpdated', INDEXED_DATES[type] ?? 'date'].filter((c) => getSearchParameter(type, c)?.type === 'date');

function dateSortIndexes(type: string): Array<Record<string, 1>> {
  return dateCodes(type).flatMap((code) => {
    const [lo, hi] = [`_idx.sort.${code}.lo`, `_idx.sort.${code}.hi`];
    return [{ [hi]: 1 as const, [lo]: 1 as const }, { [lo]: 1 as const, [hi]: 1 as const }];
  });
}

/** The single-field date sort-key indexes of earlier versions (each end alone), replaced by the pairs above. */
function obsoleteDateIndexes(type: string): string[] {
  return dateCodes(type).flatMap((code) => [`_idx.sort.${code}.hi_1`, `_idx.sort.${code}.lo_1`]);
}

export interface AppParts {
  config: Config;
  db: Database;
  logger: Logger;
  /** benchmarks only (bench/auth-server.ts), never from configuration: no token checks */
  uncheckedAccess?: boolean;
}

export async function createApp({ config, db, logger, uncheckedAccess }: AppParts): Promise<{ app: Express; store: ResourceStore; auth: AuthServer }> {
  await loadValidator();
  const store = new ResourceStore(db, {
    indexer: (resource) => extractSearchIndex(resource, { localBase: config.baseUrl }) as unknown as Doc,
    searchIndexes: dateSortIndexes,
    obsoleteIndexes: obsoleteDateIndexes,
    indexFormat: SEARCH_INDEX_FORMAT,
    log: (message) => logger.info(message),
  });
  // The collections and indexes of the most used types exist from start-up; others on first use.
  for (const type of STARTUP_TYPES) await store.prepare(type);
  const startedAt = new Date().toISOString();
  const capability = buildCapabilityStatement({
    baseUrl: config.baseUrl,
    supportsTransactions: db.supportsTransactions,
    software: { name: pkg.name, version: pkg.version },
    startedAt,
  });
  const auth = await createAuthServer({ config, db, store, logger });
  let route: Router;
  const processBundle = createBundleProcessor({ store, baseUrl: config.baseUrl, route: () => route });
  route = createRouter({ store, baseUrl: config.baseUrl, capabilityStatement: () => capability, processBundle });

  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.set('query parser', 'simple');
  app.use(requestLog(logger));
  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  app.get('/readyz', async (_req, res) => {
    try {
      await db.ping();
      res.json({ status: 'ready', engine: db.engine });
    } catch (err) {
      logger.warn({ err }, 'readiness check failed');
      res.status(503).json({ status: 'unavailable' });
    }
  });
  app.use(auth.router);
  app.use('/fhir', corsForApps, fhirHttpHandler({ route, baseUrl: config.baseUrl, maxBody: config.maxBody, tokens: auth.deps.tokens,
    uncheckedAccess,
    onRefused: (r) => void auth.deps.audit.record({ kind: 'refused', success: false, who: r.subject, clientId: r.clientId, address: r.address, detail: `${r.status} ${r.method} ${r.path}: ${r.reason}` }),
  }));
  app.use((req, _res, next) => next(notFound(`Nothing at ${req.method} ${req.path}; the FHIR base is /fhir`)));
  app.use(fhirErrorHandler(logger, config.maxBody));
  return { app, store, auth };
}
