// --- signing side (auth service): claims, keys, signing, JWKS, opaque secrets ---
export {
  ACCESS_TOKEN_ALG,
  ACCESS_TOKEN_TYP,
  type AccessTokenClaims,
  type Subject,
  type ScopeDecision,
  userSubject,
  clientSubject,
  parseSubject,
  isScopeToken,
  parseScope,
  formatScope,
  scopeIncludes,
  grantScope,
  IDENTITY_SCOPES,
  isIdentityScope,
  clientMayHaveScope,
} from './claims.js';
export { deriveKey, type KeyPurpose } from './derive-key.js';
export { requireSecretKey, MissingSecretKeyError } from './secret-key.js';
export { sealText, openSealedText, SealedTextError, type SealContext } from './sealed-text.js';
export { encryptPrivateJwk, decryptPrivateJwk, KeyDecryptionError } from './key-encryption.js';
export { assertSecretKeyOpensSigningKeys, SecretKeyMismatchError } from './key-check.js';
export { generateSigningKeyMaterial, type SigningKeyMaterial } from './key-material.js';
export type { KeyTiming } from './key-states.js';
export {
  ensureSigningKeys,
  rotateSigningKeys,
  retireExpiredKeys,
  listSigningKeys,
  loadPublishedKeys,
  ConcurrentRotationError,
  type SigningKeySummary,
  type RotationResult,
  type PublishedKeys,
} from './key-store.js';
export { SigningKeyRing, NoSigningKeyError, type ActiveSigningKey } from './key-ring.js';
export { AccessTokenSigner, type SignedAccessToken, type AccessTokenRequest } from './signer.js';
export { IdTokenSigner, leftHalfHash, type IdTokenClaims } from './id-token.js';
export type { JwksDocument } from './jwks.js';
export { newRefreshToken, hashRefreshToken, looksLikeRefreshToken } from './opaque-tokens.js';
export {
  newClientId,
  newClientSecret,
  ClientSecretHasher,
  createClient,
  type CreatedClient,
  type ClientFields,
} from './client-secrets.js';
export {
  type RevocationReason,
  liveWindow,
  liveSessionSql,
  liveSessionWhere,
  liveBindings,
  type LiveWindow,
  roleScopes,
  scopesOfUsers,
  unionRoleScopes,
  userMayHold,
  heldScopes,
  heldScopeSql,
  HELD_SCOPE_BINDING,
  newSession,
  startUserSession,
  INSERT_SESSION_SQL,
  insertSessionBindings,
  SESSION_GRANT_TYPES,
  type NewSession,
  type SessionGuard,
  type SessionGrantType,
  sessionStart,
  type SessionStart,
  purgeSpentSignIns,
  PENDING_SIGN_IN_SECONDS,
  SPENT_CODE_RETENTION_SECONDS,
  type SignInPurge,
  purgeEndedSessions,
  endedSessionKeepSeconds,
  ENDED_SESSION_BATCH,
  ENDED_SESSION_MAX_BATCHES,
  type EndedSessionPurge,
  type EndedSessionPurgeSettings,
  REVOKE_SESSION_SQL,
  revokeSessionSql,
  revokeSession,
  revokeClientSessions,
  revokeUserSessions,
  endUserSignIns,
  lockUser,
  revokeSignInSessions,
  revokeSessionsBeyondRoleScopes,
  securityRevokedSessions,
} from './sessions/index.js';
// --- end signing side ---
// --- verification side (fast service): remote JWKS, local verification, verified-token cache ---
export { RemoteJwks, type RemoteJwksOptions, type RemoteJwksStats } from './verify/remote-jwks.js';
export { TokenCache } from './verify/token-cache.js';
export {
  AccessTokenVerifier,
  TokenVerificationError,
  SigningKeysUnavailableError,
  type AccessTokenVerifierOptions,
  type VerifiedAccessToken,
} from './verify/verifier.js';
export type { RowClaims } from './verify/row-claims.js';
// --- end verification side ---
export { AllowedOrigins } from './allowed-origins.js';
