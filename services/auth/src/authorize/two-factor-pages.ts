import type { Enrolment } from '@tandem/two-factor';
import { escapeHtml, page } from './html.js';
import { AUTHORIZE_ACTION, hiddenFields, type FormContext } from './pages.js';

/**
 * The authorization page's two-factor forms (two-factor-step.ts). Each carries the request, the CSRF
 * token and the sealed pending sign-in (password done) in hidden fields, like every form here.
 */
function alert(message: string | undefined): string {
  return message === undefined
    ? ''
    : `<p class="error" id="form-error" role="alert">${escapeHtml(message)}</p>`;
}

function form(options: {
  readonly form: FormContext;
  readonly step: string;
  readonly pending: string;
  readonly label: string;
  readonly button: string;
  readonly error?: string;
}): string {
  const invalid = options.error === undefined ? '' : ' aria-invalid="true" aria-describedby="form-error"';
  return `${alert(options.error)}
<form method="post" action="${AUTHORIZE_ACTION}">
${hiddenFields(options.form, options.step)}
<input type="hidden" name="pending" value="${escapeHtml(options.pending)}">
<label for="code">${escapeHtml(options.label)}</label>
<input id="code" name="code" type="text" autocomplete="one-time-code" autocapitalize="none" spellcheck="false" maxlength="64" required autofocus${invalid}>
<button type="submit">${escapeHtml(options.button)}</button>
</form>`;
}

/** The second step: a code from the authenticator app, or a recovery code. */
export function otpPage(options: {
  readonly form: FormContext;
  readonly pending: string;
  readonly email: string;
  readonly error?: string;
}): string {
  return page(
    'Two-factor sign-in',
    `<h1>Two-factor sign-in</h1>
<p>Signing in as <strong>${escapeHtml(options.email)}</strong>. Enter the 6-digit code from your authenticator app, or one of your recovery codes.</p>
${form({ ...options, step: 'otp', label: 'Code', button: 'Verify' })}`,
  );
}

/** Enrolment required before the sign-in completes (TWO_FACTOR_REQUIRED_FOR_STAFF). */
export function otpEnrolPage(options: {
  readonly form: FormContext;
  readonly pending: string;
  readonly email: string;
  readonly enrolment: Enrolment;
  readonly error?: string;
}): string {
  return page(
    'Set up two-factor sign-in',
    `<h1>Set up two-factor sign-in</h1>
<p>Staff accounts need a second factor. Scan this QR code for <strong>${escapeHtml(options.email)}</strong> with an authenticator app, then enter the code it shows.</p>
${options.enrolment.qrSvg}
<p>Cannot scan? Enter this key (time-based, 6 digits): <code id="totp-secret">${escapeHtml(options.enrolment.secret)}</code></p>
${form({ ...options, step: 'otp-enrol', label: 'Code from the app', button: 'Turn on and continue' })}`,
  );
}

/** The recovery codes, once, after an enrolment; Continue finishes the sign-in. */
export function recoveryCodesPage(options: {
  readonly form: FormContext;
  readonly pending: string;
  readonly codes: readonly string[];
}): string {
  const items = options.codes.map((code) => `<li><code>${escapeHtml(code)}</code></li>`).join('');
  return page(
    'Save your recovery codes',
    `<h1>Save your recovery codes</h1>
<p>Each code signs you in once if you lose your authenticator. <strong>They are shown only now.</strong></p>
<ol id="recovery-codes">${items}</ol>
<form method="post" action="${AUTHORIZE_ACTION}">
${hiddenFields(options.form, 'otp-continue')}
<input type="hidden" name="pending" value="${escapeHtml(options.pending)}">
<button type="submit">Continue</button>
</form>`,
  );
}
