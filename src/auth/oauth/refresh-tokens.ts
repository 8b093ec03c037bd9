/**
 * Refresh tokens (collection `auth_refresh_tokens`): opaque random strings, stored only as their
 * SHA-256, bound to one client and carrying the UserGrant they came from (account, role, fhirUser,
 * scope, launch context). Rotated on every use: the used one is kept, marked used, until it
 * expires, so that presenting it again is recognised as a replay, which revokes the whole family
 * (every refresh token descended from the same authorization, and their access tokens).
 *
 * Lifetimes: offline_access 90 days, renewed at each rotation; online_access 12 hours from the
 * user's sign-in, not renewed (the user signs in again to go on).
 */
import type { DbCollection } from '../../store/database.js';
import { pickUserGrant, type AuthDeps, type UserGrant } from '../types.js';
import { OAuthError } from '../oauth-errors.js';
import { opaqueToken, sweepExpired, tokenHash } from '../opaque-tokens.js';
import { clock } from '../clock.js';

export const OFFLINE_TTL = 90 * 86400;
export const ONLINE_TTL = 12 * 3600;

/** A stored refresh token: the grant (`scope`: every scope of the original grant) and its state. */
export interface RefreshTokenDoc extends UserGrant {
  _id: string;
  family: string;
  access: 'offline' | 'online';
  iat: number;
  exp: number;
  used: boolean;
  /** the access token issued with this refresh token (revoked with the family) */
  accessJti?: string;
  accessExp?: number;
  [k: string]: unknown;
}

const REFRESH_TOKENS = 'auth_refresh_tokens';

function collection(deps: AuthDeps): DbCollection<RefreshTokenDoc> {
  return deps.db.collection<RefreshTokenDoc>(REFRESH_TOKENS);
}

/** Expired refresh tokens (used or not) are deleted, at most once an hour. */
const sweep = sweepExpired(REFRESH_TOKENS, 'exp', 3_600_000, { unit: 's' });

export async function prepareRefreshTokens(deps: AuthDeps): Promise<void> {
  await collection(deps).createIndex({ family: 1 }, { name: 'family' });
  await collection(deps).createIndex({ exp: 1 }, { name: 'exp' });
}

/** 'offline' or 'online' when the scope asks for refresh tokens, otherwise undefined. */
export function refreshAccess(scopes: readonly string[]): RefreshTokenDoc['access'] | undefined {
  if (scopes.includes('offline_access')) return 'offline';
  if (scopes.includes('online_access')) return 'online';
  return undefined;
}

/**
 * Stores and returns a new refresh token. `previous`: the token it replaces (same family; an
 * online token keeps its expiry).
 */
export async function issueRefreshToken(
  deps: AuthDeps,
  grant: UserGrant,
  access: RefreshTokenDoc['access'],
  accessToken: { jti: string; exp: number },
  previous?: RefreshTokenDoc,
): Promise<string> {
  const now = clock.seconds();
  await sweep(deps.db, clock.now());
  const token = opaqueToken();
  const exp = access === 'offline' ? now + OFFLINE_TTL : previous?.exp ?? Math.min(now, grant.authTime) + ONLINE_TTL;
  const doc: RefreshTokenDoc = {
    ...pickUserGrant(grant),
    _id: tokenHash(token),
    family: previous?.family ?? opaqueToken(16),
    access,
    iat: now,
    exp,
    used: false,
    accessJti: accessToken.jti,
    accessExp: accessToken.exp,
  };
  await collection(deps).insertOne(doc);
  return token;
}

/** The stored refresh token (used or not, expired or not), or null. */
export async function findRefreshToken(deps: AuthDeps, token: string): Promise<RefreshTokenDoc | null> {
  if (token.length > 512) return null;
  return collection(deps).findOne({ _id: tokenHash(token) });
}

export function isActive(doc: RefreshTokenDoc): boolean {
  return !doc.used && doc.exp > clock.seconds();
}

/** Revokes every refresh token of the family and the access tokens issued with them. */
export async function revokeFamily(deps: AuthDeps, family: string): Promise<void> {
  const docs = await collection(deps).find({ family }, { projection: { accessJti: 1, accessExp: 1 } }).toArray();
  const now = clock.seconds();
  for (const d of docs) {
    if (d.accessJti && d.accessExp && d.accessExp > now) await deps.tokens.revoke({ jti: d.accessJti, exp: d.accessExp });
  }
  await collection(deps).deleteMany({ family });
}

/**
 * Uses `doc` (found by findRefreshToken) for `clientId`: invalid_grant when it belongs to another
 * client (left untouched), has expired, or was used before (then its family is revoked). Marks it
 * used atomically, so of two concurrent uses one wins and the other counts as a replay.
 */
export async function useRefreshToken(deps: AuthDeps, doc: RefreshTokenDoc, clientId: string): Promise<RefreshTokenDoc> {
  if (doc.clientId !== clientId) throw new OAuthError(400, 'invalid_grant', 'The refresh token was issued to another client');
  if (doc.exp <= clock.seconds()) {
    await collection(deps).deleteOne({ _id: doc._id });
    throw new OAuthError(400, 'invalid_grant', 'The refresh token has expired');
  }
  const won = !doc.used && (await collection(deps).findOneAndUpdate({ _id: doc._id, used: false }, { $set: { used: true } }, { returnDocument: 'after' }));
  if (!won) {
    await revokeFamily(deps, doc.family);
    deps.logger.warn({ clientId, family: doc.family }, 'refresh token replayed: its family is revoked');
    throw new OAuthError(400, 'invalid_grant', 'The refresh token has already been used; every token of this authorization is revoked');
  }
  return doc;
}
