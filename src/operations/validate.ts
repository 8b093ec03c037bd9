/** $validate (hl7.org/fhir/R4/resource-operation-validate.html) at type and instance level. */
import { badRequest } from '../fhir/errors.js';
import { validateResource } from '../fhir/validator.js';
import { requireResourceBody } from '../resources/resource-input.js';
import { type FhirOperation, type OperationContext, resourceParameter, stringParameter } from './operation.js';

const MODES = ['create', 'update', 'delete'];

export const validateOperation: FhirOperation = {
  definition: {
    resourceType: 'OperationDefinition',
    id: 'Resource-validate',
    url: 'http://hl7.org/fhir/OperationDefinition/Resource-validate',
    name: 'Validate',
    status: 'active',
    kind: 'operation',
    code: 'validate',
    resource: ['Resource'],
    system: false,
    type: true,
    instance: true,
    parameter: [
      { name: 'resource', use: 'in', min: 0, max: '1', type: 'Resource', documentation: 'The resource to validate' },
      { name: 'mode', use: 'in', min: 0, max: '1', type: 'code', documentation: 'create | update | delete' },
      { name: 'return', use: 'out', min: 1, max: '1', type: 'OperationOutcome' },
    ],
  },
  async handler(ctx: OperationContext) {
    const type = ctx.type!;
    const mode = stringParameter(ctx, 'mode');
    if (mode !== undefined && !MODES.includes(mode)) throw badRequest(`mode must be one of ${MODES.join(', ')}`, ['mode']);
    if (mode === 'delete') {
      if (!ctx.id) throw badRequest('mode=delete needs an instance: POST [type]/[id]/$validate');
      await ctx.store.read(type, ctx.id, ctx.req.session);
      return { status: 200, resource: ok(`${type}/${ctx.id} can be deleted`) };
    }
    let candidate = resourceParameter(ctx.req.body);
    if (candidate === undefined && ctx.id) candidate = (await ctx.store.read(type, ctx.id, ctx.req.session)).resource;
    if (candidate === undefined) throw badRequest('$validate needs a resource: the body, or a Parameters with a "resource" part');
    const resource = requireResourceBody(candidate, type);
    const issues: fhir4.OperationOutcomeIssue[] = validateResource(resource).map((i) => ({
      severity: i.severity,
      code: i.code,
      diagnostics: i.diagnostics,
      expression: [i.expression],
    }));
    if (ctx.id && (mode === 'update' || resourceParameter(ctx.req.body) !== undefined) && resource.id !== ctx.id) {
      issues.push({ severity: 'error', code: 'invalid', diagnostics: `The resource id '${resource.id ?? ''}' does not match '${ctx.id}'`, expression: [`${type}.id`] });
    }
    if (issues.length === 0) return { status: 200, resource: ok('The resource is valid') };
    return { status: 200, resource: { resourceType: 'OperationOutcome', issue: issues } };
  },
};

function ok(text: string): fhir4.OperationOutcome {
  return { resourceType: 'OperationOutcome', issue: [{ severity: 'information', code: 'informational', diagnostics: text }] };
}

