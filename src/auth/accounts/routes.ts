/**
 * The accounts' routes: POST /auth/signup, POST /admin/practitioners, the password reset
 * (GET/POST /auth/password-reset, POST /auth/password-reset/confirm) and GET /auth/me. Body
 * parsers run on these paths only; errors go on to the app's OperationOutcome error handler.
 */
import express, { type RequestHandler, type Router } from 'express';
import { requireAdmin, requireBearer } from '../bearer.js';
import { notFound } from '../../fhir/errors.js';
import type { AuthDeps } from '../types.js';
import { jsonBody, jsonOrFormBody } from './http.js';
import { signup } from './signup.js';
import { createPractitioner } from './practitioners.js';
import { confirmReset, requestReset, resetPage, resetPaths } from './password-reset.js';
import { users } from './directory.js';

/** GET /auth/me: who the bearer token's account is. */
function me(deps: AuthDeps): RequestHandler {
  return async (req, res) => {
    const claims = await requireBearer(deps.tokens, req);
    const account = await users(deps).findOne({ _id: claims.sub });
    if (!account) throw notFound('The access token does not belong to a user account');
    res.set('Cache-Control', 'no-store').json({
      id: account._id,
      role: account.role,
      email: account.email,
      name: account.name,
      ...(account.fhirUser ? { fhirUser: account.fhirUser } : {}),
    });
  };
}

/** POST /auth/signup, POST /auth/password-reset(/confirm), POST /admin/practitioners, GET /auth/me. */
export function accountsRouter(deps: AuthDeps): Router {
  const router = express.Router();
  const admin: RequestHandler = async (req, _res, next) => {
    await requireAdmin(deps.tokens, req);
    next();
  };
  router.post('/auth/signup', ...jsonBody, signup(deps));
  router.post('/admin/practitioners', admin, ...jsonBody, createPractitioner(deps));
  const reset = resetPaths(deps);
  router.get(reset.page, resetPage(deps));
  router.post(reset.page, ...jsonOrFormBody, requestReset(deps));
  router.post(reset.confirm, ...jsonOrFormBody, confirmReset(deps));
  router.get('/auth/me', me(deps));
  return router;
}
