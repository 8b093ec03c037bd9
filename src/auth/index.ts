/**
 * The authorization server, built from its parts: signing keys, access tokens, accounts, OAuth
 * clients and endpoints, the authorize pages; and the access context of each FHIR request.
 */
import express, { type RequestHandler } from 'express';
import cors from 'cors';
import type { Config } from '../config.js';
import type { Logger } from '../logger.js';
import type { Database } from '../store/database.js';
import type { ResourceStore } from '../store/resource-store.js';
import { loadSigningKeys } from './keys.js';
import { AccessTokens } from './access-token.js';
import { Audit } from './audit.js';
import { Mailer } from '../mail/mailer.js';
import type { AuthDeps } from './types.js';
import { accountsRouter, ensureAdministrator, prepareAccounts } from './accounts/index.js';
import { ensureBootstrapClient, oauthRouter, prepareOAuth } from './oauth/index.js';
import { authorizeRouter, prepareAuthorize } from './authorize/index.js';

export interface AuthServer {
  deps: AuthDeps;
  /** every non-FHIR auth route: /auth, /admin, /oauth, /.well-known, /fhir/.well-known */
  router: RequestHandler;
  /** credentials created at this start-up (to be printed once), if any */
  generated: { administrator?: { email: string; password: string }; bootstrapClient?: { clientId: string; clientSecret: string } };
}

/** The paths the auth routes serve; everything else goes straight on to the FHIR API. */
const AUTH_PATH = /^\/(?:oauth|auth|admin|\.well-known|fhir\/\.well-known)(?:\/|$)/;

export function originOf(baseUrl: string): string {
  return new URL(baseUrl).origin;
}

const corsMiddleware = cors({
  origin: true,
  credentials: false,
  allowedHeaders: ['Authorization', 'Content-Type', 'Accept', 'Prefer', 'If-Match', 'If-None-Match', 'If-None-Exist', 'If-Modified-Since', 'X-Security-Context'],
  exposedHeaders: ['Location', 'Content-Location', 'ETag', 'Last-Modified', 'WWW-Authenticate'],
  maxAge: 600,
});

/**
 * CORS for browser apps: any origin, no cookies (tokens travel in headers). Browsers send Origin on
 * every cross-origin request; requests without one (servers, scripts) only get `Vary: Origin`, so a
 * shared cache keeps the two kinds of answer apart, and skip the rest of the work.
 */
export const corsForApps: RequestHandler = (req, res, next) => {
  if (req.headers.origin !== undefined) return corsMiddleware(req, res, next);
  res.setHeader('Vary', 'Origin');
  next();
};

export async function createAuthServer(parts: { config: Config; db: Database; store: ResourceStore; logger: Logger }): Promise<AuthServer> {
  const { config, db, store, logger } = parts;
  const keys = await loadSigningKeys(db);
  const issuer = originOf(config.baseUrl);
  const deps: AuthDeps = {
    config, db, store, logger, keys, issuer,
    tokens: new AccessTokens(keys, db, issuer, config.baseUrl),
    audit: new Audit(store, logger),
    mail: new Mailer({ smtpUrl: config.auth.smtpUrl, from: config.auth.mailFrom, logger }),
  };
  await prepareAccounts(deps);
  await prepareOAuth(deps);
  await prepareAuthorize(deps);
  const generated: AuthServer['generated'] = {};
  const administrator = await ensureAdministrator(deps);
  if (administrator) generated.administrator = administrator;
  const bootstrapClient = await ensureBootstrapClient(deps);
  if (bootstrapClient) generated.bootstrapClient = bootstrapClient;

  const inner = express.Router();
  inner.use(['/oauth/token', '/oauth/introspect', '/oauth/revoke', '/oauth/register', '/oauth/jwks', '/.well-known', '/fhir/.well-known'], corsForApps);
  inner.use(oauthRouter(deps));
  inner.use(authorizeRouter(deps));
  inner.use(accountsRouter(deps));
  // FHIR requests skip the auth routes' layers entirely (one prefix test instead of dozens of matches).
  const router: RequestHandler = (req, res, next) => (AUTH_PATH.test(req.path) ? inner(req, res, next) : next());
  return { deps, router, generated };
}
