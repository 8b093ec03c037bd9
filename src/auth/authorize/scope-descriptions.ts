/**
 * Human descriptions of SMART scopes for the consent page: "Read and search your Observations",
 * "Create, read, update, delete and search the patient's records".
 */
import { parseResourceScope, PERMISSIONS, type Permission } from '../scopes.js';

const WORDS: Record<string, string> = {
  openid: 'Confirm your identity to the app',
  fhirUser: 'Know who you are (your user record)',
  profile: 'Know who you are (your user record)',
  launch: 'Open the record selected in the EHR (patient and encounter)',
  'launch/patient': 'Know which patient record is open',
  'launch/encounter': 'Know which encounter is open',
  offline_access: 'Keep access when you are not using the app, until you revoke it',
  online_access: 'Keep access while you keep using the app',
};

const VERBS: Record<Permission, string> = { c: 'create', r: 'read', u: 'update', d: 'delete', s: 'search' };

function plural(type: string): string {
  if (/[^aeiou]y$/.test(type)) return `${type.slice(0, -1)}ies`;
  if (/(s|x|ch|sh)$/.test(type)) return `${type}es`;
  return `${type}s`;
}

function list(words: string[]): string {
  return words.length <= 1 ? words.join('') : `${words.slice(0, -1).join(', ')} and ${words[words.length - 1]}`;
}

/** `who`: whose records a patient/ scope reaches ("your" for a patient, "the patient's" otherwise). */
export function describeScope(scope: string, who: 'patient' | 'other'): string {
  const known = WORDS[scope];
  if (known) return known;
  const s = parseResourceScope(scope);
  if (!s) return scope;
  const verbs = PERMISSIONS.filter((p) => s.permissions.has(p)).map((p) => VERBS[p]);
  const sentence = list(verbs);
  const what = s.type === '*' ? 'records' : plural(s.type);
  const owner = s.context === 'patient' ? (who === 'patient' ? 'your' : "the patient's") : s.context === 'user' ? 'the' : 'all';
  const suffix = s.context === 'user' ? ' you may access' : '';
  const only = s.restriction.length ? ` (only those with ${s.restriction.map(([k, v]) => `${k}=${v}`).join(', ')})` : '';
  return `${sentence[0].toUpperCase()}${sentence.slice(1)} ${owner} ${what}${suffix}${only}`;
}
