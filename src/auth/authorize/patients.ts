/**
 * "A practitioner's patients", for the patient picker and for EHR launches: the patients with an
 * Appointment with them that is not cancelled, an Encounter they took part in, or who name them as
 * generalPractitioner. Also the display names the pages show.
 */
import { matchingIds } from '../../search/execute/search.js';
import type { AuthDeps } from '../types.js';
import { isValidId } from '../../fhir/ids.js';
import { referencedId } from '../references.js';
import type { PatientChoice } from './pages.js';

/** At most this many resources are looked at per relation. */
const LIMIT = 1000;

export function displayName(resource: fhir4.Patient | fhir4.Practitioner | undefined, fallback: string): string {
  const name = resource?.name?.find((n) => n.use === 'official') ?? resource?.name?.[0];
  if (!name) return fallback;
  if (name.text) return name.text;
  const parts = [...(name.given ?? []), name.family ?? ''].filter((s) => s !== '');
  return parts.length ? parts.join(' ') : fallback;
}

/** The ids of the practitioner's patients (`practitionerId`: the bare id). */
export async function patientIdsOf(deps: AuthDeps, practitionerId: string): Promise<string[]> {
  const ctx = { store: deps.store, baseUrl: deps.config.baseUrl };
  const me = `Practitioner/${practitionerId}`;
  const base = deps.config.baseUrl;
  const ids = new Set<string>();

  const appointmentIds = await matchingIds(ctx, 'Appointment', [['actor', me], ['status:not', 'cancelled']], LIMIT);
  for (const v of await deps.store.readMany('Appointment', appointmentIds)) {
    const appointment = v.resource as fhir4.Appointment;
    if (appointment.status === 'cancelled') continue;
    for (const p of appointment.participant ?? []) {
      const id = referencedId(p.actor?.reference, 'Patient', base);
      if (id) ids.add(id);
    }
  }
  const encounterIds = await matchingIds(ctx, 'Encounter', [['participant', me]], LIMIT);
  for (const v of await deps.store.readMany('Encounter', encounterIds)) {
    const id = referencedId((v.resource as fhir4.Encounter).subject?.reference, 'Patient', base);
    if (id) ids.add(id);
  }
  for (const id of await matchingIds(ctx, 'Patient', [['general-practitioner', me]], LIMIT)) ids.add(id);
  return [...ids];
}

/** The practitioner's patients that exist (not deleted), by name. */
export async function patientsOf(deps: AuthDeps, practitionerId: string): Promise<PatientChoice[]> {
  const found = await deps.store.readMany('Patient', await patientIdsOf(deps, practitionerId));
  return found
    .map((v) => {
      const p = v.resource as fhir4.Patient;
      return { id: v.id, name: displayName(p, `Patient/${v.id}`), ...(p.birthDate ? { birthDate: p.birthDate } : {}) };
    })
    .sort((a, b) => a.name.localeCompare(b.name) || a.id.localeCompare(b.id));
}

/** Is `patientId` one of the practitioner's patients? One search per relation, naming the patient, stopping at the first match. */
export async function isPatientOf(deps: AuthDeps, practitionerId: string, patientId: string): Promise<boolean> {
  if (!isValidId(patientId)) return false;
  const ctx = { store: deps.store, baseUrl: deps.config.baseUrl };
  const me = `Practitioner/${practitionerId}`;
  const patient = `Patient/${patientId}`;
  const searches: Array<[string, Array<[string, string]>]> = [
    ['Patient', [['_id', patientId], ['general-practitioner', me]]],
    ['Encounter', [['participant', me], ['patient', patient]]],
    ['Appointment', [['actor', me], ['status:not', 'cancelled'], ['patient', patient]]],
  ];
  for (const [type, params] of searches) {
    if ((await matchingIds(ctx, type, params, 1)).length > 0) return true;
  }
  return false;
}
