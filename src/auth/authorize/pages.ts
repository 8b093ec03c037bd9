/**
 * The HTML pages of /oauth/authorize: sign-in, patient picker, consent, and the error page. Plain
 * forms without scripts, usable by a browser and by a script (layout, escaping and headers:
 * src/auth/pages.ts). The forms of a flow may end in a redirect to the app: its redirect_uri is
 * named in the page's form-action.
 */
import { escapeHtml, htmlPage, type Page } from '../pages.js';

/** The hidden inputs that carry the flow from page to page. */
export interface FlowFields {
  action: string;
  requestId: string;
  step: 'login' | 'patient' | 'consent';
  appName: string;
  /** where the flow ends (the app's redirect_uri) */
  redirectUri: string;
}

const flowPage = (f: FlowFields, title: string, body: string): Page => ({ html: htmlPage(title, body), formTargets: [f.redirectUri] });

function hidden(f: FlowFields): string {
  return `<input type="hidden" name="request_id" value="${escapeHtml(f.requestId)}">
<input type="hidden" name="step" value="${escapeHtml(f.step)}">`;
}

const message = (text: string | undefined) => (text ? `<p class="msg" role="alert">${escapeHtml(text)}</p>\n` : '');

export function errorPage(text: string): string {
  return htmlPage('Sign-in problem', `<h1>This sign-in cannot continue</h1>
<p class="msg" role="alert">${escapeHtml(text)}</p>
<p>Go back to the app and start again. If the problem stays, tell the app's maker.</p>`);
}

export function loginPage(f: FlowFields, opts: { message?: string; username?: string } = {}): Page {
  return flowPage(f, `Sign in - ${f.appName}`, `<h1>Sign in to continue to ${escapeHtml(f.appName)}</h1>
${message(opts.message)}<form method="post" action="${escapeHtml(f.action)}">
${hidden(f)}
<label>E-mail, CPF or CRM (NUMBER/UF)
<input type="text" name="username" autocomplete="username" required value="${escapeHtml(opts.username ?? '')}"></label>
<label>Password
<input type="password" name="password" autocomplete="current-password" required></label>
<button type="submit">Sign in</button>
</form>`);
}

export interface PatientChoice {
  id: string;
  name: string;
  birthDate?: string;
}

/** The practitioner's patient picker (radio inputs), or a free id entry for an administrator. */
export function pickerPage(f: FlowFields, opts: { userName: string; patients: PatientChoice[]; freeEntry: boolean; message?: string }): Page {
  const choices = opts.patients.map((p, i) => `<label><input type="radio" name="patient" value="Patient/${escapeHtml(p.id)}"${i === 0 ? ' required' : ''}>
${escapeHtml(p.name)}${p.birthDate ? ` <span class="who">(born ${escapeHtml(p.birthDate)})</span>` : ''}</label>`).join('\n');
  const list = opts.freeEntry
    ? `<label>Patient id (e.g. Patient/123)
<input type="text" name="patient" required></label>`
    : opts.patients.length
      ? `<fieldset><legend>Your patients</legend>\n${choices}\n</fieldset>`
      : '<p>You have no patients yet (no appointment, encounter or patient naming you as their practitioner).</p>';
  const allow = opts.freeEntry || opts.patients.length ? '<button type="submit" name="decision" value="allow">Continue</button>\n' : '';
  return flowPage(f, `Choose a patient - ${f.appName}`, `<h1>Which patient should ${escapeHtml(f.appName)} open?</h1>
<p class="who">Signed in as ${escapeHtml(opts.userName)}</p>
${message(opts.message)}<form method="post" action="${escapeHtml(f.action)}">
${hidden(f)}
${list}
${allow}<button type="submit" name="decision" value="deny" formnovalidate>Cancel</button>
</form>`);
}

export interface ScopeChoice {
  scope: string;
  description: string;
}

export function consentPage(f: FlowFields, opts: { userName: string; patientName?: string; scopes: ScopeChoice[]; message?: string }): Page {
  const items = opts.scopes.map((s) => `<label><input type="checkbox" name="scope" value="${escapeHtml(s.scope)}" checked>
${escapeHtml(s.description)} <code class="who">${escapeHtml(s.scope)}</code></label>`).join('\n');
  return flowPage(f, `Allow access - ${f.appName}`, `<h1>${escapeHtml(f.appName)} asks for access</h1>
<p class="who">Signed in as ${escapeHtml(opts.userName)}${opts.patientName ? `; patient: ${escapeHtml(opts.patientName)}` : ''}</p>
${message(opts.message)}<form method="post" action="${escapeHtml(f.action)}">
${hidden(f)}
<fieldset><legend>The app will be able to:</legend>
${items}
</fieldset>
<button type="submit" name="decision" value="allow">Allow</button>
<button type="submit" name="decision" value="deny">Deny</button>
</form>`);
}
