/** The embedded engine's public surface. */
export { EmbeddedDatabase, embeddedStats, openEmbeddedDatabase, type EmbeddedOptions } from './engine.js';
export { EngineError } from './errors.js';
export type { EngineStats } from './store.js';
