import type { IncomingMessage, ServerResponse } from 'node:http';
import type { JWTPayload } from 'jose';
import { AuthorizationCode, Client } from '@tandem/models';
import { userSubject } from '@tandem/tokens';
import type { AuthDeps } from '../deps.js';
import { errorPage, logoutConfirmPage, signedOutPage } from '../authorize/pages.js';
import { sendPage, sendRedirect } from '../authorize/html.js';
import { clearSignInCookie, currentSignIn, endSignIn, type SignedIn } from '../authorize/login-sessions.js';
import { nulDescription, parameterWithNul } from '../nul-values.js';
import { readParams, type BodyRequest } from '../params.js';
import { withQueryValues } from '../authorize/redirect-query.js';
import { MAX_STATE } from '../authorize/request.js';
import { verifyOwnToken } from './access-token.js';

export const LOGOUT_PATH = '/oauth/logout';

class LogoutRefused extends Error {}

/** Where to send the browser afterwards, checked: a registered redirect URI of the hinted client. */
async function returnTo(deps: AuthDeps, params: URLSearchParams, hintedClient: string | undefined) {
  const target = params.get('post_logout_redirect_uri') ?? '';
  const clientId = params.get('client_id') ?? hintedClient;
  if (params.get('client_id') && hintedClient && params.get('client_id') !== hintedClient)
    throw new LogoutRefused('client_id differs from the ID token hint.');
  if (target === '') return undefined;
  const client =
    clientId !== undefined && clientId.length <= 64
      ? await deps.orm.em.fork().findOne(Client, { clientId })
      : null;
  // Never an open redirect: only a URI registered on the client, compared exactly. A deactivated
  // client counts as unknown: its redirect URIs are no longer vouched for by anyone.
  if (!client || !client.isActive || !client.redirectUris.includes(target))
    throw new LogoutRefused('post_logout_redirect_uri is not registered for this client.');
  // Echoed whole or refused, as /oauth/authorize does: a cut state would not match what the client sent.
  const state = params.get('state');
  if (state && state.length > MAX_STATE)
    throw new LogoutRefused(`Parameter "state" is longer than ${MAX_STATE} characters.`);
  return withQueryValues(target, state ? [['state', state]] : []);
}

/** Whether one of the sign-in's authorization codes started the token session `sid`. */
async function startedBySignIn(deps: AuthDeps, signInId: string, sid: string): Promise<boolean> {
  const codes = await deps.orm.em
    .fork()
    .count(AuthorizationCode, { loginSessionId: signInId, sessionId: sid });
  return codes > 0;
}

/**
 * Whether a verified ID token hint may stand in for the user's confirmation. Any ID token this server
 * issued verifies, one an attacker got for his own account included, so it proves only that the
 * client of that token's session asked (RP-Initiated Logout 1.0 §2: the user confirms when the hint is
 * not for the signed-in user). It skips the page only for the browser's own sign-in: same `sub`, and
 * its `sid` a session a code of this sign-in started. With no sign-in in the browser there is nothing
 * to confirm: nothing ends (the hint never ends a session by itself, see logoutRoutes).
 */
async function hintSpeaksForBrowser(
  deps: AuthDeps,
  hint: JWTPayload | undefined,
  signedIn: SignedIn | undefined,
): Promise<boolean> {
  if (hint === undefined) return false;
  if (signedIn === undefined) return true;
  if (hint.sub !== userSubject(signedIn.userId) || typeof hint.sid !== 'string') return false;
  return startedBySignIn(deps, signedIn.id, hint.sid);
}

/**
 * OpenID Connect RP-Initiated Logout 1.0 at /oauth/logout (the discovery's end_session_endpoint).
 * Ends the browser's sign-in and revokes the token sessions it started, then returns to a registered
 * post_logout_redirect_uri with `state`, or shows "signed out". A valid `id_token_hint` of the
 * browser's own sign-in proves its client asked; otherwise (no hint, or another user's or another
 * sign-in's) the user confirms on a page whose form is CSRF-protected like the login page, so a
 * cross-site link cannot sign anyone out.
 */
export function logoutRoutes(deps: AuthDeps): {
  get: (req: IncomingMessage, res: ServerResponse) => Promise<void>;
  post: (req: BodyRequest, res: ServerResponse) => Promise<void>;
} {
  const logout = async (req: IncomingMessage, res: ServerResponse, query: string, confirmed: boolean) => {
    try {
      const params = new URLSearchParams(query);
      // Before any lookup: PostgreSQL refuses U+0000 (a 500), and no parameter here may hold it.
      const withNul = parameterWithNul(params);
      if (withNul !== undefined) throw new LogoutRefused(nulDescription(withNul));
      const hintText = params.get('id_token_hint');
      const hint = hintText ? await verifyOwnToken(deps, hintText, 'id-hint') : undefined;
      if (hintText && !hint)
        throw new LogoutRefused('The id_token_hint is not an ID token this server issued.');
      const hintedClient = typeof hint?.aud === 'string' ? hint.aud : undefined;
      const location = await returnTo(deps, params, hintedClient);
      const signedIn = await currentSignIn(deps, req);
      if (!confirmed && !(await hintSpeaksForBrowser(deps, hint, signedIn))) {
        const { token, setCookie } = deps.csrf.formToken(req);
        return sendPage(
          res,
          200,
          logoutConfirmPage({ csrf: token, query }),
          setCookie ? { 'Set-Cookie': setCookie } : {},
        );
      }
      // Only what the browser's sign-in started: an ID token is no secret (it travels in logout URLs,
      // so in histories, proxy logs and Referer headers), so holding one must not end its session, even
      // confirmed on this page. A client ends a token session it holds at /oauth/revoke.
      const revoked = await endSignIn(deps, signedIn?.id);
      if (revoked > 0) deps.metrics.revocations.inc({ reason: 'logout' }, revoked);
      const cookie = { 'Set-Cookie': [clearSignInCookie(deps), deps.csrf.clearCookie()] };
      if (location) return sendRedirect(res, location, cookie);
      sendPage(res, 200, signedOutPage(), cookie);
    } catch (error) {
      if (!(error instanceof LogoutRefused)) throw error;
      sendPage(res, 400, errorPage('invalid_request', error.message));
    }
  };

  return {
    get: (req, res) => {
      const url = req.url ?? '';
      return logout(req, res, url.includes('?') ? url.slice(url.indexOf('?') + 1) : '', false);
    },
    post: async (req, res) => {
      let form;
      try {
        form = readParams(req);
      } catch {
        return sendPage(res, 400, errorPage('invalid_request', 'Send the logout form as a form post.'));
      }
      // A post of the confirmation page (CSRF-checked), or a client's direct post of the parameters.
      const confirmedQuery = form.get('logout');
      if (confirmedQuery !== undefined || form.has('csrf')) {
        const problem = deps.csrf.problem(req, form.get('csrf'));
        if (problem !== undefined) return sendPage(res, 403, errorPage('csrf_failed', problem));
        return logout(req, res, confirmedQuery ?? '', true);
      }
      return logout(req, res, new URLSearchParams([...form]).toString(), false);
    },
  };
}
