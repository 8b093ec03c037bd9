/**
 * Every setting of the server, read from the environment once and validated. No other module reads
 * process.env. A bad value throws a ConfigError whose message is one line naming the variable.
 */
import path from 'node:path';

export interface Config {
  port: number;
  /** Public FHIR base URL without trailing slash, e.g. http://localhost:8080/fhir */
  baseUrl: string;
  dataDir: string;
  mongodbUri: string | undefined;
  mongodbDb: string;
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  /** Largest accepted request body, in bytes. */
  maxBody: number;
}

export class ConfigError extends Error {}

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

/** Parses sizes like 16mb, 512kb, 1048576. */
export function parseSize(text: string): number | undefined {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(b|kb|mb|gb)?\s*$/i.exec(text);
  if (!m) return undefined;
  const unit = (m[2] ?? 'b').toLowerCase();
  const factor = unit === 'gb' ? 1024 ** 3 : unit === 'mb' ? 1024 ** 2 : unit === 'kb' ? 1024 : 1;
  const n = Math.floor(Number(m[1]) * factor);
  return n > 0 ? n : undefined;
}

export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  const fail = (name: string, why: string): never => {
    throw new ConfigError(`Invalid configuration: ${name}=${JSON.stringify(env[name])} ${why}`);
  };
  const portText = env.PORT ?? '8080';
  const port = Number(portText);
  if (!/^\d+$/.test(portText) || port < 0 || port > 65535) fail('PORT', 'must be an integer from 0 to 65535');

  let baseUrl = env.FHIR_BASE_URL ?? `http://localhost:${port}/fhir`;
  try {
    const u = new URL(baseUrl);
    if (u.protocol !== 'http:' && u.protocol !== 'https:') fail('FHIR_BASE_URL', 'must be an http(s) URL');
    if (u.search || u.hash) fail('FHIR_BASE_URL', 'must not have a query or fragment');
  } catch (e) {
    if (e instanceof ConfigError) throw e;
    fail('FHIR_BASE_URL', 'must be an absolute http(s) URL such as https://fhir.example.org/fhir');
  }
  baseUrl = baseUrl.replace(/\/+$/, '');

  const mongodbUri = env.MONGODB_URI?.trim() || undefined;
  if (mongodbUri && !/^mongodb(\+srv)?:\/\//.test(mongodbUri)) {
    fail('MONGODB_URI', 'must start with mongodb:// or mongodb+srv://');
  }
  const mongodbDb = env.MONGODB_DB ?? 'fhir';
  if (!/^[A-Za-z0-9_-]{1,63}$/.test(mongodbDb)) fail('MONGODB_DB', 'must be 1-63 letters, digits, _ or -');

  const logLevel = (env.LOG_LEVEL ?? 'info').toLowerCase();
  if (!(LOG_LEVELS as readonly string[]).includes(logLevel)) fail('LOG_LEVEL', `must be one of ${LOG_LEVELS.join(', ')}`);

  const maxBody = parseSize(env.FHIR_MAX_BODY ?? '16mb');
  if (maxBody === undefined) fail('FHIR_MAX_BODY', 'must be a size such as 16mb, 512kb or a number of bytes');

  return {
    port,
    baseUrl,
    dataDir: path.resolve(env.FHIR_DATA_DIR ?? './data'),
    mongodbUri,
    mongodbDb,
    logLevel: logLevel as Config['logLevel'],
    maxBody: maxBody as number,
  };
}
