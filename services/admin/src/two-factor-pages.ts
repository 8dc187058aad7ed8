import type { Enrolment, TwoFactorStatus } from '@tandem/two-factor';

/**
 * The admin's two-factor pages, rendered on the server as plain HTML forms (they work without
 * JavaScript; AdminJS's React login is only the password step). Every interpolated value is escaped.
 */
const HTML_ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (char) => HTML_ESCAPES[char] ?? char);
}

const STYLE = `body{font-family:Roboto,system-ui,sans-serif;max-width:34rem;margin:3rem auto;padding:0 1rem;color:#1c1c38;line-height:1.5}
label{display:block;font-weight:600;margin:1rem 0 .25rem}
input{font-size:1.25rem;padding:.4rem;width:14rem;letter-spacing:.1em}
button{font-size:1rem;padding:.5rem 1.25rem;margin:.75rem .5rem 0 0;cursor:pointer}
.error{color:#b3261e;font-weight:600}
.secret,.codes{font-family:monospace;font-size:1.1rem;word-break:break-all}
.codes{columns:2;padding-left:1.5rem}`;

function layout(title: string, body: string): string {
  return (
    `<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">` +
    `<meta name="viewport" content="width=device-width, initial-scale=1">` +
    `<title>${escapeHtml(title)} — Tandem admin</title>` +
    `<link rel="stylesheet" href="/admin/static/roboto/400.css"><style>${STYLE}</style></head>` +
    `<body><main><h1>${escapeHtml(title)}</h1>${body}</main></body></html>`
  );
}

function errorParagraph(error: string | undefined): string {
  return error ? `<p class="error" role="alert" id="code-error">${escapeHtml(error)}</p>` : '';
}

/** One code field and its submit button; `describedBy` ties the error message to the input. */
function codeForm(action: string, label: string, button: string, error: string | undefined): string {
  const described = error ? ' aria-describedby="code-error" aria-invalid="true"' : '';
  return (
    `${errorParagraph(error)}<form method="post" action="${escapeHtml(action)}">` +
    `<label for="code">${escapeHtml(label)}</label>` +
    `<input id="code" name="code" type="text" autocomplete="one-time-code" autocapitalize="none" ` +
    `spellcheck="false" maxlength="64" required autofocus${described}>` +
    `<button type="submit">${escapeHtml(button)}</button></form>`
  );
}

const cancelLogin = (logoutPath: string) =>
  `<form method="post" action="${escapeHtml(logoutPath)}"><button type="submit">Cancel and log out</button></form>`;

/** Second step of the login: a code from the authenticator app, or a recovery code. */
export function codePage(options: {
  email: string;
  action: string;
  logoutPath: string;
  error?: string;
}): string {
  return layout(
    'Two-factor sign-in',
    `<p>Signing in as <strong>${escapeHtml(options.email)}</strong>. Enter the 6-digit code your ` +
      `authenticator app shows for Tandem, or one of your recovery codes.</p>` +
      codeForm(options.action, 'Code', 'Verify', options.error) +
      cancelLogin(options.logoutPath),
  );
}

/** The QR code, the secret for typing it in, and the field for the first code. */
function enrolmentSection(enrolment: Enrolment, action: string, error: string | undefined): string {
  return (
    `<ol><li>Scan this QR code with an authenticator app (FreeOTP, Aegis, Google Authenticator, 1Password...).</li>` +
    `<li>Enter the 6-digit code it shows.</li></ol>` +
    `<figure>${enrolment.qrSvg}<figcaption>Cannot scan? Enter this key in the app instead ` +
    `(time-based, 6 digits, 30 seconds):<br><span class="secret" id="totp-secret">${escapeHtml(enrolment.secret)}</span>` +
    `</figcaption></figure>` +
    codeForm(action, 'Code from the app', 'Turn on two-factor sign-in', error)
  );
}

/** Enrolment forced after the password step (TWO_FACTOR_REQUIRED_FOR_STAFF). */
export function loginEnrolmentPage(options: {
  email: string;
  enrolment: Enrolment;
  action: string;
  logoutPath: string;
  error?: string;
}): string {
  return layout(
    'Set up two-factor sign-in',
    `<p>Staff accounts need a second factor here. Set one up for <strong>${escapeHtml(options.email)}</strong> ` +
      `to continue.</p>` +
      enrolmentSection(options.enrolment, options.action, options.error) +
      cancelLogin(options.logoutPath),
  );
}

/** The recovery codes, shown once, right after an enrolment is confirmed. */
export function recoveryCodesPage(options: { codes: readonly string[]; continueHref: string }): string {
  const items = options.codes.map((code) => `<li>${escapeHtml(code)}</li>`).join('');
  return layout(
    'Two-factor sign-in is on',
    `<p>Keep these recovery codes somewhere safe. Each one signs you in once if you lose your ` +
      `authenticator. <strong>They are shown only now.</strong></p>` +
      `<ol class="codes" id="recovery-codes">${items}</ol>` +
      `<p><a href="${escapeHtml(options.continueHref)}">Continue to the admin</a></p>`,
  );
}

/** The staff member's own two-factor settings: turn on (enrol) or off (with a code). */
export function accountPage(options: {
  email: string;
  status: TwoFactorStatus;
  /** Shown when not enrolled. */
  enrolment: Enrolment | null;
  enrolAction: string;
  disableAction: string;
  /** TWO_FACTOR_REQUIRED_FOR_STAFF applies to this account: it cannot be turned off. */
  required: boolean;
  backHref: string;
  error?: string;
}): string {
  const back = `<p><a href="${escapeHtml(options.backHref)}">Back to the admin</a></p>`;
  if (!options.status.enrolled) {
    return layout(
      'Two-factor sign-in',
      `<p>Two-factor sign-in is <strong>off</strong> for ${escapeHtml(options.email)}.</p>` +
        (options.enrolment
          ? enrolmentSection(options.enrolment, options.enrolAction, options.error)
          : errorParagraph(options.error)) +
        back,
    );
  }
  const off = options.required
    ? `<p>Your administrator requires two-factor sign-in for staff, so it cannot be turned off.</p>`
    : codeForm(options.disableAction, 'Code (or a recovery code) to turn it off', 'Turn off', options.error);
  return layout(
    'Two-factor sign-in',
    `<p>Two-factor sign-in is <strong>on</strong> for ${escapeHtml(options.email)}. ` +
      `${options.status.recoveryCodesLeft} unused recovery codes left.</p>` +
      off +
      back,
  );
}
