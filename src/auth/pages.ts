/**
 * The HTML pages of the authorization server (sign-in, patient picker, consent, password reset,
 * error pages): one layout, one escaping, one set of headers. Plain forms without scripts; every
 * interpolated string is escaped; every page is sent uncached, unframeable, without a referrer.
 */
import type { Response } from 'express';

/** Text made safe for HTML content and quoted attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"'`=]/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** The Content-Security-Policy of a page whose forms may submit to `formTargets` besides its own origin. */
function contentSecurityPolicy(formTargets: readonly string[]): string {
  const sources = ["'self'", ...new Set(formTargets.map(formSource).filter((s): s is string => s !== undefined))];
  return `default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; form-action ${sources.join(' ')}; base-uri 'none'; frame-ancestors 'none'`;
}

/**
 * The CSP source of a URL a form submission may be redirected to: its origin (a host this policy
 * can name), else its scheme. Chrome and Safari check form-action against the redirect a submission
 * answers with too, so a page whose form ends in a redirect to the app must name the app's address.
 */
function formSource(uri: string): string | undefined {
  let url: URL;
  try {
    url = new URL(uri);
  } catch {
    return undefined;
  }
  if (!/^[a-z][a-z0-9+.-]*:$/.test(url.protocol)) return undefined;
  if ((url.protocol === 'http:' || url.protocol === 'https:') && /^[a-z0-9.-]+$/.test(url.hostname)) return url.origin;
  return url.protocol;
}

/** Headers of every page: no caching, no framing (clickjacking), no scripts, forms to this server only, no referrer. */
export const PAGE_HEADERS = {
  'Content-Type': 'text/html; charset=utf-8',
  'Cache-Control': 'no-store',
  Pragma: 'no-cache',
  'X-Frame-Options': 'DENY',
  'Content-Security-Policy': contentSecurityPolicy([]),
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
} as const;

/**
 * A page built by `htmlPage`; with `formTargets` when its forms may end in a redirect away from this
 * server (to the app's redirect_uri).
 */
export type Page = string | { html: string; formTargets: readonly string[] };

export function sendPage(res: Response, status: number, page: Page): void {
  if (typeof page === 'string') return void res.status(status).set(PAGE_HEADERS).send(page);
  res.status(status).set({ ...PAGE_HEADERS, 'Content-Security-Policy': contentSecurityPolicy(page.formTargets) }).send(page.html);
}

const STYLE = `body{font-family:system-ui,sans-serif;max-width:34rem;margin:2rem auto;padding:0 1rem;color:#222}
h1{font-size:1.4rem}label{display:block;margin:.6rem 0}input[type=text],input[type=password],input[type=email]{display:block;width:100%;padding:.4rem;box-sizing:border-box}
.msg{background:#fdecea;border:1px solid #f5c2c0;padding:.6rem;border-radius:4px}.error{color:#a00}.who{color:#555}
button{padding:.5rem 1.2rem;margin:.8rem .6rem 0 0}fieldset{border:1px solid #ccc;border-radius:4px}`;

/** A whole page; `body` is HTML the caller built from escaped parts. */
export function htmlPage(title: string, body: string): string {
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title><style>${STYLE}</style></head>
<body>
${body}
</body></html>
`;
}

/** A paragraph of text, escaped. */
export const paragraph = (text: string, cls?: string): string => `<p${cls ? ` class="${escapeHtml(cls)}"` : ''}>${escapeHtml(text)}</p>`;
