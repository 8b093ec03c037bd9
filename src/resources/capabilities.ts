/**
 * The CapabilityStatement (GET [base]/metadata), generated from what the router actually serves:
 * the interactions listed here are the ones src/resources/router.ts dispatches.
 */
import { RESOURCE_TYPES, FHIR_VERSION } from '../fhir/definitions.js';
import { OPERATIONS } from '../operations/index.js';
import { isSearchable, searchParametersOf } from '../search/parameters.js';
import { smartEndpoints } from '../auth/endpoints.js';


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

/** `_list` (search.html#list) has no SearchParameter of its own in R4; the base CapabilityStatement's entry. */
const LIST_PARAM: fhir4.CapabilityStatementRestResourceSearchParam = { name: '_list', definition: 'http://hl7.org/fhir/SearchParameter/Resource-list', type: 'token' };

/** The search parameters that work for a type (the compiler's own rule: isSearchable), and _list. */
function searchParams(type: string): fhir4.CapabilityStatementRestResourceSearchParam[] {
  const params = searchParametersOf(type)
    .filter(isSearchable)
    .map((p) => ({ name: p.code, definition: p.url, type: p.type as fhir4.CapabilityStatementRestResourceSearchParam['type'] }));
  return [...params, LIST_PARAM];
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
        security: smartSecurity(opts.baseUrl),
        resource,
        interaction: systemInteractions.map((code) => ({ code })),
      },
    ],
  };
}

/** rest.security: SMART on FHIR with the oauth-uris extension (SMART App Launch 2.2, conformance). */
function smartSecurity(baseUrl: string): fhir4.CapabilityStatementRestSecurity {
  const e = smartEndpoints(baseUrl);
  const uri = (url: string, valueUri: string) => ({ url, valueUri });
  return {
    cors: true,
    service: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/restful-security-service', code: 'SMART-on-FHIR', display: 'SMART-on-FHIR' }], text: 'OAuth2 using SMART-on-FHIR profile (see http://docs.smarthealthit.org)' }],
    description: `SMART App Launch 2.2. Discovery: ${e.smartConfiguration}`,
    extension: [{
      url: 'http://fhir-registry.smarthealthit.org/StructureDefinition/oauth-uris',
      extension: [uri('authorize', e.authorize), uri('token', e.token), uri('register', e.register), uri('introspect', e.introspect), uri('revoke', e.revoke)],
    }],
  };
}
