/** Every operation the server offers, by code. */
import type { FhirOperation } from './operation.js';
import { validateOperation } from './validate.js';

export const OPERATIONS: ReadonlyMap<string, FhirOperation> = new Map([[validateOperation.definition.code, validateOperation]]);
