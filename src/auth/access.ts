/**
 * The one access decision. Every FHIR request passes `authorize` before it reaches an interaction,
 * and so does every entry of a batch or transaction Bundle (it goes through the same router).
 *
 * Today the server has a single policy: open access, as a development server without SMART on FHIR
 * has. The SMART authorization server (scopes, patient compartment, Consent) plugs in here by
 * building an AccessContext from the bearer token and refusing what its grants do not allow.
 */
import type { FhirRequest } from '../resources/interaction.js';

export interface AccessContext {
  /** who is asking: 'anonymous' until tokens exist */
  subject: string;
  /** the grants of this context; open access allows every interaction */
  policy: 'open';
}

export const OPEN_ACCESS: AccessContext = { subject: 'anonymous', policy: 'open' };

export function authorize(ctx: AccessContext, _req: FhirRequest): void {
  switch (ctx.policy) {
    case 'open':
      return;
  }
}
