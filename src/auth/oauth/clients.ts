/**
 * Registered OAuth clients (collection `auth_clients`): lookup, creation, and the bootstrap client
 * (client_credentials with client_secret_basic, system/*.cruds, administration rights, tokens of
 * up to an hour) taken from FHIR_BOOTSTRAP_CLIENT_ID / _SECRET or generated on first start.
 */
import crypto from 'node:crypto';
import type { DbCollection } from '../../store/database.js';
import { isDuplicateKeyError } from '../../store/database.js';
import type { AuthDeps, OAuthClient } from '../types.js';
import { hash, verify } from '../hashing.js';
import { opaqueToken } from '../opaque-tokens.js';

export const CLIENTS = 'auth_clients';
export const BOOTSTRAP_SCOPE = 'system/*.cruds';
export const BOOTSTRAP_TTL = 3600;
/** Longest access token of a backend-services (client_credentials) client, seconds. */
export const BACKEND_TTL = 300;

export function clients(deps: AuthDeps): DbCollection<OAuthClient> {
  return deps.db.collection<OAuthClient>(CLIENTS);
}

export async function getClient(deps: AuthDeps, clientId: string): Promise<OAuthClient | null> {
  if (typeof clientId !== 'string' || clientId === '' || clientId.length > 256) return null;
  return clients(deps).findOne({ _id: clientId });
}

export function newClientId(): string {
  return crypto.randomUUID();
}

export async function insertClient(deps: AuthDeps, client: OAuthClient): Promise<void> {
  await clients(deps).insertOne(client);
}

/**
 * Creates or updates the bootstrap client. With FHIR_BOOTSTRAP_CLIENT_ID / _SECRET: the client of
 * that id (its secret hash replaced when the secret changed; a previously generated bootstrap
 * client is removed; returns nothing). Without them: when no bootstrap client exists yet, one with a
 * generated id and secret, returned to be printed once.
 */
export async function ensureBootstrapClient(deps: AuthDeps): Promise<{ clientId: string; clientSecret: string } | undefined> {
  const { bootstrapClientId: id, bootstrapClientSecret: secret } = deps.config.auth;
  const col = clients(deps);
  const fields = {
    client_name: 'Bootstrap client',
    token_endpoint_auth_method: 'client_secret_basic' as const,
    redirect_uris: [],
    grant_types: ['client_credentials'],
    scope: BOOTSTRAP_SCOPE,
    admin: true,
    bootstrap: true,
    maxTokenTtl: BOOTSTRAP_TTL,
  };
  if (id && secret) {
    // One bootstrap client: a generated one of an earlier start gives way to the configured one.
    const replaced = await col.deleteMany({ bootstrap: true, _id: { $ne: id } });
    if (replaced.deletedCount) deps.logger.info({ clientId: id }, 'the generated bootstrap client is replaced by the configured one');
    const existing = await col.findOne({ _id: id });
    if (existing && (await verify(secret, existing.secretHash))) {
      await col.updateOne({ _id: id }, { $set: fields });
      return undefined;
    }
    const secretHash = await hash(secret);
    await col.updateOne({ _id: id }, { $set: { ...fields, secretHash }, $setOnInsert: { createdAt: new Date().toISOString() } }, { upsert: true });
    deps.logger.info({ clientId: id }, existing ? 'bootstrap client secret updated' : 'bootstrap client registered');
    return undefined;
  }
  if (await col.findOne({ bootstrap: true }, { projection: { _id: 1 } })) return undefined;
  const clientId = `bootstrap-${crypto.randomBytes(8).toString('hex')}`;
  const clientSecret = opaqueToken();
  try {
    await col.insertOne({ _id: clientId, ...fields, secretHash: await hash(clientSecret), createdAt: new Date().toISOString() });
  } catch (err) {
    if (isDuplicateKeyError(err)) return undefined;
    throw err;
  }
  return { clientId, clientSecret };
}
