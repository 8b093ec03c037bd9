/**
 * _summary and _elements (hl7.org/fhir/R4/search.html#summary, #elements): top-level subsetting of
 * a resource, marked with the SUBSETTED tag.
 */
import { createRequire } from 'node:module';
import { badRequest } from './errors.js';

const require = createRequire(import.meta.url);
const ELEMENTS = require('./generated/elements.json') as Record<string, { summary: string[]; mandatory: string[] }>;

export type SummaryMode = 'true' | 'false' | 'text' | 'data' | 'count';
const SUMMARY_MODES: readonly string[] = ['true', 'false', 'text', 'data', 'count'];

export const SUBSETTED: fhir4.Coding = {
  system: 'http://terminology.hl7.org/CodeSystem/v3-ObservationValue',
  code: 'SUBSETTED',
  display: 'Resource encoded in summary mode',
};

export function parseSummary(value: string | undefined): SummaryMode | undefined {
  if (value === undefined) return undefined;
  if (!SUMMARY_MODES.includes(value)) throw badRequest(`_summary must be one of ${SUMMARY_MODES.join(', ')}, not '${value}'`, ['_summary']);
  return value as SummaryMode;
}

export function parseElements(value: string | undefined): string[] | undefined {
  if (value === undefined) return undefined;
  const names = value.split(',').map((s) => s.trim()).filter(Boolean);
  for (const n of names) {
    if (!/^[A-Za-z][A-Za-z0-9]*(\.[A-Za-z][A-Za-z0-9]*)?$/.test(n)) throw badRequest(`_elements: '${n}' is not an element name`, ['_elements']);
  }
  // "Patient.name" is accepted and taken as "name".
  return names.map((n) => (n.includes('.') ? n.split('.')[1] : n));
}

/** Does a JSON key (e.g. "deceasedBoolean", "_birthDate") belong to one of the element names? */
function keyMatches(key: string, names: readonly string[]): boolean {
  const k = key.startsWith('_') ? key.slice(1) : key;
  for (const n of names) {
    if (n.endsWith('[x]')) {
      const stem = n.slice(0, -3);
      if (k.startsWith(stem) && k.length > stem.length && /[A-Z]/.test(k[stem.length])) return true;
    } else if (k === n) return true;
  }
  return false;
}

const ALWAYS = ['resourceType', 'id', 'meta'];

function subset(resource: fhir4.Resource, keep: (key: string) => boolean): fhir4.Resource {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(resource)) {
    if (ALWAYS.includes(key) || keep(key)) out[key] = value;
  }
  const meta: fhir4.Meta = { ...(resource.meta ?? {}) };
  const tags = (meta.tag ?? []).filter((t) => !(t.system === SUBSETTED.system && t.code === SUBSETTED.code));
  meta.tag = [...tags, SUBSETTED];
  out.meta = meta;
  return out as unknown as fhir4.Resource;
}

export function applySummary(resource: fhir4.Resource, mode: SummaryMode | undefined): fhir4.Resource {
  if (!mode || mode === 'false' || mode === 'count') return resource;
  const defs = ELEMENTS[resource.resourceType];
  if (!defs) return resource;
  switch (mode) {
    case 'true':
      return subset(resource, (k) => keyMatches(k, defs.summary));
    case 'text':
      return subset(resource, (k) => k === 'text' || keyMatches(k, defs.mandatory));
    case 'data':
      return subset(resource, (k) => k !== 'text');
  }
}

export function applyElements(resource: fhir4.Resource, names: string[] | undefined): fhir4.Resource {
  if (!names) return resource;
  const defs = ELEMENTS[resource.resourceType];
  const mandatory = defs?.mandatory ?? [];
  return subset(resource, (k) => keyMatches(k, names) || keyMatches(k, mandatory));
}
