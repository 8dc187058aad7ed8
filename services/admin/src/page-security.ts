import { randomBytes } from 'node:crypto';
import type { RequestHandler, Response } from 'express';
import helmet from 'helmet';

/**
 * AdminJS's page templates (layout-template.js, login-template.js of adminjs 7.8) embed the page
 * state as `window.REDUX_STATE = ${JSON.stringify(state)};` inside an inline <script>. The state
 * holds the staff member's email, so an email such as `</script><script>…` closed the script and ran
 * its own. JSON.stringify never emits a raw line break, so each embedded JSON value is exactly the
 * rest of its line up to the final `;` (or `');` for the login page's JSON.parse('…')).
 */
const EMBEDDED_JSON = [
  /(window\.(?:REDUX_STATE|THEME) = )([^\n]*)(;\n)/g,
  /(window\.__APP_STATE__ = JSON\.parse\(')([^\n]*)('\);\n)/g,
];

/** `<`, `>`, `&`, U+2028 and U+2029 as \uXXXX: the same string to JSON and JS, inert to the HTML parser. */
export function escapeForScript(json: string): string {
  return json.replace(
    /[<>&\u2028\u2029]/g,
    (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}

/** The page with its embedded JSON escaped and its own inline scripts marked with the CSP nonce. */
export function securePage(html: string, nonce: string): string {
  let page = html;
  for (const pattern of EMBEDDED_JSON)
    page = page.replace(pattern, (_match, before: string, json: string, after: string) => {
      return `${before}${escapeForScript(json)}${after}`;
    });
  // After escaping, every `<script>` left is one the template wrote (AdminJS's inline scripts have no
  // attributes; scripts with a src are allowed by 'self').
  return page.replaceAll('<script>', `<script nonce="${nonce}">`);
}

function nonceOf(res: Response): string {
  return String(res.locals.cspNonce);
}

/** An HTML page being sent: a string with no type yet (Express makes it text/html) or typed as HTML. */
function isHtml(res: Response, body: unknown): body is string {
  const type = res.get('Content-Type');
  return typeof body === 'string' && (type === undefined || type.includes('html'));
}

/** A fresh CSP nonce per response, and every HTML page sent through securePage. */
export const inlineScriptNonce: RequestHandler = (_req, res, next) => {
  res.locals.cspNonce = randomBytes(16).toString('base64');
  const send = res.send.bind(res);
  res.send = ((body?: unknown) =>
    send(isHtml(res, body) ? securePage(body, nonceOf(res)) : body)) as typeof res.send;
  next();
};

/**
 * Security headers on every admin response (helmet). Scripts: the admin's own files and the inline
 * scripts carrying this response's nonce (AdminJS's state and render scripts), nothing else; no eval.
 * Styles need 'unsafe-inline': the templates have inline <style> blocks and styled-components (the
 * design system) injects <style> elements at run time without a nonce. No framing (clickjacking).
 * HSTS is left to the TLS-terminating proxy: the admin itself speaks plain HTTP.
 */
export const securityHeaders: RequestHandler = helmet({
  contentSecurityPolicy: {
    useDefaults: false,
    directives: {
      defaultSrc: ["'self'"],
      scriptSrc: ["'self'", (_req, res) => `'nonce-${nonceOf(res as Response)}'`],
      styleSrc: ["'self'", "'unsafe-inline'"],
      imgSrc: ["'self'", 'data:'],
      fontSrc: ["'self'"],
      connectSrc: ["'self'"],
      objectSrc: ["'none'"],
      baseUri: ["'self'"],
      formAction: ["'self'"],
      frameAncestors: ["'none'"],
    },
  },
  frameguard: { action: 'deny' },
  referrerPolicy: { policy: 'same-origin' },
  strictTransportSecurity: false,
});
