/**
 * Reading the fields of the accounts' JSON and form bodies: each reader checks one field, records a
 * problem under the field's name (OperationOutcome issue.expression) and returns the clean value.
 */
import { FhirError } from '../../fhir/errors.js';
import { clock } from '../clock.js';
import { ACCOUNT_POLICY } from './policy.js';
import { cpfDigits, isValidCpf } from './cpf.js';

export type Body = Record<string, unknown>;

/** The problems found in one body; `check()` throws them all as one 400 OperationOutcome. */
export class FieldProblems {
  readonly issues: fhir4.OperationOutcomeIssue[] = [];

  add(field: string, message: string): undefined {
    this.issues.push({ severity: 'error', code: 'invalid', diagnostics: message, expression: [field] });
    return undefined;
  }

  check(): void {
    if (this.issues.length) throw new FhirError(400, 'invalid', this.issues[0].diagnostics ?? 'Invalid request', { issues: this.issues });
  }
}

export function asBody(body: unknown): Body {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new FhirError(400, 'invalid', 'The request body must be a JSON object');
  return body as Body;
}

const text = (v: unknown): string | undefined => (typeof v === 'string' ? v.trim() : undefined);

const EMAIL = /^[^\s@<>()[\]\\,;:"]{1,64}@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$/;

/** A syntactically valid e-mail address, lower-cased. */
export function readEmail(p: FieldProblems, value: unknown, field = 'email'): string | undefined {
  const v = text(value);
  if (!v) return p.add(field, `${field} is required (an e-mail address)`);
  if (v.length > 254 || !EMAIL.test(v)) return p.add(field, `${field} is not a valid e-mail address`);
  return v.toLowerCase();
}

/** A password of at least ACCOUNT_POLICY.minPasswordLength characters (never echoed back). */
export function readPassword(p: FieldProblems, value: unknown, field = 'password'): string | undefined {
  if (typeof value !== 'string' || value.length === 0) return p.add(field, `${field} is required`);
  if ([...value].length < ACCOUNT_POLICY.minPasswordLength) return p.add(field, `${field} must have at least ${ACCOUNT_POLICY.minPasswordLength} characters`);
  if (value.length > ACCOUNT_POLICY.maxPasswordLength) return p.add(field, `${field} must have at most ${ACCOUNT_POLICY.maxPasswordLength} characters`);
  return value;
}

const NAME_PART = 100;

/**
 * A HumanName from `{ given: [...] | "...", family }` or, when `allowText`, from "Given Names Family"
 * (the last word is the family name).
 */
export function readHumanName(p: FieldProblems, value: unknown, allowText: boolean, field = 'name'): fhir4.HumanName | undefined {
  if (typeof value === 'string' && allowText) {
    const words = value.trim().split(/\s+/).filter(Boolean);
    if (words.length < 2) return p.add(field, `${field} needs a given name and a family name`);
    if (words.some((w) => w.length > NAME_PART)) return p.add(field, `${field} has a part longer than ${NAME_PART} characters`);
    return { use: 'official', text: words.join(' '), family: words[words.length - 1], given: words.slice(0, -1) };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return p.add(field, allowText ? `${field} is required: "Given Family" or { "given": [...], "family": "..." }` : `${field} is required: { "given": [...], "family": "..." }`);
  }
  const n = value as Body;
  const givenList = typeof n.given === 'string' ? [n.given] : n.given;
  const given = Array.isArray(givenList) ? givenList.map(text) : undefined;
  const family = text(n.family);
  let ok = true;
  if (!given || given.length === 0 || given.length > 5 || given.some((g) => !g || g.length > NAME_PART)) {
    p.add(`${field}.given`, `${field}.given must be one to five non-empty names of at most ${NAME_PART} characters`);
    ok = false;
  }
  if (!family || family.length > NAME_PART) {
    p.add(`${field}.family`, `${field}.family is required (at most ${NAME_PART} characters)`);
    ok = false;
  }
  if (!ok) return undefined;
  const givenNames = given as string[];
  return { use: 'official', text: [...givenNames, family].join(' '), family, given: givenNames };
}

const FHIR_DATE = /^([0-9]([0-9]([0-9][1-9]|[1-9]0)|[1-9]00)|[1-9]000)(-(0[1-9]|1[0-2])(-(0[1-9]|[1-2][0-9]|3[0-1]))?)?$/;

/** A FHIR date (YYYY, YYYY-MM or YYYY-MM-DD) that exists in the calendar and is not in the future. */
export function readBirthDate(p: FieldProblems, value: unknown, field = 'birthDate'): string | undefined {
  const v = text(value);
  if (!v) return p.add(field, `${field} is required (YYYY-MM-DD)`);
  if (!FHIR_DATE.test(v)) return p.add(field, `${field} must be a date (YYYY-MM-DD)`);
  if (v.length === 10) {
    const [y, m, d] = v.split('-').map(Number);
    const date = new Date(Date.UTC(y, m - 1, d));
    if (date.getUTCFullYear() !== y || date.getUTCMonth() !== m - 1 || date.getUTCDate() !== d) return p.add(field, `${field} is not a day of the calendar`);
  }
  const today = new Date(clock.now()).toISOString().slice(0, 10);
  if (v > today.slice(0, v.length)) return p.add(field, `${field} must not be in the future`);
  return v;
}

/** A CPF, formatted or not, with valid check digits: its 11 digits. */
export function readCpf(p: FieldProblems, value: unknown, field = 'cpf'): string | undefined {
  const v = typeof value === 'number' && Number.isInteger(value) && value >= 0 ? String(value).padStart(11, '0') : text(value);
  if (!v) return p.add(field, `${field} is required (11 digits, with or without punctuation)`);
  const digits = cpfDigits(v);
  if (digits === undefined) return p.add(field, `${field} must be 11 digits (52998224725 or 529.982.247-25)`);
  if (!isValidCpf(digits)) return p.add(field, `${field} is not a valid CPF (check digits)`);
  return digits;
}

/** The 27 federative units of Brazil (CRM registrations are per UF). */
export const UFS = [
  'AC', 'AL', 'AP', 'AM', 'BA', 'CE', 'DF', 'ES', 'GO', 'MA', 'MT', 'MS', 'MG', 'PA', 'PB', 'PR', 'PE', 'PI', 'RJ', 'RN', 'RS',
  'RO', 'RR', 'SC', 'SP', 'SE', 'TO',
] as const;

/** A CRM registration `NUMBER/UF` from `crm` (1-8 digits, or already `NUMBER/UF`) and `uf`. */
export function readCrm(p: FieldProblems, crmValue: unknown, ufValue: unknown): string | undefined {
  let crm = typeof crmValue === 'number' && Number.isInteger(crmValue) && crmValue > 0 ? String(crmValue) : text(crmValue);
  let uf = text(ufValue)?.toUpperCase();
  const joined = crm ? /^(\d{1,8})\s*\/\s*([A-Za-z]{2})$/.exec(crm) : null;
  if (joined) {
    crm = joined[1];
    if (uf && uf !== joined[2].toUpperCase()) return p.add('uf', `uf ${uf} differs from the UF in crm`);
    uf = joined[2].toUpperCase();
  }
  let ok = true;
  if (!crm || !/^\d{1,8}$/.test(crm)) {
    p.add('crm', 'crm is required: the CRM number, 1 to 8 digits');
    ok = false;
  }
  if (!uf || !(UFS as readonly string[]).includes(uf)) {
    p.add('uf', `uf is required: one of ${UFS.join(' ')}`);
    ok = false;
  }
  return ok ? `${crm}/${uf}` : undefined;
}

/** A specialty: a text ("Cardiologia") or a coding `{ system, code, display }`; optional. */
export function readSpecialty(p: FieldProblems, value: unknown, field = 'specialty'): fhir4.CodeableConcept | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'string') {
    const v = value.trim();
    if (!v || v.length > 200) return p.add(field, `${field} must be a non-empty text of at most 200 characters`);
    return { text: v };
  }
  if (typeof value !== 'object' || Array.isArray(value)) return p.add(field, `${field} must be a text or { "system", "code", "display" }`);
  const c = value as Body;
  const system = text(c.system);
  const code = text(c.code);
  const display = text(c.display);
  if ((c.system !== undefined && (!system || !/^\S+:\S+$/.test(system))) || (c.code !== undefined && !code) || (c.display !== undefined && !display)) {
    return p.add(field, `${field}: system must be a URI, code and display non-empty texts`);
  }
  if (!code && !display) return p.add(field, `${field} needs a code or a display`);
  if (code && !system) return p.add(`${field}.system`, `${field}.system is required with a code`);
  if ([system, code, display].some((s) => s && s.length > 200)) return p.add(field, `${field} parts must have at most 200 characters`);
  if (!code) return { text: display };
  return { coding: [{ system, code, ...(display ? { display } : {}) }], ...(display ? { text: display } : {}) };
}
