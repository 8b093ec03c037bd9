/**
 * POST /admin/practitioners (administrators): creates a practitioner's Practitioner (CRM identifier
 * `NUMBER/UF`, name, e-mail), PractitionerRole (active, specialty) and account (role practitioner,
 * fhirUser Practitioner/{id}) in one transaction. 409 for a CRM/UF or e-mail already in use.
 */
import type { Request, Response } from 'express';
import type { AuthDeps } from '../types.js';
import { asBody, FieldProblems, readCrm, readEmail, readHumanName, readPassword, readSpecialty } from './fields.js';
import { hash } from '../hashing.js';
import { checkAvailable, displayName, newAccount, newAccountId, registerAccount, type LoginClaim } from './directory.js';
import { sendCreated } from './http.js';

export const CRM_SYSTEM = 'https://saude.gov.br/fhir/sid/crm';

export function createPractitioner(deps: AuthDeps) {
  return async (req: Request, res: Response): Promise<void> => {
    const body = asBody(req.body);
    const p = new FieldProblems();
    const name = readHumanName(p, body.name, true);
    const crm = readCrm(p, body.crm, body.uf);
    const specialty = readSpecialty(p, body.specialty);
    const email = readEmail(p, body.email);
    const password = readPassword(p, body.password);
    p.check();
    if (!name || !crm || !email || !password) return; // unreachable: check() threw

    const claims: LoginClaim[] = [{ field: 'email', value: email }, { field: 'crm', value: crm }];
    await checkAvailable(deps, claims);
    const passwordHash = await hash(password);
    const accountId = newAccountId();
    const shownName = displayName(name);
    const practitioner: fhir4.Practitioner = {
      resourceType: 'Practitioner',
      active: true,
      identifier: [{ use: 'official', system: CRM_SYSTEM, value: crm }],
      name: [name],
      telecom: [{ system: 'email', value: email, use: 'work' }],
    };
    const created = await registerAccount(deps, accountId, claims, async (session) => {
      const options = session ? { session } : {};
      const v = await deps.store.create('Practitioner', practitioner, options);
      const role: fhir4.PractitionerRole = {
        resourceType: 'PractitionerRole',
        active: true,
        practitioner: { reference: `Practitioner/${v.id}`, display: shownName },
        ...(specialty ? { specialty: [specialty] } : {}),
        telecom: [{ system: 'email', value: email, use: 'work' }],
      };
      await deps.store.create('PractitionerRole', role, options);
      const account = newAccount({ _id: accountId, role: 'practitioner', email, crm, fhirUser: `Practitioner/${v.id}`, name: shownName, passwordHash });
      return { account, result: v };
    });
    deps.logger.info({ account: accountId, fhirUser: `Practitioner/${created.id}` }, 'practitioner account created');
    sendCreated(res, deps.config.baseUrl, created);
  };
}
