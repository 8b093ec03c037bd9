/** The two errors of the search compiler: a 400 naming the parameter. */
import { FhirError } from '../../fhir/errors.js';

/** A malformed value, an unknown parameter (strict mode), a bad combination. */
export function invalid(param: string, message: string): FhirError {
  return new FhirError(400, 'invalid', message, { expression: [param] });
}

/** A modifier, prefix or parameter the server does not implement. */
export function notSupported(param: string, message: string): FhirError {
  return new FhirError(400, 'not-supported', message, { expression: [param] });
}
