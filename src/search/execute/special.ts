/**
 * The executor of the special parameters (parsed by src/search/query/special.ts): each becomes an
 * ordinary filter, mostly an `_id` `$in`, like the sub-searches of chains, and bounded the same way
 * (MAX_SUB_MATCHES, else 400 too-costly).
 *
 * - `_list=id`       List/id (through matchingDocs, so what the requester may not see is not
 *                    found): the ids of its entries' items of the searched type, entries marked
 *                    `deleted` left out; an unknown List matches nothing.
 * - `:in`/`:not-in`  the ValueSet (matchingDocs on `url` [+ `version`] or `_id`; of several with the
 *                    same url the last updated) expanded from `expansion.contains` when it has an
 *                    expansion, else from `compose`: include/exclude of listed concepts, or of a
 *                    whole code system (`system|`). A compose with `filter` or `valueSet`, or an
 *                    include without a system, cannot be expanded here: 400. The codes become key
 *                    matches (`p|system|code`), a whole system a key prefix, or an entry condition
 *                    when codes of it are excluded. `:not-in` is the `$nor` of `:in` (like `:not`).
 * - `near`           the index documents inside the bounding box of the circle (the other
 *                    parameters' filter applied too) are read and the exact great-circle distance
 *                    (haversine, mean Earth radius) of their positions decides.
 * - `_content`       not index-backed: the resources matching every other parameter are read (at
 *                    most MAX_SUB_MATCHES, else 400: narrow the search) and their text is searched
 *                    word by word: every string of the resource (the narrative without its tags;
 *                    not base64 `data`), in searchWords form.
 */
import { FhirError, badRequest } from '../../fhir/errors.js';
import type { Filter } from '../../store/database.js';
import { escapeKeyPart, htmlText, searchWords } from '../normalise.js';
import { NOTHING, idFilter, type NearPoint, type SpecialSpec } from '../query/index.js';
import { orMatches } from '../query/combine.js';
import type { Match } from '../query/types.js';
import { MAX_SUB_MATCHES, and, matchingDocs, type FilterContext, type IndexDoc } from './filters.js';
import { localReference } from '../../fhir/references.js';

/** Mean Earth radius (IUGG), km. */
export const EARTH_RADIUS_KM = 6371.0088;
/** Resources read at a time by `_content`. */
const CONTENT_BATCH = 500;

/**
 * The filter of the special parameters of a search; `narrowing` is the filter of its other
 * parameters (near and _content only look at documents matching it).
 */
export async function specialFilter(ctx: FilterContext, type: string, specs: readonly SpecialSpec[], narrowing: Filter): Promise<Filter> {
  const parts: Filter[] = [];
  for (const spec of specs) {
    if (spec.kind === 'list') parts.push(await listFilter(ctx, type, spec));
    else if (spec.kind === 'in') parts.push(await valueSetFilter(ctx, spec));
  }
  for (const spec of specs) if (spec.kind === 'near') parts.push(await nearFilter(ctx, type, spec, and([narrowing, ...parts])));
  const content = specs.filter((s) => s.kind === 'content');
  if (content.length) parts.push(await contentFilter(ctx, type, content, and([narrowing, ...parts])));
  return and(parts);
}

function tooCostly(what: string): FhirError {
  return new FhirError(400, 'too-costly', `${what} more than ${MAX_SUB_MATCHES}; narrow the search with other parameters`);
}

// ---------------------------------------------------------------------------------------------
// _list

async function listFilter(ctx: FilterContext, type: string, spec: Extract<SpecialSpec, { kind: 'list' }>): Promise<Filter> {
  const ids = new Set<string>();
  // the Lists the requester may search, in one query and one read
  const found = await matchingDocs(ctx, 'List', [['_id', spec.ids.join(',')]], spec.ids.length, { _id: 1 });
  for (const list of await ctx.store.readMany('List', found.map((d) => String(d._id)), ctx.session)) {
    for (const entry of (list.resource as fhir4.List | undefined)?.entry ?? []) {
      if (entry.deleted) continue;
      const ref = localReference(entry.item?.reference, ctx.baseUrl);
      if (ref?.type === type) ids.add(ref.id);
    }
    if (ids.size > MAX_SUB_MATCHES) throw tooCostly(`'${spec.name}': the lists refer to`);
  }
  return ids.size ? idFilter([...ids]) : NOTHING;
}

// ---------------------------------------------------------------------------------------------
// :in / :not-in

async function findValueSet(ctx: FilterContext, name: string, ref: string): Promise<fhir4.ValueSet> {
  const byId = /^ValueSet\/([A-Za-z0-9\-.]{1,64})$/.exec(ref);
  let docs: IndexDoc[];
  if (byId) docs = await matchingDocs(ctx, 'ValueSet', [['_id', byId[1]]], 1, { _id: 1 });
  else {
    const bar = ref.lastIndexOf('|');
    const [url, version] = bar < 0 ? [ref, undefined] : [ref.slice(0, bar), ref.slice(bar + 1)];
    const params: Array<[string, string]> = [['url', escapeKeyPart(url)]];
    if (version) params.push(['version', escapeKeyPart(version)]);
    docs = await matchingDocs(ctx, 'ValueSet', params, 100, { _id: 1 });
  }
  const found = await ctx.store.readMany('ValueSet', docs.map((d) => String(d._id)), ctx.session);
  if (found.length === 0) throw badRequest(`'${name}': the ValueSet '${ref}' is not known on this server`, [name]);
  found.sort((a, b) => (a.lastUpdated < b.lastUpdated ? 1 : a.lastUpdated > b.lastUpdated ? -1 : 0));
  return found[0].resource as fhir4.ValueSet;
}

interface Expansion {
  /** `system` (or '' for none) -> codes */
  codes: Map<string, Set<string>>;
  /** whole code systems -> codes excluded from them */
  systems: Map<string, Set<string>>;
}

/** The codes of a stored ValueSet, or a 400 when it cannot be expanded without terminology services. */
function expand(name: string, ref: string, vs: fhir4.ValueSet): Expansion {
  const out: Expansion = { codes: new Map(), systems: new Map() };
  let count = 0;
  const add = (system: string | undefined, code: string): void => {
    let set = out.codes.get(system ?? '');
    if (!set) out.codes.set(system ?? '', (set = new Set()));
    set.add(code);
    if (++count > MAX_SUB_MATCHES) throw tooCostly(`'${name}': the ValueSet '${ref}' has`);
  };
  const cannot = (why: string): never => {
    throw new FhirError(400, 'not-supported', `'${name}': the ValueSet '${ref}' cannot be expanded by this server (${why}; there is no terminology service)`, { expression: [name] });
  };
  if (vs.expansion) {
    const walk = (contains: fhir4.ValueSetExpansionContains[] | undefined): void => {
      for (const c of contains ?? []) {
        if (c.code !== undefined && !c.abstract) add(c.system, c.code);
        walk(c.contains);
      }
    };
    walk(vs.expansion.contains);
    return out;
  }
  const include = vs.compose?.include ?? [];
  if (include.length === 0) cannot('it has neither an expansion nor compose.include');
  const parts = (set: fhir4.ValueSetComposeInclude[], what: string): void => {
    for (const part of set) {
      if (part.valueSet?.length) cannot(`compose.${what} refers to other value sets`);
      if (part.filter?.length) cannot(`compose.${what} has a filter`);
      if (!part.system) cannot(`a compose.${what} has no system`);
    }
  };
  parts(include, 'include');
  parts(vs.compose?.exclude ?? [], 'exclude');
  const excludedSystems = new Set<string>();
  const excludedCodes = new Set<string>();
  for (const ex of vs.compose?.exclude ?? []) {
    if (!ex.concept?.length) excludedSystems.add(ex.system!);
    else for (const c of ex.concept) excludedCodes.add(`${ex.system}|${c.code}`);
  }
  for (const inc of include) {
    const system = inc.system!;
    if (excludedSystems.has(system)) continue;
    if (inc.concept?.length) {
      for (const c of inc.concept) if (!excludedCodes.has(`${system}|${c.code}`)) add(system, c.code);
    } else {
      const excluded = new Set<string>();
      for (const ex of vs.compose?.exclude ?? []) if (ex.system === system) for (const c of ex.concept ?? []) excluded.add(c.code);
      out.systems.set(system, excluded);
    }
  }
  return out;
}

async function valueSetFilter(ctx: FilterContext, spec: Extract<SpecialSpec, { kind: 'in' }>): Promise<Filter> {
  const p = spec.code;
  const matches: Match[] = [];
  for (const ref of spec.valueSets) {
    const ex = expand(spec.name, ref, await findValueSet(ctx, spec.name, ref));
    for (const [system, codes] of ex.codes) {
      // a code of a whole system already included is matched by the system
      if (system !== '' && ex.systems.has(system) && ex.systems.get(system)!.size === 0) continue;
      const keys = [...codes].map((c) => (system === '' ? `${p}|${escapeKeyPart(c)}` : `${p}|${escapeKeyPart(system)}|${escapeKeyPart(c)}`));
      if (keys.length) matches.push({ kind: 'keys', keys });
    }
    for (const [system, excluded] of ex.systems) {
      if (excluded.size === 0) matches.push({ kind: 'keyPrefix', prefix: `${p}|${escapeKeyPart(system)}|` });
      else matches.push({ kind: 'entry', cond: { sys: system, c: { $exists: true }, $nor: [{ c: { $in: [...excluded] } }] } });
    }
  }
  const filter = matches.length ? orMatches(p, matches) : NOTHING;
  return spec.not ? { $nor: [filter] } : filter;
}

// ---------------------------------------------------------------------------------------------
// near

const DEG = Math.PI / 180;

/** Great-circle distance in km (haversine). */
export function distanceKm(lat1: number, lon1: number, lat2: number, lon2: number): number {
  const dLat = (lat2 - lat1) * DEG;
  const dLon = (lon2 - lon1) * DEG;
  const a = Math.sin(dLat / 2) ** 2 + Math.cos(lat1 * DEG) * Math.cos(lat2 * DEG) * Math.sin(dLon / 2) ** 2;
  return 2 * EARTH_RADIUS_KM * Math.asin(Math.min(1, Math.sqrt(a)));
}

/** A condition on a `near` entry that holds for every point within the circle (a little more). */
export function boundingBox(p: NearPoint): Record<string, unknown> {
  const r = p.km / EARTH_RADIUS_KM; // angular radius
  const slack = 1e-9;
  const latLo = p.lat - r / DEG - slack;
  const latHi = p.lat + r / DEG + slack;
  const lat = { $gte: Math.max(-90, latLo), $lte: Math.min(90, latHi) };
  // a circle over a pole (or wider than a hemisphere) takes every longitude
  if (latLo <= -90 || latHi >= 90 || r >= Math.PI / 2) return { lat };
  const dLon = Math.asin(Math.min(1, Math.sin(r) / Math.cos(p.lat * DEG))) / DEG + slack;
  const lo = p.lon - dLon;
  const hi = p.lon + dLon;
  if (lo < -180) return { lat, $or: [{ lon: { $gte: lo + 360 } }, { lon: { $lte: hi } }] };
  if (hi > 180) return { lat, $or: [{ lon: { $gte: lo } }, { lon: { $lte: hi - 360 } }] };
  return { lat, lon: { $gte: lo, $lte: hi } };
}

async function nearFilter(ctx: FilterContext, type: string, spec: Extract<SpecialSpec, { kind: 'near' }>, narrowing: Filter): Promise<Filter> {
  const box = orMatches(spec.code, spec.points.map((p) => ({ kind: 'entry', cond: boundingBox(p) })));
  await ctx.store.prepare(type);
  const docs = (await ctx.store
    .searchOf(type)
    .find(and([narrowing, box]), { limit: MAX_SUB_MATCHES + 1, projection: { '_idx.e': 1 }, session: ctx.session })
    .toArray()) as unknown as IndexDoc[];
  if (docs.length > MAX_SUB_MATCHES) throw tooCostly(`'${spec.name}': the area holds`);
  const ids: string[] = [];
  for (const d of docs) {
    const near = (d._idx.e ?? []).some(
      (e) => e.p === spec.code && e.lat !== undefined && e.lon !== undefined && spec.points.some((p) => distanceKm(p.lat, p.lon, e.lat!, e.lon!) <= p.km),
    );
    if (near) ids.push(String(d._id));
  }
  return ids.length ? idFilter(ids) : NOTHING;
}

// ---------------------------------------------------------------------------------------------
// _content

/** The words of all the text of a resource (searchWords form), with a space before each word. */
export function contentWords(resource: unknown): string {
  const texts: string[] = [];
  const walk = (v: unknown, key: string): void => {
    if (typeof v === 'string') {
      if (key === 'div') texts.push(htmlText(v));
      else if (key !== 'data') texts.push(v);
    } else if (Array.isArray(v)) for (const x of v) walk(x, key);
    else if (v !== null && typeof v === 'object') for (const [k, x] of Object.entries(v)) walk(x, k);
  };
  walk(resource, '');
  return ` ${searchWords(texts.join(' \n '))}`;
}

async function contentFilter(ctx: FilterContext, type: string, specs: Extract<SpecialSpec, { kind: 'content' }>[], narrowing: Filter): Promise<Filter> {
  await ctx.store.prepare(type);
  const docs = await ctx.store.searchOf(type).find(narrowing, { limit: MAX_SUB_MATCHES + 1, projection: { _id: 1 }, session: ctx.session }).toArray();
  if (docs.length > MAX_SUB_MATCHES) {
    throw tooCostly(`'${specs[0].name}' is not index-backed: it reads the resources matching the other parameters, here`);
  }
  // each spec: OR of its values, each value: AND of its words
  const wanted = specs.map((s) => s.values.map((ws) => ws.map((w) => ` ${w}`)));
  const ids: string[] = [];
  for (let i = 0; i < docs.length; i += CONTENT_BATCH) {
    const batch = docs.slice(i, i + CONTENT_BATCH).map((d) => String(d._id));
    for (const v of await ctx.store.readMany(type, batch, ctx.session)) {
      const text = contentWords(v.resource);
      if (wanted.every((values) => values.some((ws) => ws.every((w) => text.includes(w))))) ids.push(v.id);
    }
  }
  return ids.length ? idFilter(ids) : NOTHING;
}
