/**
 * Conditional interactions (hl7.org/fhir/R4/http.html#ccreate, #cond-update, #3.1.0.7.1,
 * #patch): the target is whatever a search finds, with the spec's 0 / 1 / many outcomes
 * (many is 412 Precondition Failed).
 */
import { newResourceId } from '../store/ids.js';
import { FhirError, badRequest, notFound, preconditionFailed } from '../fhir/errors.js';
import { matchingIds } from '../search/execute/search.js';
import type { FilterContext } from '../search/execute/filters.js';
import { parseQuery, type FhirRequest, type FhirResponse, type QueryPairs } from './interaction.js';

const NOT_SEARCH = new Set(['_format', '_pretty', '_summary', '_elements']);

/** The context of a conditional interaction's search (its transaction and the requester's access). */
export type ConditionalContext = FilterContext;

/** "identifier=x", "?identifier=x" or "Patient?identifier=x" -> the search parameters. */
export function parseCondition(type: string, text: string, what: string): QueryPairs {
  let q = text.trim();
  if (q.startsWith(`${type}?`)) q = q.slice(type.length + 1);
  else if (q.startsWith('?')) q = q.slice(1);
  else if (/^[A-Z][A-Za-z]+\?/.test(q)) throw badRequest(`${what} '${text}' searches another type than ${type}`);
  return parseQuery(q);
}

/** Does the query carry search criteria (and not only _format and the like)? */
export function hasCriteria(query: QueryPairs): boolean {
  return query.some(([k]) => !NOT_SEARCH.has(k));
}

function searchParams(query: QueryPairs): QueryPairs {
  return query.filter(([k]) => !NOT_SEARCH.has(k));
}

/** The ids matching the condition: at most 2 are looked for (1 is all that matters). */
export async function conditionalMatches(ctx: ConditionalContext, type: string, query: QueryPairs, what: string): Promise<string[]> {
  const params = searchParams(query);
  if (params.length === 0) throw badRequest(`${what} needs search parameters`);
  return matchingIds(ctx, type, params, 2);
}

export function tooMany(type: string, what: string): FhirError {
  return preconditionFailed(`${what}: more than one ${type} matches the criteria; make them more selective`);
}

/** For create with If-None-Exist: the existing match (200), or undefined to go on creating. */
export async function existingForCreate(ctx: ConditionalContext, type: string, ifNoneExist: string): Promise<FhirResponse | undefined> {
  const ids = await conditionalMatches(ctx, type, parseCondition(type, ifNoneExist, 'If-None-Exist'), 'If-None-Exist');
  if (ids.length === 0) return undefined;
  if (ids.length > 1) throw tooMany(type, 'If-None-Exist');
  const version = await ctx.store.read(type, ids[0], ctx.session);
  return { status: 200, resource: version.resource, version };
}

/**
 * The id a conditional update writes to: the one match, or (no match) the body's id or a new
 * one. A body id that differs from the match is 400.
 */
export async function conditionalUpdateTarget(ctx: ConditionalContext, req: FhirRequest, type: string): Promise<string> {
  const ids = await conditionalMatches(ctx, type, req.query, 'Conditional update');
  if (ids.length > 1) throw tooMany(type, 'Conditional update');
  const bodyId = (req.body as { id?: unknown } | undefined)?.id;
  if (ids.length === 1) {
    if (bodyId !== undefined && bodyId !== ids[0]) throw badRequest(`The id in the body ('${String(bodyId)}') is not the id of the resource that matches the criteria ('${ids[0]}')`, [`${type}.id`]);
    return ids[0];
  }
  return typeof bodyId === 'string' ? bodyId : newResourceId();
}

export async function conditionalTarget(ctx: ConditionalContext, req: FhirRequest, type: string, what: string): Promise<string | undefined> {
  const ids = await conditionalMatches(ctx, type, req.query, what);
  if (ids.length > 1) throw tooMany(type, what);
  return ids[0];
}

export function noMatch(type: string, what: string): FhirError {
  return notFound(`${what}: no ${type} matches the criteria`);
}
