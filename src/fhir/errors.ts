/**
 * The one error type of the server: an HTTP status plus the OperationOutcome it answers with.
 * Everything that goes wrong on purpose is thrown as a FhirError; the express error handler
 * (src/fhir/error-handler.ts) turns it, and anything unexpected, into an OperationOutcome response.
 */
export type IssueCode = fhir4.OperationOutcomeIssue['code'];
export type IssueSeverity = fhir4.OperationOutcomeIssue['severity'];

export class FhirError extends Error {
  readonly status: number;
  readonly outcome: fhir4.OperationOutcome;
  /** Extra response headers (e.g. Allow on 405). */
  readonly headers: Record<string, string>;

  constructor(status: number, code: IssueCode, diagnostics: string, options: { expression?: string[]; issues?: fhir4.OperationOutcomeIssue[]; headers?: Record<string, string> } = {}) {
    super(diagnostics);
    this.status = status;
    this.headers = options.headers ?? {};
    const issue: fhir4.OperationOutcomeIssue[] = options.issues?.length
      ? options.issues
      : [{ severity: status >= 500 ? 'fatal' : 'error', code, diagnostics, ...(options.expression ? { expression: options.expression } : {}) }];
    this.outcome = { resourceType: 'OperationOutcome', issue };
  }
}

export function operationOutcome(severity: IssueSeverity, code: IssueCode, diagnostics: string, expression?: string[]): fhir4.OperationOutcome {
  return { resourceType: 'OperationOutcome', issue: [{ severity, code, diagnostics, ...(expression ? { expression } : {}) }] };
}

export const badRequest = (msg: string, expression?: string[]) => new FhirError(400, 'invalid', msg, { expression });
export const notFound = (msg: string) => new FhirError(404, 'not-found', msg);
export const gone = (msg: string) => new FhirError(410, 'deleted', msg);
export const forbidden = (msg: string) => new FhirError(403, 'forbidden', msg);
export const conflict = (msg: string) => new FhirError(409, 'conflict', msg);
export const preconditionFailed = (msg: string) => new FhirError(412, 'conflict', msg);
export const notSupported = (msg: string) => new FhirError(400, 'not-supported', msg);
export const methodNotAllowed = (msg: string, allow: string[]) =>
  new FhirError(405, 'not-supported', msg, { headers: { Allow: allow.join(', ') } });
