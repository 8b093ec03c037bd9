/**
 * Dispatches a FhirRequest to its interaction. The same router serves HTTP requests and the
 * entries of batch and transaction Bundles.
 */
import { FhirError, methodNotAllowed, notFound } from '../fhir/errors.js';
import { searchSystem, searchType } from './search.js';
import { contextOf, isCompartment } from '../search/execute/filters.js';
import { isResourceType } from '../fhir/definitions.js';
import type { ResourceStore } from '../store/resource-store.js';
import { OPERATIONS } from '../operations/index.js';
import type { FhirOperation } from '../operations/operation.js';
import type { FhirRequest, FhirResponse, QueryPairs } from './interaction.js';
import { createResource, deleteResource, patchResource, readResource, requireId, updateResource, vreadResource } from './crud.js';
import { history } from './history.js';
import { conditionalTarget, conditionalUpdateTarget, hasCriteria, noMatch } from './conditional.js';
import { ANONYMOUS, authorize } from '../auth/access.js';
import { requirePermission } from '../auth/guard.js';
import { PERMISSIONS } from '../auth/scopes.js';
import { allowsAny } from '../auth/limits.js';

export interface RouterDeps {
  store: ResourceStore;
  baseUrl: string;
  capabilityStatement(): fhir4.CapabilityStatement;
  /** processes a batch or transaction Bundle (src/resources/bundle.ts) */
  processBundle(req: FhirRequest): Promise<FhirResponse>;
}

export type Router = (req: FhirRequest) => Promise<FhirResponse>;

/** The parameters of a search: the query, plus a form body's (POST _search takes only forms). */
function searchParams(req: FhirRequest): QueryPairs {
  if (req.method === 'POST' && req.body !== undefined) {
    throw new FhirError(415, 'not-supported', 'POST _search takes its parameters as application/x-www-form-urlencoded, not a JSON body');
  }
  return [...req.query, ...(req.form ?? [])];
}

export function createRouter(deps: RouterDeps): Router {
  const { store, baseUrl } = deps;
  const search = { store, baseUrl };

  const operation = (name: string, level: 'system' | 'type' | 'instance', req: FhirRequest, type?: string): FhirOperation => {
    const op = OPERATIONS.get(name.slice(1));
    if (!op || !op.definition[level]) throw notFound(`Operation ${name} is not supported at ${level} level`);
    // An operation needs a grant on its type: read at instance level, any letter at type level.
    if (type && level === 'instance') requirePermission(req, type, 'r');
    else if (type && !PERMISSIONS.some((p) => allowsAny(req.access, type, p))) requirePermission(req, type, 'r');
    return op;
  };

  return async function route(req: FhirRequest): Promise<FhirResponse> {
    const [first, second, third, fourth, ...rest] = req.segments;
    const m = req.method === 'HEAD' ? 'GET' : req.method;
    authorize(req.access ?? ANONYMOUS, req);
    if (rest.length) throw notFound(`No FHIR interaction at /${req.segments.join('/')}`);

    if (req.form && !req.segments.includes('_search')) {
      throw new FhirError(415, 'not-supported', 'application/x-www-form-urlencoded bodies are only for [type]/_search');
    }
    if (first === undefined || (first === '_search' && second === undefined)) {
      if (m === 'POST' && first === undefined) return deps.processBundle(req);
      if (m === 'GET' || first === '_search') return searchSystem(search, req, searchParams(req));
      throw methodNotAllowed(`${req.method} is not supported at the FHIR base; POST a batch or transaction Bundle, or GET to search`, ['GET', 'POST']);
    }
    if (first === 'metadata' && second === undefined) {
      if (m !== 'GET') throw methodNotAllowed(`${req.method} is not allowed on metadata`, ['GET']);
      return { status: 200, resource: deps.capabilityStatement() };
    }
    if (first === '_history' && second === undefined) {
      if (m !== 'GET') throw methodNotAllowed(`${req.method} is not allowed on _history`, ['GET']);
      return history(store, baseUrl, req);
    }
    if (first.startsWith('$') && second === undefined) {
      if (m !== 'GET' && m !== 'POST') throw methodNotAllowed(`${req.method} is not allowed on operations`, ['GET', 'POST']);
      return operation(first, 'system', req).handler({ store, baseUrl, req });
    }
    const type: string = first;
    if (!isResourceType(type)) throw notFound(`'${first.slice(0, 80)}' is not a FHIR R4 resource type`);

    if (second === undefined) {
      if (m === 'POST') return createResource(store, req, type, baseUrl);
      if (m === 'GET') {
        requirePermission(req, type, 's');
        return searchType(search, req, type, req.query);
      }
      if (hasCriteria(req.query)) {
        const ctx = contextOf(store, baseUrl, req);
        if (m === 'PUT') return updateResource(store, req, type, await conditionalUpdateTarget(ctx, req, type), true, baseUrl);
        if (m === 'PATCH') {
          const id = await conditionalTarget(ctx, req, type, 'Conditional patch');
          if (id === undefined) throw noMatch(type, 'Conditional patch');
          return patchResource(store, req, type, id, baseUrl);
        }
        if (m === 'DELETE') {
          const id = await conditionalTarget(ctx, req, type, 'Conditional delete');
          if (id === undefined) return { status: 200, resource: { resourceType: 'OperationOutcome', issue: [{ severity: 'information', code: 'informational', diagnostics: `No ${type} matches the criteria; nothing to delete` }] } as fhir4.OperationOutcome };
          return deleteResource(store, req, type, id, baseUrl);
        }
      }
      throw methodNotAllowed(`${req.method} ${type} needs an id (${req.method} ${type}/[id]) or search criteria (${req.method} ${type}?identifier=...)`, ['GET', 'POST']);
    }
    if (second === '_search' && third === undefined) {
      if (m !== 'POST' && m !== 'GET') throw methodNotAllowed(`${req.method} is not allowed on ${type}/_search`, ['GET', 'POST']);
      requirePermission(req, type, 's');
      return searchType(search, req, type, searchParams(req));
    }
    if (second === '_history' && third === undefined) {
      if (m !== 'GET') throw methodNotAllowed(`${req.method} is not allowed on ${type}/_history`, ['GET']);
      return history(store, baseUrl, req, type);
    }
    if (second.startsWith('$') && third === undefined) {
      if (m !== 'GET' && m !== 'POST') throw methodNotAllowed(`${req.method} is not allowed on operations`, ['GET', 'POST']);
      return operation(second, 'type', req, type).handler({ store, baseUrl, req, type });
    }
    const id = requireId(type, second);
    if (third === undefined) {
      switch (m) {
        case 'GET':
          return readResource(store, req, type, id, baseUrl);
        case 'PUT':
          return updateResource(store, req, type, id, false, baseUrl);
        case 'PATCH':
          return patchResource(store, req, type, id, baseUrl);
        case 'DELETE':
          return deleteResource(store, req, type, id, baseUrl);
        default:
          throw methodNotAllowed(`${req.method} is not allowed on ${type}/${id}`, ['GET', 'PUT', 'PATCH', 'DELETE']);
      }
    }
    if (third.startsWith('$') && fourth === undefined) {
      if (m !== 'GET' && m !== 'POST') throw methodNotAllowed(`${req.method} is not allowed on operations`, ['GET', 'POST']);
      return operation(third, 'instance', req, type).handler({ store, baseUrl, req, type, id });
    }
    if (isCompartment(type) && (isResourceType(third) || third === '*' || third === '_search')) {
      const viaPost = third === '_search' || fourth === '_search';
      if (fourth !== undefined && fourth !== '_search') throw notFound(`No FHIR interaction at /${req.segments.join('/')}`);
      if (viaPost ? m !== 'POST' && m !== 'GET' : m !== 'GET') throw methodNotAllowed(`${req.method} is not allowed on a compartment search`, viaPost ? ['GET', 'POST'] : ['GET']);
      const compartment = { type, id };
      const params = searchParams(req);
      if (third === '*' || third === '_search') return searchSystem(search, req, params, compartment);
      requirePermission(req, third, 's');
      return searchType(search, req, third, params, compartment);
    }
    if (third === '_history') {
      if (m !== 'GET') throw methodNotAllowed(`${req.method} is not allowed on history`, ['GET']);
      if (fourth === undefined) return history(store, baseUrl, req, type, id);
      return vreadResource(store, req, type, id, fourth, baseUrl);
    }
    throw notFound(`No FHIR interaction at /${req.segments.join('/')}`);
  };
}

