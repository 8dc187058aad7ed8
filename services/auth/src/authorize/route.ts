import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AuthDeps } from '../deps.js';
import { OAuthError } from '../oauth-error.js';
import { readParams, type BodyRequest, type Params } from '../params.js';
import type { GetRoute } from '../routes/get-route.js';
import type { OAuthRoute } from '../routes/token.js';
import { grantableScopes, hasConsent, issueCode, rememberConsent } from './grant.js';
import { sendPage, sendRedirect } from './html.js';
import { hintNamesAccount, hintedEmail } from './login-hint.js';
import { SIGN_IN_REFUSALS, currentSignIn, startSignIn, type SignedIn } from './login-sessions.js';
import { consentPage, errorPage, loginPage, type FormContext } from './pages.js';
import {
  PageError,
  RedirectableError,
  readAuthorizationRequest,
  redirectTo,
  type AuthorizationRequest,
} from './request.js';
import { SIGN_IN_STEPS } from './sign-in-steps.js';
import { secondFactorPage } from './two-factor-step.js';
import { loginAgain, type StepContext } from './step.js';

export const AUTHORIZE_PATH = '/oauth/authorize';

function queryOf(req: IncomingMessage): string {
  const url = req.url ?? '';
  const mark = url.indexOf('?');
  return mark < 0 ? '' : url.slice(mark + 1);
}

/** A refusal: back to the client when its redirect URI is known good, else on the page. */
function refuse(deps: AuthDeps, res: ServerResponse, error: unknown, cookies: string[] = []): void {
  if (error instanceof RedirectableError) {
    deps.metrics.tokenFailures.inc({
      endpoint: 'authorize',
      grant_type: 'authorization_code',
      error: error.code,
    });
    const location = redirectTo(error.request, deps.issuer, {
      error: error.code,
      error_description: error.description,
    });
    return sendRedirect(res, location, cookies.length > 0 ? { 'Set-Cookie': cookies } : {});
  }
  if (error instanceof PageError || error instanceof OAuthError) {
    deps.metrics.tokenFailures.inc({
      endpoint: 'authorize',
      grant_type: 'authorization_code',
      error: error.code,
    });
    return sendPage(
      res,
      400,
      errorPage(error.code, error instanceof PageError ? error.description : error.description),
    );
  }
  throw error;
}

/**
 * Hidden fields for the next form, and the CSRF cookie to set when the browser had none. `csrf`: the
 * token of a CSRF cookie renewed by this very response (after a sign-in), which the request's
 * cookie no longer matches.
 */
function formFor(deps: AuthDeps, req: IncomingMessage, request: AuthorizationRequest, csrf?: string) {
  if (csrf !== undefined) return { form: { authorization: request.raw, csrf }, cookies: [] };
  const { token, setCookie } = deps.csrf.formToken(req);
  const form: FormContext = { authorization: request.raw, csrf: token };
  return { form, cookies: setCookie === undefined ? [] : [setCookie] };
}

/** prompt=login or max_age asks for a sign-in newer than the browser's (unless it just happened). */
function signInTooOld(request: AuthorizationRequest, signedIn: SignedIn): boolean {
  if (request.prompt.has('login')) return true;
  return request.maxAge !== undefined && Date.now() - signedIn.authTime.getTime() > request.maxAge * 1000;
}

/** login_hint, when given, must name the browser's account (unless the person just chose one). */
function hintMatches(request: AuthorizationRequest, signedIn: SignedIn, email: string): boolean {
  return (
    request.loginHint === undefined || hintNamesAccount(request.loginHint, { id: signedIn.userId, email })
  );
}

/**
 * What happens once the request is known good: sign in if needed (or `login_required` for
 * prompt=none), consent if needed (or `consent_required`), then a code to the redirect URI.
 * `fresh`: the user has just signed in on this request (prompt=login, max_age and login_hint are
 * satisfied: the person at the page chose the account).
 */
async function proceed(
  deps: AuthDeps,
  req: IncomingMessage,
  res: ServerResponse,
  request: AuthorizationRequest,
  signedIn: SignedIn | undefined,
  options: { fresh: boolean; cookies: string[]; csrf?: string },
): Promise<void> {
  // One answer whatever the reason (not signed in, too old, another account than login_hint): a
  // client probing with prompt=none learns nothing about the browser's sign-in.
  const signIn = (): void => {
    if (request.prompt.has('none'))
      throw new RedirectableError('login_required', 'The user must sign in.', request);
    const { form, cookies } = formFor(deps, req, request, options.csrf);
    const html = loginPage({ form, clientName: request.client.name, email: hintedEmail(request.loginHint) });
    return sendPage(res, 200, html, { 'Set-Cookie': [...options.cookies, ...cookies] });
  };
  if (signedIn === undefined || (!options.fresh && signInTooOld(request, signedIn))) return signIn();
  const { scopes, email } = await grantableScopes(deps, signedIn.userId, request);
  if (!options.fresh && !hintMatches(request, signedIn, email)) return signIn();
  const asked = request.prompt.has('consent') && !request.client.isFirstParty;
  if (asked || !(await hasConsent(deps, signedIn.userId, request, scopes))) {
    if (request.prompt.has('none'))
      throw new RedirectableError('consent_required', 'The user must allow this client first.', request);
    const { form: shown, cookies } = formFor(deps, req, request, options.csrf);
    const form = options.fresh
      ? { ...shown, freshSignIn: deps.freshSignIns.proof(signedIn.id, request.raw) }
      : shown;
    const html = consentPage({ form, clientName: request.client.name, scopes, email });
    return sendPage(res, 200, html, { 'Set-Cookie': [...options.cookies, ...cookies] });
  }
  const code = await issueCode(deps, signedIn, request, scopes);
  // The sign-in ended while this request was answered (logout, account change): sign in again.
  if (code === undefined) return signIn();
  sendRedirect(res, redirectTo(request, deps.issuer, { code }), { 'Set-Cookie': options.cookies });
}

/** GET /oauth/authorize (RFC 6749 §4.1.1, OpenID Connect Core §3.1.2). */
export function authorizeGetRoute(deps: AuthDeps): GetRoute {
  return async (req, res) => {
    try {
      const request = await readAuthorizationRequest(deps, queryOf(req));
      await proceed(deps, req, res, request, await currentSignIn(deps, req), { fresh: false, cookies: [] });
    } catch (error) {
      refuse(deps, res, error);
    }
  };
}

/** The consent form's answer: allow (remembered per client) or deny (`access_denied`). */
async function answerConsent(
  deps: AuthDeps,
  req: IncomingMessage,
  res: ServerResponse,
  request: AuthorizationRequest,
  form: Params,
): Promise<void> {
  const signedIn = await currentSignIn(deps, req);
  if (!signedIn) return proceed(deps, req, res, request, undefined, { fresh: false, cookies: [] });
  if (form.get('decision') !== 'allow')
    throw new RedirectableError('access_denied', 'The user denied the request.', request);
  const { scopes, email } = await grantableScopes(deps, signedIn.userId, request);
  // The same demands as the page that showed the form: an answer posted without having been shown
  // one after a sign-in for this request (its fields lifted from the login page) must meet them.
  const fresh = deps.freshSignIns.holds(form.get('fresh_sign_in'), signedIn.id, request.raw);
  if (!fresh && (signInTooOld(request, signedIn) || !hintMatches(request, signedIn, email)))
    return proceed(deps, req, res, request, signedIn, { fresh: false, cookies: [] });
  await rememberConsent(deps, signedIn.userId, request.client.pk, scopes);
  const code = await issueCode(deps, signedIn, request, scopes);
  if (code === undefined) return proceed(deps, req, res, request, undefined, { fresh: false, cookies: [] });
  sendRedirect(res, redirectTo(request, deps.issuer, { code }));
}

/**
 * POST /oauth/authorize: the login page's and consent page's forms. Every post must pass the CSRF
 * checks (Fetch Metadata / Origin, signed token bound to the CSRF cookie) before anything is read
 * or counted, and carries the authorization request, which is checked again from scratch.
 */
export function authorizePostRoute(deps: AuthDeps): OAuthRoute {
  return async (req: BodyRequest, res) => {
    try {
      const form = readParams(req);
      const problem = deps.csrf.problem(req, form.get('csrf'));
      if (problem !== undefined) {
        deps.metrics.tokenFailures.inc({
          endpoint: 'authorize',
          grant_type: 'authorization_code',
          error: 'csrf_failed',
        });
        return sendPage(
          res,
          403,
          errorPage('csrf_failed', `Refused a cross-site or expired form: ${problem} Go back and try again.`),
        );
      }
      const request = await readAuthorizationRequest(deps, form.get('authorization') ?? '');
      const step = form.get('step') ?? '';
      if (step === 'consent') return await answerConsent(deps, req, res, request, form);
      const handler = SIGN_IN_STEPS.get(step);
      if (!handler) return sendPage(res, 400, errorPage('invalid_request', 'Unknown sign-in step.'));
      const { form: formContext, cookies } = formFor(deps, req, request);
      const context: StepContext = { deps, form, request, formContext, address: deps.clientAddress(req) };
      const outcome = await handler(context);
      if (outcome.kind === 'page')
        return sendPage(res, outcome.status, outcome.html, { ...outcome.headers, 'Set-Cookie': cookies });
      const started = await startSignIn(deps, req, outcome.authentication);
      if ('refused' in started) {
        // A second factor confirmed while the password step ran: its page now, not a sign-in.
        const next =
          started.refused === 'second_factor'
            ? await secondFactorPage(context, outcome.authentication)
            : undefined;
        const refusal = next ?? loginAgain(context, 400, SIGN_IN_REFUSALS[started.refused]);
        return sendPage(res, refusal.status, refusal.html, { ...refusal.headers, 'Set-Cookie': cookies });
      }
      const { signedIn, setCookie } = started;
      // A new CSRF cookie with the new sign-in: tokens of the forms shown before it stop working.
      const csrf = deps.csrf.renewedToken();
      await proceed(deps, req, res, request, signedIn, {
        fresh: true,
        cookies: [setCookie, csrf.setCookie],
        csrf: csrf.token,
      });
    } catch (error) {
      refuse(deps, res, error);
    }
  };
}
