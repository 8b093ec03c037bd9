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
  auth: AuthConfig;
}

/** SMART on FHIR / accounts settings (src/auth). */
export interface AuthConfig {
  /** the first administrator; created at start-up when no administrator exists */
  adminEmail: string | undefined;
  adminPassword: string | undefined;
  /** the confidential bootstrap client (client_credentials, client_secret_basic, system/*.cruds + admin) */
  bootstrapClientId: string | undefined;
  bootstrapClientSecret: string | undefined;
  /** accept http:// jwks_uri on registration (development and tests only) */
  allowHttpJwksUri: boolean;
  /** nodemailer transport URL (smtp://user:pass@host:587); unset: messages are logged, not sent */
  smtpUrl: string | undefined;
  mailFrom: string;
  /** lifetime of user access tokens, seconds (at most 3600) */
  accessTokenTtl: number;
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

  const flag = (name: string): boolean => {
    const v = (env[name] ?? 'false').toLowerCase();
    if (v !== 'true' && v !== 'false') fail(name, 'must be true or false');
    return v === 'true';
  };
  const secretPair = (a: string, b: string): [string | undefined, string | undefined] => {
    const x = env[a]?.trim() || undefined;
    const y = env[b] || undefined;
    if ((x === undefined) !== (y === undefined)) fail(x === undefined ? a : b, `must be set together with ${x === undefined ? b : a}`);
    return [x, y];
  };
  const [adminEmail, adminPassword] = secretPair('FHIR_ADMIN_EMAIL', 'FHIR_ADMIN_PASSWORD');
  if (adminEmail && !/^[^@\s]+@[^@\s]+$/.test(adminEmail)) fail('FHIR_ADMIN_EMAIL', 'must be an e-mail address');
  if (adminPassword !== undefined && adminPassword.length < 10) {
    throw new ConfigError('Invalid configuration: FHIR_ADMIN_PASSWORD must have at least 10 characters');
  }
  const [bootstrapClientId, bootstrapClientSecret] = secretPair('FHIR_BOOTSTRAP_CLIENT_ID', 'FHIR_BOOTSTRAP_CLIENT_SECRET');
  if (bootstrapClientId && !/^[A-Za-z0-9._~-]{1,128}$/.test(bootstrapClientId)) fail('FHIR_BOOTSTRAP_CLIENT_ID', 'must be 1-128 URL-safe characters');
  if (bootstrapClientSecret !== undefined && bootstrapClientSecret.length < 32) {
    throw new ConfigError('Invalid configuration: FHIR_BOOTSTRAP_CLIENT_SECRET must have at least 32 characters');
  }
  const smtpUrl = env.SMTP_URL?.trim() || undefined;
  if (smtpUrl && !/^smtps?:\/\//.test(smtpUrl)) {
    throw new ConfigError('Invalid configuration: SMTP_URL must start with smtp:// or smtps://');
  }
  const ttlText = env.FHIR_ACCESS_TOKEN_TTL ?? '3600';
  const accessTokenTtl = Number(ttlText);
  if (!/^\d+$/.test(ttlText) || accessTokenTtl < 60 || accessTokenTtl > 3600) fail('FHIR_ACCESS_TOKEN_TTL', 'must be seconds from 60 to 3600');

  return {
    port,
    baseUrl,
    dataDir: path.resolve(env.FHIR_DATA_DIR ?? './data'),
    mongodbUri,
    mongodbDb,
    logLevel: logLevel as Config['logLevel'],
    maxBody: maxBody as number,
    auth: {
      adminEmail: adminEmail?.toLowerCase(),
      adminPassword,
      bootstrapClientId,
      bootstrapClientSecret,
      allowHttpJwksUri: flag('FHIR_ALLOW_HTTP_JWKS_URI'),
      smtpUrl,
      mailFrom: env.FHIR_MAIL_FROM ?? 'FHIR server <no-reply@localhost>',
      accessTokenTtl,
    },
  };
}
