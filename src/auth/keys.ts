/**
 * The server's signing keys: one RSA key (RS256) signs access tokens and OpenID Connect id_tokens.
 * It is generated on first start and persisted in the `auth_keys` collection, so tokens survive
 * restarts and every instance of a scaled-out server signs with the same key.
 */
import crypto from 'node:crypto';
import { exportJWK, importJWK, type CryptoKey, type JWK } from 'jose';
import type { Database } from '../store/database.js';
import { isDuplicateKeyError } from '../store/database.js';

export const SIGNING_ALG = 'RS256';

export interface SigningKeys {
  kid: string;
  alg: typeof SIGNING_ALG;
  privateKey: CryptoKey;
  publicKey: CryptoKey;
  /** the public JWK Set served at the jwks_uri */
  jwks: { keys: JWK[] };
}

interface KeyDoc {
  _id: string;
  kid: string;
  privateJwk: JWK;
  publicJwk: JWK;
  createdAt: string;
  [k: string]: unknown;
}

const KEY_ID = 'signing';

export async function loadSigningKeys(db: Database): Promise<SigningKeys> {
  const keys = db.collection<KeyDoc>('auth_keys');
  let doc = await keys.findOne({ _id: KEY_ID });
  if (!doc) {
    const { privateKey, publicKey } = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
    const kid = crypto.randomBytes(12).toString('base64url');
    const privateJwk = { ...(await exportJWK(privateKey)), kid, alg: SIGNING_ALG, use: 'sig' };
    const publicJwk = { ...(await exportJWK(publicKey)), kid, alg: SIGNING_ALG, use: 'sig' };
    try {
      await keys.insertOne({ _id: KEY_ID, kid, privateJwk, publicJwk, createdAt: new Date().toISOString() });
    } catch (err) {
      if (!isDuplicateKeyError(err)) throw err; // another instance created it first: use theirs
    }
    doc = (await keys.findOne({ _id: KEY_ID }))!;
  }
  return {
    kid: doc.kid,
    alg: SIGNING_ALG,
    privateKey: (await importJWK(doc.privateJwk, SIGNING_ALG)) as CryptoKey,
    publicKey: (await importJWK(doc.publicJwk, SIGNING_ALG)) as CryptoKey,
    jwks: { keys: [doc.publicJwk] },
  };
}
