/**
 * The CapabilityStatement (GET [base]/metadata), generated from what the router actually serves:
 * the interactions listed here are the ones src/resources/router.ts dispatches.
 */
import { RESOURCE_TYPES, FHIR_VERSION } from '../fhir/definitions.js';
import { OPERATIONS } from '../operations/index.js';
import { isSearchable, searchParametersOf } from '../search/parameters.js';

export const TYPE_INTERACTIONS: fhir4.CapabilityStatementRestResourceInteraction['code'][] = [
  'read',
  'vread',
  'update',
  'patch',
  'delete',
  'history-instance',
  'history-type',
  'create',
  'search-type',
];

/** The search parameters that work for a type (the compiler's own rule: isSearchable). */
function searchParams(type: string): fhir4.CapabilityStatementRestResourceSearchParam[] {
  return searchParametersOf(type)
    .filter(isSearchable)
    .map((p) => ({ name: p.code, definition: p.url, type: p.type as fhir4.CapabilityStatementRestResourceSearchParam['type'] }));
}

export interface CapabilityOptions {
  baseUrl: string;
  supportsTransactions: boolean;
  software: { name: string; version: string };
  startedAt: string;
}

export function buildCapabilityStatement(opts: CapabilityOptions): fhir4.CapabilityStatement {
  const operations = [...OPERATIONS.values()];
  const typeOps = operations
    .filter((op) => op.definition.type || op.definition.instance)
    .map((op) => ({ name: op.definition.code, definition: op.definition.url! }));
  const resource: fhir4.CapabilityStatementRestResource[] = [...RESOURCE_TYPES].sort().map((type) => ({
    type: type as fhir4.CapabilityStatementRestResource['type'],
    profile: `http://hl7.org/fhir/StructureDefinition/${type}`,
    interaction: TYPE_INTERACTIONS.map((code) => ({ code })),
    versioning: 'versioned-update',
    readHistory: true,
    updateCreate: true,
    conditionalCreate: true,
    conditionalRead: 'full-support',
    conditionalUpdate: true,
    conditionalDelete: 'single',
    referencePolicy: ['literal', 'local'],
    searchInclude: ['*', ...searchParametersOf(type).filter((p) => p.type === 'reference').map((p) => `${type}:${p.code}`)],
    searchRevInclude: ['*'],
    searchParam: searchParams(type),
    ...(typeOps.length ? { operation: typeOps } : {}),
  }));
  const systemInteractions: fhir4.CapabilityStatementRestInteraction['code'][] = ['batch', 'history-system', 'search-system'];
  if (opts.supportsTransactions) systemInteractions.unshift('transaction');
  return {
    resourceType: 'CapabilityStatement',
    status: 'active',
    date: opts.startedAt,
    publisher: 'fhir-server',
    kind: 'instance',
    software: opts.software,
    implementation: { description: 'FHIR R4 server', url: opts.baseUrl },
    fhirVersion: FHIR_VERSION as fhir4.CapabilityStatement['fhirVersion'],
    format: ['application/fhir+json', 'json'],
    patchFormat: ['application/json-patch+json'],
    rest: [
      {
        mode: 'server',
        resource,
        interaction: systemInteractions.map((code) => ({ code })),
      },
    ],
  };
}
