/**
 * Dispatches a FhirRequest to its interaction. The same router serves HTTP requests and the
 * entries of batch and transaction Bundles.
 */
import { methodNotAllowed, notFound } from '../fhir/errors.js';
import { isResourceType } from '../fhir/definitions.js';
import type { ResourceStore } from '../store/resource-store.js';
import { OPERATIONS } from '../operations/index.js';
import type { FhirOperation } from '../operations/operation.js';
import type { FhirRequest, FhirResponse } from './interaction.js';
import { createResource, deleteResource, patchResource, readResource, requireId, updateResource, vreadResource } from './crud.js';
import { history } from './history.js';

export interface RouterDeps {
  store: ResourceStore;
  baseUrl: string;
  capabilityStatement(): fhir4.CapabilityStatement;
  /** processes a batch or transaction Bundle (src/resources/bundle.ts) */
  processBundle(req: FhirRequest): Promise<FhirResponse>;
}

export type Router = (req: FhirRequest) => Promise<FhirResponse>;

export function createRouter(deps: RouterDeps): Router {
  const { store, baseUrl } = deps;

  const operation = (name: string, level: 'system' | 'type' | 'instance'): FhirOperation => {
    const op = OPERATIONS.get(name.slice(1));
    if (!op || !op.definition[level]) throw notFound(`Operation ${name} is not supported at ${level} level`);
    return op;
  };

  return async function route(req: FhirRequest): Promise<FhirResponse> {
    const [first, second, third, fourth, ...rest] = req.segments;
    const m = req.method === 'HEAD' ? 'GET' : req.method;
    if (rest.length) throw notFound(`No FHIR interaction at /${req.segments.join('/')}`);

    if (first === undefined) {
      if (m === 'POST') return deps.processBundle(req);
      throw methodNotAllowed(`${req.method} is not supported at the FHIR base; POST a batch or transaction Bundle`, ['POST']);
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
      return operation(first, 'system').handler({ store, baseUrl, req });
    }
    const type: string = first;
    if (!isResourceType(type)) throw notFound(`'${first.slice(0, 80)}' is not a FHIR R4 resource type`);

    if (second === undefined) {
      if (m === 'POST') return createResource(store, req, type);
      throw methodNotAllowed(
        m === 'GET' ? `Search on ${type} is not supported by this server yet` : `${req.method} ${type} needs an id: ${req.method} ${type}/[id]`,
        ['POST'],
      );
    }
    if (second === '_history' && third === undefined) {
      if (m !== 'GET') throw methodNotAllowed(`${req.method} is not allowed on ${type}/_history`, ['GET']);
      return history(store, baseUrl, req, type);
    }
    if (second.startsWith('$') && third === undefined) {
      if (m !== 'GET' && m !== 'POST') throw methodNotAllowed(`${req.method} is not allowed on operations`, ['GET', 'POST']);
      return operation(second, 'type').handler({ store, baseUrl, req, type });
    }
    const id = requireId(type, second);
    if (third === undefined) {
      switch (m) {
        case 'GET':
          return readResource(store, req, type, id);
        case 'PUT':
          return updateResource(store, req, type, id);
        case 'PATCH':
          return patchResource(store, req, type, id);
        case 'DELETE':
          return deleteResource(store, req, type, id);
        default:
          throw methodNotAllowed(`${req.method} is not allowed on ${type}/${id}`, ['GET', 'PUT', 'PATCH', 'DELETE']);
      }
    }
    if (third.startsWith('$') && fourth === undefined) {
      if (m !== 'GET' && m !== 'POST') throw methodNotAllowed(`${req.method} is not allowed on operations`, ['GET', 'POST']);
      return operation(third, 'instance').handler({ store, baseUrl, req, type, id });
    }
    if (third === '_history') {
      if (m !== 'GET') throw methodNotAllowed(`${req.method} is not allowed on history`, ['GET']);
      if (fourth === undefined) return history(store, baseUrl, req, type, id);
      return vreadResource(store, req, type, id, fourth);
    }
    throw notFound(`No FHIR interaction at /${req.segments.join('/')}`);
  };
}

