/**
 * Sessions, one owner: how one starts, what "live" means, how one is revoked and why, and which
 * scopes a user's roles grant. The auth grants, the revoke route, the admin and the CLI all call
 * these; the auth service's hand-written hot-path SQL embeds the fragments exported here.
 */
export type { RevocationReason } from './reasons.js';
export { securityRevokedSessions } from './security-revoked.js';
export { liveWindow, liveSessionSql, liveBindings, liveSessionWhere, type LiveWindow } from './live.js';
export {
  unionRoleScopes,
  roleScopes,
  scopesOfUsers,
  userMayHold,
  heldScopes,
  heldScopeSql,
  HELD_SCOPE_BINDING,
} from './scopes.js';
export {
  newSession,
  sessionStart,
  startUserSession,
  INSERT_SESSION_SQL,
  insertSessionBindings,
  SESSION_GRANT_TYPES,
  type NewSession,
  type SessionGuard,
  type SessionGrantType,
  type SessionStart,
} from './start.js';
export {
  REVOKE_SESSION_SQL,
  revokeSessionSql,
  revokeSession,
  revokeClientSessions,
  revokeUserSessions,
  endUserSignIns,
  lockUser,
  revokeSignInSessions,
  revokeSessionsBeyondRoleScopes,
} from './revoke.js';
export {
  purgeSpentSignIns,
  PENDING_SIGN_IN_SECONDS,
  SPENT_CODE_RETENTION_SECONDS,
  type SignInPurge,
} from './purge.js';
export {
  purgeEndedSessions,
  endedSessionKeepSeconds,
  ENDED_SESSION_BATCH,
  ENDED_SESSION_MAX_BATCHES,
  type EndedSessionPurge,
  type EndedSessionPurgeSettings,
} from './purge-ended.js';
