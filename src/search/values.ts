/**
 * Turning one value found by a search parameter's expression into index entries, by parameter type
 * and by the value's FHIR type. The entry fields are described in types.ts and extract.ts.
 */
import { RESOURCE_TYPES } from '../fhir/definitions.js';
import type { Value } from './evaluate.js';
import { RANGE_MAX, RANGE_MIN, dateRange, normaliseString, numberRange } from './normalise.js';
import type { IndexEntry, SearchParamType } from './types.js';

type Json = Record<string, unknown>;

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);
const strings = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string' && x !== '') : str(v) ? [v as string] : []);

export function entriesFor(type: SearchParamType, p: string, value: Value): IndexEntry[] {
  switch (type) {
    case 'string':
      return stringEntries(p, value);
    case 'token':
      return tokenEntries(p, value);
    case 'reference':
      return referenceEntries(p, value);
    case 'date':
      return dateEntries(p, value);
    case 'number':
      return numberEntries(p, value);
    case 'quantity':
      return quantityEntries(p, value);
    case 'uri':
      return typeof value.v === 'string' && value.v !== '' ? [{ p, u: value.v }] : [];
    case 'special':
      return specialEntries(p, value);
    default:
      return [];
  }
}

function stringEntry(p: string, x: string): IndexEntry {
  return { p, s: normaliseString(x), x };
}

function stringEntries(p: string, { t, v }: Value): IndexEntry[] {
  if (typeof v === 'string') return v === '' ? [] : [stringEntry(p, v)];
  if (!isObject(v)) return [];
  let parts: string[] = [];
  if (t === 'HumanName') {
    parts = [...strings(v.text), ...strings(v.family), ...strings(v.given), ...strings(v.prefix), ...strings(v.suffix)];
  } else if (t === 'Address') {
    parts = [...strings(v.text), ...strings(v.line), ...strings(v.city), ...strings(v.district), ...strings(v.state), ...strings(v.postalCode), ...strings(v.country)];
  }
  return parts.map((x) => stringEntry(p, x));
}

function text(v: unknown): string | undefined {
  const s = str(v);
  return s === undefined ? undefined : normaliseString(s) || undefined;
}

function coding(p: string, c: Json): IndexEntry | undefined {
  const e: IndexEntry = { p };
  const sys = str(c.system);
  const code = str(c.code);
  const tx = text(c.display);
  if (sys !== undefined) e.sys = sys;
  if (code !== undefined) e.c = code;
  if (tx !== undefined) e.tx = tx;
  return sys ?? code ?? tx ? e : undefined;
}

function tokenEntries(p: string, { t, v }: Value): IndexEntry[] {
  if (typeof v === 'boolean') return [{ p, c: String(v) }];
  if (typeof v === 'string') return v === '' ? [] : [{ p, c: v }];
  if (typeof v === 'number') return [{ p, c: String(v) }];
  if (!isObject(v)) return [];
  const out: IndexEntry[] = [];
  if (t === 'Coding') {
    const e = coding(p, v);
    if (e) out.push(e);
  } else if (t === 'CodeableConcept') {
    for (const c of Array.isArray(v.coding) ? v.coding : []) {
      const e = isObject(c) ? coding(p, c) : undefined;
      if (e) out.push(e);
    }
    const tx = text(v.text);
    if (tx !== undefined && !out.some((e) => e.tx === tx)) out.push({ p, tx });
  } else if (t === 'Identifier') {
    const value = str(v.value);
    if (value === undefined) return out;
    const base: IndexEntry = { p };
    if (str(v.system)) base.sys = v.system as string;
    base.c = value;
    const type = isObject(v.type) ? v.type : undefined;
    const tx = text(type?.text);
    if (tx !== undefined) base.tx = tx;
    for (const c of Array.isArray(type?.coding) ? (type!.coding as unknown[]) : []) {
      if (isObject(c) && str(c.code)) out.push({ ...base, ty: `${str(c.system) ?? ''}|${c.code as string}` });
    }
    if (out.length === 0) out.push(base);
  } else if (t === 'ContactPoint') {
    const value = str(v.value);
    if (value !== undefined) out.push({ p, c: value });
  }
  return out;
}

const REFERENCE = /^(?:(.*)\/)?([A-Z][A-Za-z]+)\/([A-Za-z0-9\-.]{1,64})(?:\/_history\/[^/]+)?$/;

/** `Type/id` of a literal reference, with `u` for absolute URLs / URNs; undefined for contained `#id`. */
export function parseReference(ref: string): Omit<IndexEntry, 'p'> | undefined {
  if (ref === '' || ref.startsWith('#')) return undefined;
  const m = REFERENCE.exec(ref);
  if (m && RESOURCE_TYPES.has(m[2]) && (m[1] === undefined || /^[a-z][a-z0-9+.-]*:\/\//i.test(m[1]))) {
    const out: Omit<IndexEntry, 'p'> = { r: `${m[2]}/${m[3]}`, rt: m[2], id: m[3] };
    if (m[1] !== undefined) out.u = ref;
    return out;
  }
  return { u: ref };
}

function referenceEntries(p: string, { t, v }: Value): IndexEntry[] {
  if (typeof v === 'string') {
    // canonical / uri: url|version
    const bar = v.lastIndexOf('|');
    const url = bar > 0 ? v.slice(0, bar) : v;
    const parsed = parseReference(url);
    if (!parsed) return [];
    const e: IndexEntry = { p, ...parsed, u: url };
    if (bar > 0) e.ver = v.slice(bar + 1);
    return [e];
  }
  if (!isObject(v)) return [];
  if (t === 'Reference') {
    const e: IndexEntry = { p };
    const ref = str(v.reference);
    if (ref !== undefined) {
      const parsed = parseReference(ref);
      if (!parsed) return []; // contained: not indexed
      Object.assign(e, parsed);
    }
    const type = str(v.type);
    if (e.rt === undefined && type !== undefined) e.rt = type.replace(/^.*\//, '');
    const identifier = isObject(v.identifier) ? v.identifier : undefined;
    if (identifier && str(identifier.value)) {
      if (str(identifier.system)) e.sys = identifier.system as string;
      e.c = identifier.value as string;
    }
    return e.r ?? e.u ?? e.c ? [e] : [];
  }
  if (typeof v.resourceType === 'string' && str(v.id)) {
    // a resource in place of a reference (Bundle.entry[0].resource)
    return [{ p, r: `${v.resourceType}/${v.id as string}`, rt: v.resourceType, id: v.id as string }];
  }
  return [];
}

function dateEntries(p: string, { t, v }: Value): IndexEntry[] {
  if (typeof v === 'string') {
    const r = dateRange(v);
    return r ? [{ p, lo: r.lo, hi: r.hi }] : [];
  }
  if (!isObject(v)) return [];
  if (t === 'Period') {
    const start = str(v.start) ? dateRange(v.start as string) : undefined;
    const end = str(v.end) ? dateRange(v.end as string) : undefined;
    return start || end ? [{ p, lo: start?.lo ?? RANGE_MIN, hi: end?.hi ?? RANGE_MAX }] : [];
  }
  if (t === 'Timing') {
    let lo = Infinity;
    let hi = -Infinity;
    const take = (r: { lo?: number; hi?: number } | undefined): void => {
      if (r?.lo !== undefined && r.hi !== undefined) (lo = Math.min(lo, r.lo)), (hi = Math.max(hi, r.hi));
    };
    for (const ev of strings(v.event)) take(dateRange(ev));
    const bounds = isObject(v.repeat) && isObject(v.repeat.boundsPeriod) ? v.repeat.boundsPeriod : undefined;
    if (bounds) take(dateEntries(p, { t: 'Period', v: bounds, path: 'Period' })[0]);
    return lo <= hi ? [{ p, lo, hi }] : [];
  }
  return [];
}

const INTEGER_TYPES = new Set(['integer', 'positiveInt', 'unsignedInt', 'integer64']);

function numberEntries(p: string, { t, v }: Value): IndexEntry[] {
  if (typeof v !== 'number' && typeof v !== 'string') return [];
  if (INTEGER_TYPES.has(t ?? '') && typeof v === 'number') return [{ p, n: v, lo: v, hi: v }];
  const r = numberRange(v);
  return r ? [{ p, n: r.n, lo: r.lo, hi: r.hi }] : [];
}

function quantityEntries(p: string, { t, v }: Value): IndexEntry[] {
  if (!isObject(v)) return [];
  if (t === 'Range') {
    const low = isObject(v.low) ? v.low : undefined;
    const high = isObject(v.high) ? v.high : undefined;
    const lo = typeof low?.value === 'number' ? numberRange(low.value)?.lo : undefined;
    const hi = typeof high?.value === 'number' ? numberRange(high.value)?.hi : undefined;
    if (lo === undefined && hi === undefined) return [];
    const e: IndexEntry = { p, lo: lo ?? RANGE_MIN, hi: hi ?? RANGE_MAX };
    return [withUnit(e, (lo !== undefined ? low : high)!)];
  }
  if (typeof v.value !== 'number') return [];
  const r = numberRange(v.value);
  if (!r) return [];
  const e: IndexEntry = { p, n: r.n, lo: r.lo, hi: r.hi };
  if (t === 'Money' || (t === undefined && str(v.currency))) {
    e.sys = 'urn:iso:std:iso:4217';
    if (str(v.currency)) e.c = v.currency as string;
    return [e];
  }
  if (t === 'SampledData') return [];
  const comparator = v.comparator;
  if (comparator === '<' || comparator === '<=') e.lo = RANGE_MIN;
  if (comparator === '>' || comparator === '>=') e.hi = RANGE_MAX;
  return [withUnit(e, v)];
}

function withUnit(e: IndexEntry, q: Json): IndexEntry {
  if (str(q.system)) e.sys = q.system as string;
  if (str(q.code)) e.c = q.code as string;
  if (str(q.unit)) e.u = q.unit as string;
  return e;
}

function specialEntries(p: string, { v }: Value): IndexEntry[] {
  if (isObject(v) && typeof v.latitude === 'number' && typeof v.longitude === 'number') return [{ p, lat: v.latitude, lon: v.longitude }];
  return [];
}
