import { escapeHtml, page } from './html.js';

/** The fields every form of the authorization page carries: the request itself and the CSRF token. */
export interface FormContext {
  /** The authorization request's query string, posted back unchanged and checked again. */
  readonly authorization: string;
  readonly csrf: string;
  /** On a consent form shown right after signing in: the proof of it (authorize/fresh-sign-in.ts). */
  readonly freshSignIn?: string;
}

export const AUTHORIZE_ACTION = '/oauth/authorize';

/** Hidden fields of a form of the authorization page; `step` says which handler reads the post. */
export function hiddenFields(form: FormContext, step: string): string {
  return (
    `<input type="hidden" name="authorization" value="${escapeHtml(form.authorization)}">` +
    `<input type="hidden" name="csrf" value="${escapeHtml(form.csrf)}">` +
    `<input type="hidden" name="step" value="${escapeHtml(step)}">` +
    (form.freshSignIn === undefined
      ? ''
      : `<input type="hidden" name="fresh_sign_in" value="${escapeHtml(form.freshSignIn)}">`)
  );
}

function alert(message: string | undefined): string {
  return message === undefined
    ? ''
    : `<p class="error" id="form-error" role="alert">${escapeHtml(message)}</p>`;
}

/**
 * The login page: email and password, labelled, with autocomplete hints for password managers. An
 * error names no field and says the same for an unknown email and a wrong password.
 */
export function loginPage(options: {
  readonly form: FormContext;
  readonly clientName: string;
  readonly email?: string;
  readonly error?: string;
}): string {
  const invalid = options.error === undefined ? '' : ' aria-invalid="true" aria-describedby="form-error"';
  return page(
    'Sign in',
    `<h1>Sign in</h1>
<p>to continue to <strong>${escapeHtml(options.clientName)}</strong></p>
${alert(options.error)}
<form method="post" action="${AUTHORIZE_ACTION}">
${hiddenFields(options.form, 'password')}
<label for="email">Email</label>
<input id="email" name="email" type="email" autocomplete="username" required autofocus value="${escapeHtml(options.email ?? '')}"${invalid}>
<label for="password">Password</label>
<input id="password" name="password" type="password" autocomplete="current-password" required${invalid}>
<button type="submit">Sign in</button>
</form>`,
  );
}

/** A Map, not an object literal: a scope named `constructor` or `toString` must not find a method. */
const SCOPE_TEXT: ReadonlyMap<string, string> = new Map([
  ['openid', 'Know who you are (your account id)'],
  ['email', 'See your email address'],
]);

/** The consent page: what the client asks for, Allow or Deny (both are posts of the same form). */
export function consentPage(options: {
  readonly form: FormContext;
  readonly clientName: string;
  readonly scopes: readonly string[];
  readonly email: string;
}): string {
  const items = options.scopes
    .map((scope) => `<li>${escapeHtml(SCOPE_TEXT.get(scope) ?? scope)}</li>`)
    .join('');
  return page(
    'Allow access',
    `<h1>Allow access?</h1>
<p><strong>${escapeHtml(options.clientName)}</strong> asks to access your account
(${escapeHtml(options.email)}):</p>
<ul>${items || '<li>Sign you in (no other access)</li>'}</ul>
<form method="post" action="${AUTHORIZE_ACTION}">
${hiddenFields(options.form, 'consent')}
<button type="submit" name="decision" value="allow">Allow</button><button type="submit" name="decision" value="deny" class="secondary">Deny</button>
</form>`,
  );
}

/** A refusal that cannot go back to the client (unknown client, unregistered redirect URI...). */
export function errorPage(code: string, description: string): string {
  return page(
    'Cannot continue',
    `<h1>Cannot continue</h1>
<p class="error" role="alert">${escapeHtml(description)}</p>
<p>Error code: <code>${escapeHtml(code)}</code>. Go back to the application and try again.</p>`,
  );
}

/** Logout without proof that the client asked for it: the user confirms (a CSRF-protected post). */
export function logoutConfirmPage(options: { readonly csrf: string; readonly query: string }): string {
  return page(
    'Sign out',
    `<h1>Sign out?</h1>
<form method="post" action="/oauth/logout">
<input type="hidden" name="csrf" value="${escapeHtml(options.csrf)}">
<input type="hidden" name="logout" value="${escapeHtml(options.query)}">
<button type="submit">Sign out</button>
</form>`,
  );
}

export function signedOutPage(): string {
  return page('Signed out', '<h1>You are signed out</h1><p>You can close this window.</p>');
}
