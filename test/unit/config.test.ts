import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { ConfigError, loadConfig, parseSize } from '../../src/config.js';

describe('loadConfig', () => {
  it('runs out of the box with defaults', () => {
    const c = loadConfig({});
    assert.equal(c.port, 8080);
    assert.equal(c.baseUrl, 'http://localhost:8080/fhir');
    assert.equal(c.dataDir, path.resolve('./data'));
    assert.equal(c.mongodbUri, undefined);
    assert.equal(c.mongodbDb, 'fhir');
    assert.equal(c.logLevel, 'info');
    assert.equal(c.maxBody, 16 * 1024 * 1024);
  });

  it('reads every variable', () => {
    const c = loadConfig({
      PORT: '9000',
      FHIR_BASE_URL: 'https://fhir.example.org/r4/',
      FHIR_DATA_DIR: '/tmp/x',
      MONGODB_URI: 'mongodb://db:27017/?replicaSet=rs0',
      MONGODB_DB: 'prod',
      LOG_LEVEL: 'WARN',
      FHIR_MAX_BODY: '512kb',
    });
    assert.equal(c.port, 9000);
    assert.equal(c.baseUrl, 'https://fhir.example.org/r4');
    assert.equal(c.dataDir, '/tmp/x');
    assert.equal(c.mongodbUri, 'mongodb://db:27017/?replicaSet=rs0');
    assert.equal(c.mongodbDb, 'prod');
    assert.equal(c.logLevel, 'warn');
    assert.equal(c.maxBody, 512 * 1024);
  });

  const bad: Array<[string, string]> = [
    ['PORT', 'abc'],
    ['PORT', '70000'],
    ['FHIR_BASE_URL', 'not a url'],
    ['FHIR_BASE_URL', 'ftp://x/fhir'],
    ['FHIR_BASE_URL', 'http://x/fhir?a=b'],
    ['MONGODB_URI', 'http://localhost:27017'],
    ['MONGODB_DB', 'has space'],
    ['LOG_LEVEL', 'loud'],
    ['FHIR_MAX_BODY', 'lots'],
    ['FHIR_MAX_BODY', '0'],
  ];
  for (const [name, value] of bad) {
    it(`rejects ${name}=${value} with one line naming the variable`, () => {
      assert.throws(
        () => loadConfig({ [name]: value }),
        (err: unknown) => err instanceof ConfigError && err.message.includes(name) && !err.message.includes('\n'),
      );
    });
  }

  it('parses sizes', () => {
    assert.equal(parseSize('16mb'), 16 * 1024 * 1024);
    assert.equal(parseSize('1kb'), 1024);
    assert.equal(parseSize('1.5KB'), 1536);
    assert.equal(parseSize('2048'), 2048);
    assert.equal(parseSize('1gb'), 1024 ** 3);
    assert.equal(parseSize('-1'), undefined);
    assert.equal(parseSize('10 apples'), undefined);
  });
});

describe('loadConfig: authorization server settings', () => {
  it('defaults: nothing configured, tokens live an hour, no SMTP, https-only jwks_uri', () => {
    const a = loadConfig({}).auth;
    assert.equal(a.adminEmail, undefined);
    assert.equal(a.bootstrapClientId, undefined);
    assert.equal(a.accessTokenTtl, 3600);
    assert.equal(a.smtpUrl, undefined);
    assert.equal(a.allowHttpJwksUri, false);
  });
  it('reads them', () => {
    const a = loadConfig({
      FHIR_ADMIN_EMAIL: 'Root@Example.org', FHIR_ADMIN_PASSWORD: 'a-long-password',
      FHIR_BOOTSTRAP_CLIENT_ID: 'automation', FHIR_BOOTSTRAP_CLIENT_SECRET: 'x'.repeat(32),
      FHIR_ALLOW_HTTP_JWKS_URI: 'true', SMTP_URL: 'smtp://mail:25', FHIR_MAIL_FROM: 'a@b', FHIR_ACCESS_TOKEN_TTL: '600',
    }).auth;
    assert.equal(a.adminEmail, 'root@example.org');
    assert.equal(a.bootstrapClientSecret, 'x'.repeat(32));
    assert.equal(a.allowHttpJwksUri, true);
    assert.equal(a.smtpUrl, 'smtp://mail:25');
    assert.equal(a.accessTokenTtl, 600);
  });
  const bad: Array<[Record<string, string>, RegExp]> = [
    [{ FHIR_ADMIN_EMAIL: 'a@b' }, /FHIR_ADMIN_PASSWORD.*must be set together/],
    [{ FHIR_ADMIN_EMAIL: 'nope', FHIR_ADMIN_PASSWORD: 'a-long-password' }, /FHIR_ADMIN_EMAIL/],
    [{ FHIR_ADMIN_EMAIL: 'a@b', FHIR_ADMIN_PASSWORD: 'short' }, /FHIR_ADMIN_PASSWORD must have at least 10/],
    [{ FHIR_BOOTSTRAP_CLIENT_SECRET: 'x'.repeat(40) }, /FHIR_BOOTSTRAP_CLIENT_ID/],
    [{ FHIR_BOOTSTRAP_CLIENT_ID: 'c', FHIR_BOOTSTRAP_CLIENT_SECRET: 'short-secret' }, /at least 32/],
    [{ FHIR_ALLOW_HTTP_JWKS_URI: 'yes' }, /FHIR_ALLOW_HTTP_JWKS_URI/],
    [{ SMTP_URL: 'http://mail' }, /SMTP_URL/],
    [{ FHIR_ACCESS_TOKEN_TTL: '7200' }, /FHIR_ACCESS_TOKEN_TTL/],
  ];
  for (const [env, msg] of bad) {
    it(`refuses ${JSON.stringify(env)} in one line that does not echo a secret`, () => {
      assert.throws(() => loadConfig(env), (e: unknown) => {
        assert.ok(e instanceof ConfigError);
        assert.match(e.message, msg);
        assert.ok(!e.message.includes('\n'));
        for (const k of ['FHIR_ADMIN_PASSWORD', 'FHIR_BOOTSTRAP_CLIENT_SECRET']) if (env[k]) assert.ok(!e.message.includes(env[k]!), 'secret echoed');
        return true;
      });
    });
  }
});
