import { createHash } from 'node:crypto';
import type { ServerResponse } from 'node:http';

/** Text or attribute value made safe to place in HTML (every character markup could use). */
export function escapeHtml(value: string): string {
  return value.replace(/[&<>"'`]/g, (char) => `&#${char.charCodeAt(0)};`);
}

const STYLE = `body{font:16px/1.5 system-ui,sans-serif;margin:0;background:#f4f5f7;color:#1b1f24}
main{max-width:24rem;margin:4rem auto;background:#fff;padding:2rem;border-radius:8px;box-shadow:0 1px 3px #0003}
h1{font-size:1.4rem;margin-top:0}label{display:block;margin-top:1rem;font-weight:600}
input[type=email],input[type=password],input[type=text]{width:100%;box-sizing:border-box;padding:.6rem;margin-top:.25rem;border:1px solid #6b7280;border-radius:4px;font-size:1rem}
button{margin-top:1.5rem;padding:.6rem 1.2rem;font-size:1rem;border-radius:4px;border:1px solid #1d4ed8;background:#1d4ed8;color:#fff;cursor:pointer}
button.secondary{background:#fff;color:#1d4ed8;margin-left:.5rem}
:focus-visible{outline:3px solid #f59e0b;outline-offset:2px}
.error{color:#b91c1c;background:#fef2f2;border:1px solid #fecaca;padding:.6rem;border-radius:4px}
ul{padding-left:1.2rem}`;

/**
 * The pages' Content-Security-Policy: no script at all, the one inline style by its hash, no frames
 * (the consent page must not be clickjacked). No form-action: Chrome applies it to the redirect after a
 * form post, which goes to the client's redirect URI.
 */
const CSP = `default-src 'none'; style-src 'sha256-${createHash('sha256').update(STYLE).digest('base64')}'; frame-ancestors 'none'; base-uri 'none'`;

export const PAGE_HEADERS: Readonly<Record<string, string>> = {
  'Content-Security-Policy': CSP,
  'X-Frame-Options': 'DENY',
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'Cache-Control': 'no-store',
  Pragma: 'no-cache',
};

/** A whole page: `body` is already-escaped HTML. */
export function page(title: string, body: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer"><title>${escapeHtml(title)} · Tandem</title><style>${STYLE}</style></head>
<body><main>${body}</main></body></html>`;
}

export function sendPage(
  res: ServerResponse,
  status: number,
  html: string,
  headers: Readonly<Record<string, string | string[]>> = {},
): void {
  res.writeHead(status, {
    ...PAGE_HEADERS,
    ...headers,
    'Content-Type': 'text/html; charset=utf-8',
    'Content-Length': Buffer.byteLength(html),
  });
  res.end(html);
}

/** A 303 See Other (after a form post the browser follows it with a GET). */
export function sendRedirect(
  res: ServerResponse,
  location: string,
  headers: Readonly<Record<string, string | string[]>> = {},
): void {
  res.writeHead(303, { ...PAGE_HEADERS, ...headers, Location: location, 'Content-Length': 0 });
  res.end();
}
