/** The Prefer header (RFC 7240) as FHIR uses it: return=minimal|representation|OperationOutcome, handling=strict|lenient. */
export type ReturnPreference = 'minimal' | 'representation' | 'OperationOutcome';

export interface Preferences {
  return?: ReturnPreference;
  handling?: 'strict' | 'lenient';
}

export function parsePrefer(header: string | undefined): Preferences {
  const out: Preferences = {};
  if (!header) return out;
  for (const part of header.split(/[,;]/)) {
    const [k, v] = part.split('=').map((s) => s.trim().replace(/^"|"$/g, ''));
    if (k === 'return' && (v === 'minimal' || v === 'representation' || v === 'OperationOutcome')) out.return = v;
    if (k === 'handling' && (v === 'strict' || v === 'lenient')) out.handling = v;
  }
  return out;
}
