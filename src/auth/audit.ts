/**
 * AuditEvents for the security events the issue names: every login (success and failure), every
 * token issued, every refused request. Written as FHIR AuditEvent resources (DICOM / HL7 codes) so
 * they are searchable like any other resource; a failure to write one is logged, never fatal.
 */
import type { Logger } from '../logger.js';
import type { ResourceStore } from '../store/resource-store.js';
import { parseReference } from '../search/values.js';

export type AuditKind = 'login' | 'logout' | 'token' | 'refused';

export interface AuditRecord {
  kind: AuditKind;
  success: boolean;
  /** who: `Patient/1`, `Practitioner/2`, an account id, a username that failed, or a client id */
  who?: string;
  /** the OAuth client involved */
  clientId?: string;
  /** free text: the reason of a failure, the scopes granted, the refused interaction */
  detail?: string;
  /** the remote address */
  address?: string;
}

const SUBTYPE: Record<AuditKind, fhir4.Coding> = {
  login: { system: 'http://dicom.nema.org/resources/ontology/DCM', code: '110122', display: 'Login' },
  logout: { system: 'http://dicom.nema.org/resources/ontology/DCM', code: '110123', display: 'Logout' },
  token: { system: 'http://hl7.org/fhir/restful-interaction', code: 'create', display: 'create' },
  refused: { system: 'http://hl7.org/fhir/restful-interaction', code: 'read', display: 'read' },
};

export function auditEvent(r: AuditRecord, now = new Date()): fhir4.AuditEvent {
  const type: fhir4.Coding = r.kind === 'refused'
    ? { system: 'http://terminology.hl7.org/CodeSystem/audit-event-type', code: 'rest', display: 'RESTful Operation' }
    : { system: 'http://dicom.nema.org/resources/ontology/DCM', code: '110114', display: 'User Authentication' };
  const ref = r.who ? parseReference(r.who) : undefined;
  const who = ref?.r && !ref.u ? { reference: ref.r } : r.who ? { display: r.who } : { display: 'unknown' };
  const agent: fhir4.AuditEventAgent[] = [{ who, requestor: true, ...(r.address ? { network: { address: r.address, type: '2' as const } } : {}) }];
  if (r.clientId) agent.push({ who: { identifier: { system: 'urn:ietf:rfc:6749:client_id', value: r.clientId } }, requestor: false });
  return {
    resourceType: 'AuditEvent',
    type,
    subtype: [SUBTYPE[r.kind]],
    action: r.kind === 'token' ? 'C' : r.kind === 'refused' ? 'R' : 'E',
    recorded: now.toISOString(),
    // 0 success, 4 minor failure (a refused login, token or request: the server worked as meant)
    outcome: r.success ? '0' : '4',
    ...(r.detail ? { outcomeDesc: r.detail.slice(0, 500) } : {}),
    agent,
    source: { observer: { display: 'fhir-server' }, type: [{ system: 'http://terminology.hl7.org/CodeSystem/security-source-type', code: '4', display: 'Application Server' }] },
  };
}

export class Audit {
  constructor(private readonly store: ResourceStore, private readonly logger: Logger) {}

  /** Records the event; resolves when written (callers need not wait). */
  async record(r: AuditRecord): Promise<void> {
    try {
      await this.store.create('AuditEvent', auditEvent(r));
    } catch (err) {
      this.logger.error({ err, kind: r.kind }, 'could not write an AuditEvent');
    }
  }
}
