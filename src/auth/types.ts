/**
 * The shapes shared by the parts of the authorization server (accounts, clients, authorize,
 * token, introspection). Each part owns its collection; the others go through its functions.
 */
import type { Config } from '../config.js';
import type { Logger } from '../logger.js';
import type { Database } from '../store/database.js';
import type { ResourceStore } from '../store/resource-store.js';
import type { SigningKeys } from './keys.js';
import type { AccessTokens, Role } from './access-token.js';
import type { Audit } from './audit.js';
import type { Mailer } from '../mail/mailer.js';

export interface AuthDeps {
  config: Config;
  db: Database;
  store: ResourceStore;
  logger: Logger;
  keys: SigningKeys;
  tokens: AccessTokens;
  /** the server origin (issuer), e.g. http://localhost:8080: FHIR base minus its path */
  issuer: string;
  audit: Audit;
  mail: Mailer;
}

/** A user account (collection `auth_users`, owned by src/auth/accounts). */
export interface Account {
  _id: string;
  role: Exclude<Role, 'system'>;
  /** lower case, unique */
  email: string;
  /** patients: 11 digits, unique */
  cpf?: string;
  /** practitioners: `NUMBER/UF`, unique */
  crm?: string;
  /** `Patient/{id}` or `Practitioner/{id}`; administrators have none */
  fhirUser?: string;
  /** display name for pages */
  name: string;
  passwordHash: string;
  failedLogins: number;
  lockedUntil?: number;
  createdAt: string;
  [k: string]: unknown;
}

export type TokenEndpointAuthMethod = 'none' | 'client_secret_basic' | 'private_key_jwt';

/** A registered OAuth client (collection `auth_clients`, owned by src/auth/clients.ts). */
export interface OAuthClient {
  _id: string;
  client_name?: string;
  token_endpoint_auth_method: TokenEndpointAuthMethod;
  /** scrypt hash of the secret (client_secret_basic) */
  secretHash?: string;
  redirect_uris: string[];
  grant_types: string[];
  /** the most this client may ever get (space separated) */
  scope: string;
  jwks?: { keys: Array<Record<string, unknown>> };
  jwks_uri?: string;
  /** administration rights (the bootstrap client) */
  admin?: boolean;
  /** longest access token lifetime, seconds */
  maxTokenTtl?: number;
  createdAt: string;
  [k: string]: unknown;
}

/**
 * What a user approved for a client: carried by an authorization code, then by the refresh tokens
 * issued from it, and turned into access tokens. A new field is added here and to USER_GRANT_FIELDS.
 */
export interface UserGrant {
  clientId: string;
  accountId: string;
  role: Account['role'];
  fhirUser?: string;
  /** the scopes the user approved (space separated) */
  scope: string;
  /** the launch context: bare ids */
  patient?: string;
  encounter?: string;
  needPatientBanner?: boolean;
  /** epoch seconds of the login */
  authTime: number;
}

const USER_GRANT_FIELDS = ['clientId', 'accountId', 'role', 'fhirUser', 'scope', 'patient', 'encounter', 'needPatientBanner', 'authTime'] as const;
// Every field of UserGrant is listed (a field missing from the list does not compile).
const _everyField: [Exclude<keyof UserGrant, (typeof USER_GRANT_FIELDS)[number]>] extends [never] ? true : never = true;
void _everyField;

/** The UserGrant fields of `from` (an AuthorizationGrant, a stored refresh token...), without the undefined ones. */
export function pickUserGrant(from: UserGrant): UserGrant {
  const out: Partial<Record<keyof UserGrant, unknown>> = {};
  for (const k of USER_GRANT_FIELDS) if (from[k] !== undefined && from[k] !== null) out[k] = from[k];
  return out as UserGrant;
}

/** What an authorization code stands for, handed from /oauth/authorize to /oauth/token. */
export interface AuthorizationGrant extends UserGrant {
  redirectUri: string;
  nonce?: string;
}
