/**
 * How the authorization server reads the resources it is told about: references in resources and
 * tokens (fhirUser, Appointment actors, Encounter subjects), and the `Type/id` or bare `id` that
 * users, launch requests and grants name a patient or an encounter by.
 */
import { localReference } from '../fhir/references.js';
import { isValidId } from '../fhir/ids.js';

/** The id in `Type/id`, `{base}/Type/id` or `Type/id/_history/n` when it names this server's `type`; else undefined. */
export function referencedId(reference: string | undefined, type: string, baseUrl: string): string | undefined {
  const r = localReference(reference, baseUrl);
  return r?.type === type ? r.id : undefined;
}

/** `Type/id` or `id` -> `id`, when it is a valid FHIR id; else undefined. */
export function bareId(value: string | undefined, type: string): string | undefined {
  if (!value) return undefined;
  const id = value.startsWith(`${type}/`) ? value.slice(type.length + 1) : value;
  return isValidId(id) ? id : undefined;
}
