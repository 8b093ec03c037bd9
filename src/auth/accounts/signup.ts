/**
 * POST /auth/signup: a patient creates their own account. The Patient (name, birth date, CPF
 * identifier, e-mail) and the account (role patient, fhirUser Patient/{id}) are created in one
 * transaction. Fields are checked one by one (400 naming each bad field); an e-mail or CPF
 * already in use is 409 naming it. Unknown keys are ignored; the password is only ever hashed.
 */
import type { Request, Response } from 'express';
import type { AuthDeps } from '../types.js';
import { CPF_SYSTEM } from './cpf.js';
import { asBody, FieldProblems, readBirthDate, readCpf, readEmail, readHumanName, readPassword } from './fields.js';
import { hash } from '../hashing.js';
import { checkAvailable, displayName, newAccount, newAccountId, registerAccount, type LoginClaim } from './directory.js';
import { sendCreated } from './http.js';

export function signup(deps: AuthDeps) {
  return async (req: Request, res: Response): Promise<void> => {
    const body = asBody(req.body);
    const p = new FieldProblems();
    const name = readHumanName(p, body.name, true);
    const birthDate = readBirthDate(p, body.birthDate);
    const email = readEmail(p, body.email);
    const cpf = readCpf(p, body.cpf);
    const password = readPassword(p, body.password);
    p.check();
    if (!name || !birthDate || !email || !cpf || !password) return; // unreachable: check() threw

    const claims: LoginClaim[] = [{ field: 'email', value: email }, { field: 'cpf', value: cpf }];
    await checkAvailable(deps, claims);
    const passwordHash = await hash(password);
    const accountId = newAccountId();
    const patient: fhir4.Patient = {
      resourceType: 'Patient',
      active: true,
      identifier: [{ use: 'official', system: CPF_SYSTEM, value: cpf }],
      name: [name],
      telecom: [{ system: 'email', value: email, use: 'home' }],
      birthDate,
    };
    const created = await registerAccount(deps, accountId, claims, async (session) => {
      const v = await deps.store.create('Patient', patient, session ? { session } : {});
      const account = newAccount({ _id: accountId, role: 'patient', email, cpf, fhirUser: `Patient/${v.id}`, name: displayName(name), passwordHash });
      return { account, result: v };
    });
    deps.logger.info({ account: accountId, fhirUser: `Patient/${created.id}` }, 'patient signed up');
    sendCreated(res, deps.config.baseUrl, created);
  };
}
