import type { PageHandler } from 'adminjs';
import type { Response } from 'express';
import {
  hashPassword,
  passwordProblem,
  verifyPassword,
  type ClientAddressReader,
  type LoginThrottle,
} from '@tandem/accounts';
import { User, auditPasswordChange, type Orm } from '@tandem/models';
import { revokeUserSessions } from '@tandem/tokens';
import { sessionStamp } from '../staff-session.js';
import { requestView } from './copied-request.js';

const FIELDS = ['currentPassword', 'newPassword', 'confirmPassword'] as const;
type FieldName = (typeof FIELDS)[number];

/**
 * The page's fields as text ('' when absent, as formField reads the login form's), and the names of
 * those sent as anything else: a JSON body can hold `true` or a list, which the form never sends.
 */
function passwordFields(payload: unknown): { fields: Record<FieldName, string>; notText: FieldName[] } {
  const sent = (typeof payload === 'object' && payload !== null ? payload : {}) as Record<string, unknown>;
  const fields = { currentPassword: '', newPassword: '', confirmPassword: '' };
  const notText: FieldName[] = [];
  for (const name of FIELDS) {
    const value = sent[name];
    if (typeof value === 'string') fields[name] = value;
    else if (value !== undefined) notText.push(name);
  }
  return { fields, notText };
}

/** The login throttle and how it names the client: the current password is guessed like a login. */
export interface PasswordGuesses {
  readonly throttle: LoginThrottle;
  readonly clientAddress: ClientAddressReader;
}

/**
 * "Change my password" (Django's password_change): any logged-in staff member, for their own account
 * only, after re-entering the current password. Audited like any other change, without the values.
 * Each try of the current password is reserved with the login throttle first (the same counts as the
 * login page's), so a stolen session cannot guess the password behind it faster than a login could.
 * Without `guesses` (asset bundling, tests that only read the options) the page is not served.
 */
export function changePasswordHandler(orm: Orm, guesses?: PasswordGuesses): PageHandler {
  // @adminjs/express hands the handler the Express response, which sends what the handler returns.
  return async (request, response: Pick<Response, 'status'>, context) => {
    if (request.method !== 'post') return {};
    if (!guesses) throw new Error('changePasswordHandler needs the login throttle to serve the page');
    const { fields, notText } = passwordFields(request.payload);
    // Refused before anything is checked: `true` passed the password rules and failed hashing (a 500).
    // Not a guess of the current password either, so the throttle is not asked.
    if (notText.length > 0) {
      response.status(400);
      return {
        error: 'invalid_field',
        notice: { type: 'error', message: 'Please correct the errors below.' },
        errors: Object.fromEntries(notText.map((name) => [name, 'Must be text.'])),
      };
    }
    const id = Number(context.currentAdmin?.id);
    const errors: Record<string, string> = {};
    const current = fields.currentPassword;
    const next = fields.newPassword;
    const em = orm.em.fork();
    const user = Number.isSafeInteger(id) ? await em.findOne(User, id, { populate: ['passwordHash'] }) : null;
    if (!user) return { notice: { type: 'error', message: 'Your account no longer exists.' }, errors };
    // The copy AdminJS hands pages has no `headers`: with TRUSTED_PROXIES proxy-addr needs them.
    const address = guesses.clientAddress(requestView(request) as Parameters<ClientAddressReader>[0]);
    const verdict = await guesses.throttle.reserve(user.email, address);
    if (!verdict.allowed) {
      const what = verdict.reason === 'sign_ins' ? 'password checks for this account' : 'wrong passwords';
      const message = `Too many ${what}. Try again in ${verdict.retryAfterSeconds} s.`;
      return { notice: { type: 'error', message }, errors: { currentPassword: message } };
    }
    // A wrong password keeps the point it reserved; a right one gives it back.
    if (await verifyPassword(user.passwordHash, current))
      await guesses.throttle.recordSuccess(verdict.reservation);
    else errors.currentPassword = 'Your current password was entered incorrectly.';
    const problem = passwordProblem(next);
    if (problem) errors.newPassword = problem;
    else if (next !== fields.confirmPassword)
      errors.confirmPassword = 'The two new password fields do not match.';
    if (Object.keys(errors).length > 0)
      return { notice: { type: 'error', message: 'Please correct the errors below.' }, errors };
    const passwordHash = await hashPassword(next);
    await em.transactional(async (tx) => {
      const fresh = await tx.findOneOrFail(User, id);
      fresh.passwordHash = passwordHash;
      // Whoever holds a token got with the old password loses it, with the change or not at all.
      await revokeUserSessions(tx, id, 'password_changed');
      auditPasswordChange(tx, { id, email: user.email }, id);
    });
    // The session that changed it stays logged in (Django's update_session_auth_hash): it takes the
    // new password's stamp, so requireStaff ends every other session of theirs but this one.
    // @adminjs/express hands the handler a copy of the Express request, session included.
    const session = (request as { session?: { credentialStamp?: string } }).session;
    if (session) session.credentialStamp = await sessionStamp(em, id, passwordHash);
    return { notice: { type: 'success', message: 'Your password was changed.' }, errors: {} };
  };
}
