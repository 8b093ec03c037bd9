/**
 * The data sets of bench/search.ts: the Synthea source bundles (what each holds that the queries
 * and their expected totals need), and the posts of each round (uuids and family names rewritten
 * so that every round is new data).
 */
import fs from 'node:fs';
import path from 'node:path';

export interface Source {
  file: string;
  raw: Buffer;
  bundle: { entry: Array<{ fullUrl?: string; resource: Record<string, unknown> }> };
  entries: number;
  patient: { name?: Array<{ family?: string; given?: string[]; prefix?: string[]; suffix?: string[]; text?: string }> };
  /** LOINC code -> number of this patient's Observations with it, most frequent first */
  loinc: Array<[string, number]>;
  observations: number;
  /** the end (or start) of each Encounter's period */
  encounterEnds: string[];
}

export function loadSources(dir: string): Source[] {
  const files = fs.readdirSync(dir).filter((f) => f.endsWith('.json')).sort();
  if (files.length === 0) throw new Error(`no *.json in ${dir}`);
  return files.map((file) => {
    const raw = fs.readFileSync(path.join(dir, file));
    const bundle = JSON.parse(raw.toString('utf8')) as Source['bundle'];
    const patients = bundle.entry.filter((e) => e.resource.resourceType === 'Patient');
    if (patients.length !== 1) throw new Error(`${file}: expected one Patient, found ${patients.length}`);
    const codes = new Map<string, number>();
    let observations = 0;
    const encounterEnds: string[] = [];
    for (const { resource: r } of bundle.entry) {
      if (r.resourceType === 'Observation') {
        observations++;
        const coding = ((r.code as { coding?: Array<{ system?: string; code?: string }> } | undefined)?.coding ?? []).filter((c) => c.system === 'http://loinc.org' && c.code);
        for (const c of new Set(coding.map((c) => c.code!))) codes.set(c, (codes.get(c) ?? 0) + 1);
      } else if (r.resourceType === 'Encounter') {
        const p = r.period as { start?: string; end?: string } | undefined;
        const end = p?.end ?? p?.start;
        if (end) encounterEnds.push(end);
      }
    }
    return {
      file,
      raw,
      bundle,
      entries: bundle.entry.length,
      patient: patients[0]!.resource as Source['patient'],
      loinc: [...codes].sort((x, y) => y[1] - x[1] || (x[0] < y[0] ? -1 : 1)),
      observations,
      encounterEnds,
    };
  });
}

/** A bijection on uuids for each round, keeping the 8-4-4-4-12 shape: the last group plus round x K mod 2^48. */
const UUID_RE = /urn:uuid:([0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-)([0-9a-fA-F]{12})/g;
const MASK48 = (1n << 48n) - 1n;
const K = 0x9e3779b97f4an; // odd, so distinct rounds give distinct shifts
export function rewriteUuids(text: string, round: number): string {
  const shift = BigInt(round) * K;
  return text.replace(UUID_RE, (_m, head: string, last: string) => `urn:uuid:${head}${((BigInt(`0x${last}`) + shift) & MASK48).toString(16).padStart(12, '0')}`);
}

/** The suffix of round `round` of `scale` (`03` of 10). */
export function familySuffix(round: number, scale: number): string {
  return String(round).padStart(Math.max(2, String(scale).length), '0');
}

export interface Post {
  source: Source;
  round: number;
  body: Buffer;
  /** the Patient's official family name as posted */
  family: string;
  /** filled in from the transaction response */
  patientId?: string;
  /** ms after the ingest started */
  doneAt?: number;
}

function officialFamily(p: Source['patient']): string {
  return (p.name?.find((n) => (n as { use?: string }).use === 'official') ?? p.name?.[0])?.family ?? '';
}

/** Round 0 = the files as they are; round r >= 1 = rewritten uuids and family names + suffix. */
export function makePosts(sources: Source[], rounds: number[], scale: number): Post[] {
  const posts: Post[] = [];
  for (const round of rounds) {
    for (const source of sources) {
      if (round === 0) {
        posts.push({ source, round, body: source.raw, family: officialFamily(source.patient) });
        continue;
      }
      const names = source.patient.name ?? [];
      const saved = names.map((n) => n.family);
      for (const n of names) if (n.family) n.family = `${n.family}${familySuffix(round, scale)}`;
      const family = officialFamily(source.patient);
      const text = rewriteUuids(JSON.stringify(source.bundle, null, 4), round);
      names.forEach((n, i) => (n.family = saved[i]));
      posts.push({ source, round, body: Buffer.from(text), family });
    }
  }
  return posts;
}

/** The normalised name parts of a Patient, as the server indexes them (for expected totals). */
export function nameParts(p: Source['patient'], family: (f: string) => string): string[] {
  const parts: string[] = [];
  for (const n of p.name ?? []) {
    if (n.family) parts.push(family(n.family));
    parts.push(...(n.given ?? []), ...(n.prefix ?? []), ...(n.suffix ?? []));
    if (n.text) parts.push(n.text);
  }
  return parts.map((s) => s.normalize('NFD').replace(/\p{M}/gu, '').toLowerCase());
}
