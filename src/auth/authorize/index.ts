/**
 * /oauth/authorize and /oauth/launch: the login, patient-picker and consent pages, authorization
 * codes, EHR launch contexts. The parts:
 *   request.ts       the authorization request's parameters, checked (error page vs error redirect)
 *   flow.ts          the steps of a sign-in (login, patient picker, consent), flow-state.ts their state
 *   pages.ts         the HTML, scope-descriptions.ts the words of the consent page
 *   codes.ts         authorization codes (issued hashed, redeemed once with PKCE) -> redeemCode
 *   launch.ts        POST /oauth/launch and the launch contexts
 *   patients.ts      a practitioner's patients
 */
import type { NextFunction, Request, Response, Router } from 'express';
import express from 'express';
import type { AuthDeps } from '../types.js';
import { codes } from './codes.js';
import { prepareFlows } from './flow-state.js';
import { startAuthorize, takeStep } from './flow.js';
import { launches, launchRouter } from './launch.js';
import { sendPage } from '../pages.js';
import { bodyProblem, formBody } from '../http.js';
import { errorPage } from './pages.js';

/** What the token endpoint uses: the redemption of a code (see codes.ts). */
export { redeemCode, type CodeRedemption } from './codes.js';

export async function prepareAuthorize(deps: AuthDeps): Promise<void> {
  await prepareFlows(deps);
  await codes(deps).createIndex({ keepUntil: 1 }, { name: 'keepUntil' });
  await launches(deps).createIndex({ expiresAt: 1 }, { name: 'expiresAt' });
}

/** Errors of the pages are pages too (never JSON, never a redirect). */
function pageErrorHandler(deps: AuthDeps) {
  return (err: unknown, _req: Request, res: Response, next: NextFunction): void => {
    if (res.headersSent) return next(err);
    const body = bodyProblem(err);
    if (body) return sendPage(res, body.status, errorPage(body.status === 413 ? 'The form sent is too large.' : 'The form sent could not be read.'));
    deps.logger.error({ err }, 'authorize page failed');
    sendPage(res, 500, errorPage('The server could not complete the sign-in. Please try again later.'));
  };
}

/** GET/POST /oauth/authorize, POST /oauth/launch. */
export function authorizeRouter(deps: AuthDeps): Router {
  const router = express.Router();
  router.get('/oauth/authorize', async (req, res) => startAuthorize(deps, res, req.query as Record<string, unknown>));
  router.post('/oauth/authorize', formBody, async (req, res) => {
    const body: Record<string, unknown> = req.body && typeof req.body === 'object' ? req.body : {};
    if (body.request_id !== undefined) return takeStep(deps, req, res, body);
    return startAuthorize(deps, res, body);
  });
  router.all('/oauth/authorize', (_req, res) => {
    res.set('Allow', 'GET, POST');
    sendPage(res, 405, errorPage('Use GET or POST.'));
  });
  router.use('/oauth/authorize', pageErrorHandler(deps));
  router.use(launchRouter(deps));
  return router;
}
