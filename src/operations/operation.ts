/** An operation (hl7.org/fhir/R4/operations.html) is declared by its OperationDefinition and a handler. */
import type { ResourceStore } from '../store/resource-store.js';
import type { FhirRequest, FhirResponse } from '../resources/interaction.js';

export interface OperationContext {
  store: ResourceStore;
  baseUrl: string;
  req: FhirRequest;
  /** set at type and instance level */
  type?: string;
  /** set at instance level */
  id?: string;
}

export interface FhirOperation {
  definition: fhir4.OperationDefinition;
  handler(ctx: OperationContext): Promise<FhirResponse>;
}

/** The `resource` input of an operation: a Parameters body's `resource` part, or the body itself. */
export function resourceParameter(body: unknown, name = 'resource'): unknown {
  if (body && typeof body === 'object' && (body as { resourceType?: unknown }).resourceType === 'Parameters') {
    const params = body as fhir4.Parameters;
    return params.parameter?.find((p) => p.name === name)?.resource;
  }
  return body;
}

export function stringParameter(ctx: OperationContext, name: string): string | undefined {
  for (const [k, v] of ctx.req.query) if (k === name) return v;
  const body = ctx.req.body as fhir4.Parameters | undefined;
  if (body?.resourceType === 'Parameters') {
    const p = body.parameter?.find((x) => x.name === name);
    return p?.valueCode ?? p?.valueString ?? p?.valueUri;
  }
  return undefined;
}
