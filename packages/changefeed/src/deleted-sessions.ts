import { TOKENS_OUTLIVE_SESSION_MS, TOKENS_OUTLIVE_SESSION_SECONDS } from './revocation-window.js';

/**
 * How long after a session is deleted its access tokens may still be presented: the longest TTL an
 * issuer may use plus the longest verifier leeway. The row (and its `expires_at`) is gone, so this
 * bound is all there is; the outbox keeps delete events at least this long for the configured values
 * (CHANGE_RETENTION_SECONDS >= ACCESS_TOKEN_TTL_SECONDS + TOKEN_LEEWAY_SECONDS, checked by @tandem/config).
 */
export const DELETED_SESSION_TOKENS_SECONDS = TOKENS_OUTLIVE_SESSION_SECONDS;
export const DELETED_SESSION_TOKENS_MS = TOKENS_OUTLIVE_SESSION_MS;
