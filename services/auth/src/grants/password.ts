import { authenticateUser } from '@tandem/accounts';
import { User } from '@tandem/models';
import { secondFactorDue } from '@tandem/two-factor';
import { formatScope, grantScope, roleScopes, startUserSession, userSubject } from '@tandem/tokens';
import { OAuthError } from '../oauth-error.js';
import { requireParam } from '../params.js';
import type { Grant } from './types.js';

const BAD_CREDENTIALS = 'Invalid username or password.';
const THROTTLED = {
  failures: 'Too many failed login attempts. Try again later.',
  sign_ins:
    'Too many sign-ins to this account in a short time. Try again later; a client keeps its session with the refresh token.',
} as const;
const BEYOND_ROLES = 'The requested scope is invalid or exceeds what your roles allow.';
const SECOND_FACTOR =
  'This account signs in with a second factor, which the password grant cannot carry: sign in through /oauth/authorize.';

/**
 * RFC 6749 §4.3 resource owner password credentials: username (email) and password. Each guess is
 * reserved with the login throttle BEFORE its password is hashed (per address, per account and
 * address, per account), so parallel guesses cannot outrun the limits; unknown, wrong and inactive
 * accounts all answer the same `invalid_grant` after the same work (authenticateUser hashes a dummy
 * password for unknown emails).
 *
 * A user with an authenticator, or staff who must enrol one (TWO_FACTOR_REQUIRED_FOR_STAFF), is
 * refused after a right password: this grant has no step for a code, and a session started here
 * would skip the second factor the authorization page asks for (docs/architecture.md, decision 13).
 */
export const passwordGrant: Grant = async ({ deps, params, address }) => {
  const username = requireParam(params, 'username');
  const password = requireParam(params, 'password');
  const requestedScope = params.get('scope');

  const verdict = await deps.throttle.reserve(username, address);
  if (!verdict.allowed) {
    throw new OAuthError('invalid_grant', THROTTLED[verdict.reason], {
      'Retry-After': String(verdict.retryAfterSeconds),
    });
  }
  const em = deps.orm.em.fork();
  const user = await authenticateUser(em, username, password);
  // A failure keeps the points it reserved; a success gives them back.
  if (!user) throw new OAuthError('invalid_grant', BAD_CREDENTIALS);
  // The hash just verified, before anything else loads the user into this EntityManager (a later
  // load refreshes the same entity, with a password changed meanwhile).
  const checkedPasswordHash = user.passwordHash;
  await deps.throttle.recordSuccess(verdict.reservation);

  const now = new Date();
  // The account's checks, inside the session's transaction once the user's row is taken: a second
  // factor turned on, the account deactivated or a role taken away while this grant ran either waits
  // for the session (and then ends it) or committed first and refuses it here (SessionGuard).
  const started = await startUserSession(em, user.id, undefined, deps.config.tokens, now, {
    passwordHash: checkedPasswordHash,
    admit: async (tx) => {
      const account = await tx.findOneOrFail(User, user.id, { populate: ['roles'], refresh: true });
      if (await secondFactorDue(tx, deps.config.twoFactor, account))
        return { refused: 'second_factor' as const };
      const decision = grantScope(requestedScope, roleScopes(account));
      return decision.ok ? { scopes: decision.scopes } : { refused: 'beyond_roles' as const };
    },
  });
  // Refused (nothing written): a second factor, a scope beyond the roles, or the password changed or
  // the account deactivated since the password was checked.
  if ('refused' in started) {
    if (started.refused === 'second_factor') throw new OAuthError('invalid_grant', SECOND_FACTOR);
    if (started.refused === 'beyond_roles') throw new OAuthError('invalid_scope', BEYOND_ROLES);
    throw new OAuthError('invalid_grant', BAD_CREDENTIALS);
  }
  const { sid, refreshToken } = started;
  const scope = formatScope(started.scopes);
  const { token } = await deps.signer.sign({ sub: userSubject(user.id), scope, sid }, now.getTime());
  return {
    access_token: token,
    token_type: 'Bearer',
    expires_in: deps.signer.ttlSeconds,
    scope,
    refresh_token: refreshToken,
  };
};
