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
