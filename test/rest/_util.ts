/**
 * Shared helpers for the REST core HTTP tests (test/rest/*.test.ts).
 * Not a test file itself (the runner glob is *.test.ts).
 */
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import request from 'supertest';
import type { Response } from 'supertest';
import type { TestApp } from '../helpers/app.js';

export const ORIGIN = 'http://localhost:8080';
/** The public base URL configured by test/helpers/app.ts */
export const BASE_URL = `${ORIGIN}/fhir`;
export const FHIR_JSON = 'application/fhir+json';
/** application/fhir+json, optionally followed by parameters such as charset. */
export const FHIR_JSON_RE = /^application\/fhir\+json\s*(;.*)?$/i;
/** FHIR R4 id datatype. */
export const ID_RE = /^[A-Za-z0-9\-.]{1,64}$/;
/** FHIR R4 instant datatype regex (from the spec). */
export const INSTANT_RE =
  /^([0-9]([0-9]([0-9][1-9]|[1-9]0)|[1-9]00)|[1-9]000)-(0[1-9]|1[0-2])-(0[1-9]|[1-2][0-9]|3[0-1])T([01][0-9]|2[0-3]):[0-5][0-9]:([0-5][0-9]|60)(\.[0-9]+)?(Z|(\+|-)((0[0-9]|1[0-3]):[0-5][0-9]|14:00))$/;
export const SUBSETTED = { system: 'http://terminology.hl7.org/CodeSystem/v3-ObservationValue', code: 'SUBSETTED' };

/** Every concrete resource type of FHIR R4 (4.0.1). */
export const R4_RESOURCE_TYPES = [
  'Account', 'ActivityDefinition', 'AdverseEvent', 'AllergyIntolerance', 'Appointment', 'AppointmentResponse',
  'AuditEvent', 'Basic', 'Binary', 'BiologicallyDerivedProduct', 'BodyStructure', 'Bundle', 'CapabilityStatement',
  'CarePlan', 'CareTeam', 'CatalogEntry', 'ChargeItem', 'ChargeItemDefinition', 'Claim', 'ClaimResponse',
  'ClinicalImpression', 'CodeSystem', 'Communication', 'CommunicationRequest', 'CompartmentDefinition', 'Composition',
  'ConceptMap', 'Condition', 'Consent', 'Contract', 'Coverage', 'CoverageEligibilityRequest',
  'CoverageEligibilityResponse', 'DetectedIssue', 'Device', 'DeviceDefinition', 'DeviceMetric', 'DeviceRequest',
  'DeviceUseStatement', 'DiagnosticReport', 'DocumentManifest', 'DocumentReference', 'EffectEvidenceSynthesis',
  'Encounter', 'Endpoint', 'EnrollmentRequest', 'EnrollmentResponse', 'EpisodeOfCare', 'EventDefinition', 'Evidence',
  'EvidenceVariable', 'ExampleScenario', 'ExplanationOfBenefit', 'FamilyMemberHistory', 'Flag', 'Goal',
  'GraphDefinition', 'Group', 'GuidanceResponse', 'HealthcareService', 'ImagingStudy', 'Immunization',
  'ImmunizationEvaluation', 'ImmunizationRecommendation', 'ImplementationGuide', 'InsurancePlan', 'Invoice', 'Library',
  'Linkage', 'List', 'Location', 'Measure', 'MeasureReport', 'Media', 'Medication', 'MedicationAdministration',
  'MedicationDispense', 'MedicationKnowledge', 'MedicationRequest', 'MedicationStatement', 'MedicinalProduct',
  'MedicinalProductAuthorization', 'MedicinalProductContraindication', 'MedicinalProductIndication',
  'MedicinalProductIngredient', 'MedicinalProductInteraction', 'MedicinalProductManufactured',
  'MedicinalProductPackaged', 'MedicinalProductPharmaceutical', 'MedicinalProductUndesirableEffect',
  'MessageDefinition', 'MessageHeader', 'MolecularSequence', 'NamingSystem', 'NutritionOrder', 'Observation',
  'ObservationDefinition', 'OperationDefinition', 'OperationOutcome', 'Organization', 'OrganizationAffiliation',
  'Parameters', 'Patient', 'PaymentNotice', 'PaymentReconciliation', 'Person', 'PlanDefinition', 'Practitioner',
  'PractitionerRole', 'Procedure', 'Provenance', 'Questionnaire', 'QuestionnaireResponse', 'RelatedPerson',
  'RequestGroup', 'ResearchDefinition', 'ResearchElementDefinition', 'ResearchStudy', 'ResearchSubject',
  'RiskAssessment', 'RiskEvidenceSynthesis', 'Schedule', 'SearchParameter', 'ServiceRequest', 'Slot', 'Specimen',
  'SpecimenDefinition', 'StructureDefinition', 'StructureMap', 'Subscription', 'Substance', 'SubstanceNucleicAcid',
  'SubstancePolymer', 'SubstanceProtein', 'SubstanceReferenceInformation', 'SubstanceSourceMaterial',
  'SubstanceSpecification', 'SupplyDelivery', 'SupplyRequest', 'Task', 'TerminologyCapabilities', 'TestReport',
  'TestScript', 'ValueSet', 'VerificationResult', 'VisionPrescription',
];

export function api(t: TestApp) {
  return request(t.app);
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** A fresh client-assignable id that is valid per the FHIR id rules. */
export function newId(prefix = 'id'): string {
  return `${prefix}-${crypto.randomBytes(6).toString('hex')}`;
}

export function weak(version: string | number): string {
  return `W/"${version}"`;
}

/** Describe a response for assertion messages. */
export function show(res: Response): string {
  const body = res.text && res.text.length > 1500 ? res.text.slice(0, 1500) + '…' : res.text;
  return `${res.status} ${res.headers['content-type'] ?? '(no content-type)'} ${body ?? ''}`;
}

export function expectStatus(res: Response, expected: number | number[], what = ''): void {
  const list = Array.isArray(expected) ? expected : [expected];
  assert.ok(list.includes(res.status), `${what ? what + ': ' : ''}expected status ${list.join('|')}, got ${show(res)}`);
}

export function assertFhirJson(res: Response): void {
  const ct = res.headers['content-type'];
  assert.ok(ct && FHIR_JSON_RE.test(ct), `expected Content-Type application/fhir+json, got ${ct} (status ${res.status})`);
}

/** Asserts status (one of), fhir+json, and a well-formed OperationOutcome body. Returns the body. */
export function expectOutcome(res: Response, expected: number | number[], what = ''): any {
  expectStatus(res, expected, what);
  assertFhirJson(res);
  const oo = res.body;
  assert.equal(oo?.resourceType, 'OperationOutcome', `${what}: body is not an OperationOutcome: ${show(res)}`);
  assert.ok(Array.isArray(oo.issue) && oo.issue.length > 0, `${what}: OperationOutcome has no issue: ${show(res)}`);
  for (const issue of oo.issue) {
    assert.ok(['fatal', 'error', 'warning', 'information'].includes(issue.severity), `bad issue.severity: ${JSON.stringify(issue)}`);
    assert.equal(typeof issue.code, 'string', `issue.code missing: ${JSON.stringify(issue)}`);
  }
  if (res.status >= 400) {
    assert.ok(
      oo.issue.some((i: any) => i.severity === 'error' || i.severity === 'fatal'),
      `${what}: an error OperationOutcome should carry an error/fatal issue: ${show(res)}`,
    );
  }
  return oo;
}

/** Any status < 500; if >= 400, the body must be an OperationOutcome in fhir+json. */
export function expectNo5xx(res: Response, what = ''): void {
  assert.ok(res.status < 500, `${what}: server error ${show(res)}`);
  if (res.status >= 400) expectOutcome(res, res.status, what);
}

/** All the human/machine readable text of the issues, for "names the element" checks. */
export function issueText(oo: any): string {
  return JSON.stringify(
    (oo?.issue ?? []).map((i: any) => [i.diagnostics, i.expression, i.location, i.details?.text, i.details?.coding]),
  );
}

/** The path+query part of an absolute URL on the configured public base. */
export function pathOf(absUrl: string): string {
  assert.equal(typeof absUrl, 'string', `expected a URL, got ${JSON.stringify(absUrl)}`);
  assert.ok(absUrl.startsWith(BASE_URL), `expected an absolute URL on ${BASE_URL}, got ${absUrl}`);
  return absUrl.slice(ORIGIN.length);
}

export function postResource(t: TestApp, resource: unknown, path?: string, contentType = FHIR_JSON) {
  const type = (resource as any)?.resourceType;
  return api(t)
    .post(path ?? `/fhir/${type}`)
    .set('Content-Type', contentType)
    .send(typeof resource === 'string' ? resource : JSON.stringify(resource));
}

export function putResource(t: TestApp, resource: any, path?: string, contentType = FHIR_JSON) {
  return api(t)
    .put(path ?? `/fhir/${resource.resourceType}/${resource.id}`)
    .set('Content-Type', contentType)
    .send(typeof resource === 'string' ? resource : JSON.stringify(resource));
}

export function patchResource(t: TestApp, path: string, ops: unknown, contentType = 'application/json-patch+json') {
  return api(t)
    .patch(path)
    .set('Content-Type', contentType)
    .send(typeof ops === 'string' ? ops : JSON.stringify(ops));
}

/** POST a resource, assert 201 and return the created resource. */
export async function create(t: TestApp, resource: any): Promise<any> {
  const res = await postResource(t, resource);
  expectStatus(res, 201, `create ${resource.resourceType}`);
  assert.ok(res.body?.id, `create returned no id: ${show(res)}`);
  return res.body;
}

/** PUT a resource with a client id (update-as-create or update), assert 200/201, return body. */
export async function put(t: TestApp, resource: any): Promise<any> {
  const res = await putResource(t, resource);
  expectStatus(res, [200, 201], `put ${resource.resourceType}/${resource.id}`);
  return res.body;
}

export async function read(t: TestApp, type: string, id: string): Promise<Response> {
  return api(t).get(`/fhir/${type}/${encodeURIComponent(id)}`);
}

/** Fetch a history bundle (all pages, following next links), return the entries. */
export async function historyEntries(t: TestApp, path: string, maxPages = 50): Promise<any[]> {
  const entries: any[] = [];
  let next: string | undefined = path;
  for (let i = 0; next && i < maxPages; i++) {
    const res = await api(t).get(next);
    expectStatus(res, 200, `history ${next}`);
    assert.equal(res.body.resourceType, 'Bundle');
    assert.equal(res.body.type, 'history');
    entries.push(...(res.body.entry ?? []));
    const link = (res.body.link ?? []).find((l: any) => l.relation === 'next');
    next = link ? pathOf(link.url) : undefined;
  }
  return entries;
}

/** Number of history entries of a resource type (all pages). */
export async function typeHistoryCount(t: TestApp, type: string): Promise<number> {
  return (await historyEntries(t, `/fhir/${type}/_history?_count=100`)).length;
}

/**
 * Walks any JSON value and fails on keys that can only be server internals (database ids,
 * revision counters, operators). `_id` is a legal FHIR key only as the primitive-extension
 * holder of `id`, which an object would be; none of the resources these tests post use it.
 */
export function assertNoServerKeys(value: unknown, where = '$'): void {
  if (Array.isArray(value)) {
    value.forEach((v, i) => assertNoServerKeys(v, `${where}[${i}]`));
    return;
  }
  if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      assert.ok(
        !['_id', '__v', '_rev', '_deleted', '_version', '_type', '_resource', '_meta'].includes(k) && !k.startsWith('$') && !k.startsWith('__'),
        `server-internal key ${JSON.stringify(k)} leaked at ${where}`,
      );
      assertNoServerKeys(v, `${where}.${k}`);
    }
  }
}

/** FHIR Meta element names. */
export const META_KEYS = ['id', 'extension', 'versionId', 'lastUpdated', 'source', 'profile', 'security', 'tag'];

/**
 * Asserts that `got` is exactly `posted` plus server id/meta: every other key equal, no extra
 * key, meta only holding Meta elements with versionId and an instant lastUpdated.
 */
export function assertSameResource(got: any, posted: any, id?: string): void {
  assert.ok(got && typeof got === 'object', 'no resource');
  const { id: gotId, meta, ...rest } = got;
  const { id: _postedId, meta: postedMeta, ...postedRest } = posted;
  if (id !== undefined) assert.equal(gotId, id);
  assert.deepEqual(rest, postedRest, 'resource content differs from what was posted (besides id/meta)');
  assert.ok(meta && typeof meta === 'object', 'meta missing');
  for (const k of Object.keys(meta)) assert.ok(META_KEYS.includes(k), `non-FHIR key in meta: ${k}`);
  assert.equal(typeof meta.versionId, 'string');
  assert.match(meta.lastUpdated, INSTANT_RE);
  if (postedMeta?.tag) assert.deepEqual(meta.tag, postedMeta.tag);
  if (postedMeta?.profile) assert.deepEqual(meta.profile, postedMeta.profile);
}

/** supertest parser collecting the raw body as a Buffer. */
export function binaryParser(res: any, cb: (err: Error | null, body: Buffer) => void): void {
  const chunks: Buffer[] = [];
  res.on('data', (c: Buffer) => chunks.push(Buffer.from(c)));
  res.on('end', () => cb(null, Buffer.concat(chunks)));
  res.on('error', (e: Error) => cb(e, Buffer.alloc(0)));
}

export function hasSubsettedTag(resource: any): boolean {
  return (resource?.meta?.tag ?? []).some((t: any) => t.system === SUBSETTED.system && t.code === SUBSETTED.code);
}

/** Id part of a Location such as http://…/fhir/Patient/123/_history/1 or Patient/123/_history/1. */
export function idFromLocation(location: string, type: string): string {
  const m = new RegExp(`(?:^|/)${type}/([A-Za-z0-9\\-.]{1,64})(?:/_history/[^/]+)?$`).exec(location ?? '');
  assert.ok(m, `cannot find ${type}/{id} in location ${JSON.stringify(location)}`);
  return m[1];
}
