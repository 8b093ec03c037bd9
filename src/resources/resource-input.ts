/** Checks a resource body on its way in: its shape, its type against the URL, and its validity. */
import { FhirError, badRequest } from '../fhir/errors.js';
import { validateResource } from '../fhir/validator.js';

export function requireResourceBody(body: unknown, type: string): fhir4.Resource {
  if (body === undefined) throw badRequest(`A ${type} resource is required in the request body`);
  if (!body || typeof body !== 'object' || Array.isArray(body)) {
    throw badRequest(`The request body must be a JSON object (a ${type} resource), not ${Array.isArray(body) ? 'an array' : typeof body === 'object' ? 'null' : `a ${typeof body}`}`);
  }
  const rt = (body as { resourceType?: unknown }).resourceType;
  if (rt !== type) {
    throw badRequest(
      rt === undefined ? `The resource has no resourceType; expected '${type}'` : `The resource's resourceType '${String(rt)}' does not match the URL's type '${type}'`,
      [`${type}.resourceType`],
    );
  }
  return body as fhir4.Resource;
}

/** Throws a 400 OperationOutcome listing every validation error, each naming its element path. */
export function assertValid(resource: fhir4.Resource): void {
  const issues = validateResource(resource).filter((i) => i.severity === 'error');
  if (issues.length === 0) return;
  throw new FhirError(400, 'invalid', issues[0].diagnostics, {
    issues: issues.map((i) => ({ severity: 'error', code: i.code, diagnostics: i.diagnostics, expression: [i.expression] })),
  });
}

/** The resource as it will be stored: server-assigned meta fields dropped, the given id set. */
export function prepareForWrite(resource: fhir4.Resource, id: string | undefined): fhir4.Resource {
  const copy = { ...resource } as fhir4.Resource;
  if (id === undefined) delete copy.id;
  else copy.id = id;
  if (copy.meta) {
    const { versionId: _v, lastUpdated: _l, ...meta } = copy.meta;
    if (Object.keys(meta).length) copy.meta = meta;
    else delete copy.meta;
  }
  return copy;
}
