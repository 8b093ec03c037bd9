/**
 * _include and _revinclude (search.html#include), with :iterate and '*'. Each included resource
 * appears once, and never when it is already a match.
 */
import type { StoredVersion } from '../../store/resource-store.js';
import { getSearchParameter, searchParametersOf } from '../parameters.js';
import { referenceFilter, type CompiledSearch, type IncludeSpec } from '../query/index.js';
import type { IndexEntry } from '../types.js';
import { and, indexDocsById, type FilterContext } from './filters.js';
import { limitFilter } from '../../auth/limits.js';
import { isResourceType } from '../../fhir/definitions.js';

export interface Found {
  version: StoredVersion;
  idx: { e?: IndexEntry[] };
}

/** Included resources per search, at most. */
export const MAX_INCLUDED = 1000;
const MAX_ITERATIONS = 4;

const key = (f: Found) => `${f.version.type}/${f.version.id}`;

function referenceParams(type: string, spec: IncludeSpec): Set<string> {
  if (spec.param !== '*') return new Set(getSearchParameter(type, spec.param)?.type === 'reference' ? [spec.param] : []);
  return new Set(searchParametersOf(type).filter((p) => p.type === 'reference').map((p) => p.code));
}

async function fetchFound(ctx: FilterContext, type: string, ids: string[]): Promise<Found[]> {
  if (ids.length === 0) return [];
  // Only what the requester may read is included (the limit is part of the query).
  const idx = await indexDocsById(ctx, type, ids, await limitFilter(ctx, type, 'r'));
  const versions = await ctx.store.readMany(type, ids.filter((id) => idx.has(id)), ctx.session);
  return versions.map((v) => ({ version: v, idx: (idx.get(v.id)?._idx ?? {}) as Found['idx'] }));
}

export async function addIncludes(ctx: FilterContext, type: string, compiled: CompiledSearch, matches: Found[]): Promise<Found[]> {
  if (compiled.include.length === 0 && compiled.revinclude.length === 0) return [];
  const seen = new Set(matches.map(key));
  const included: Found[] = [];
  let frontier = matches;
  for (let round = 0; round < MAX_ITERATIONS && frontier.length && included.length < MAX_INCLUDED; round++) {
    const added: Found[] = [];
    const add = (list: Found[]) => {
      for (const f of list) {
        const k = key(f);
        if (seen.has(k) || included.length + added.length >= MAX_INCLUDED) continue;
        seen.add(k);
        added.push(f);
      }
    };
    for (const spec of compiled.include) {
      if (round > 0 && !spec.iterate) continue;
      const wanted = new Map<string, Set<string>>();
      for (const f of frontier) {
        if (spec.type !== '*' && spec.type !== f.version.type) continue;
        const params = referenceParams(f.version.type, spec);
        for (const e of f.idx.e ?? []) {
          if (!params.has(e.p) || !e.rt || !e.id || !isResourceType(e.rt)) continue;
          if (spec.targetType && spec.targetType !== e.rt) continue;
          if (seen.has(`${e.rt}/${e.id}`)) continue;
          const set = wanted.get(e.rt) ?? new Set<string>();
          set.add(e.id);
          wanted.set(e.rt, set);
        }
      }
      for (const [t, ids] of wanted) add(await fetchFound(ctx, t, [...ids]));
    }
    for (const spec of compiled.revinclude) {
      if (round > 0 && !spec.iterate) continue;
      if (!isResourceType(spec.type)) continue;
      const params = spec.param === '*' ? [...referenceParams(spec.type, spec)] : [spec.param];
      const refs = frontier.filter((f) => !spec.targetType || spec.targetType === f.version.type).map(key);
      if (refs.length === 0 || params.length === 0) continue;
      await ctx.store.prepare(spec.type);
      const filter = params.length === 1 ? referenceFilter(params[0], refs) : { $or: params.map((p) => referenceFilter(p, refs)) };
      const docs = await ctx.store.searchOf(spec.type).find(and([filter, await limitFilter(ctx, spec.type, 'r')]), { limit: MAX_INCLUDED, projection: { _id: 1 }, session: ctx.session }).toArray();
      add(await fetchFound(ctx, spec.type, docs.map((d) => String(d._id)).filter((id) => !seen.has(`${spec.type}/${id}`))));
    }
    included.push(...added);
    frontier = added;
  }
  return included;
}
