/**
 * What the client throws. Every error is a TandemError; token-endpoint refusals are OAuthErrors with one
 * subclass per RFC 6749 §5.2 code, so callers can `catch (e) { if (e instanceof InvalidGrantError) ... }`.
 */
export class TandemError extends Error {
  override name = 'TandemError';
}

/** RFC 6749 §5.2 error codes (and whatever else an authorization server may send). */
export type OAuthErrorCode =
  | 'invalid_request'
  | 'invalid_client'
  | 'invalid_grant'
  | 'unauthorized_client'
  | 'unsupported_grant_type'
  | 'invalid_scope'
  | (string & {});

/** The token endpoint refused a request (RFC 6749 §5.2): `code` is the `error` field. */
export class OAuthError extends TandemError {
  override name = 'OAuthError';

  constructor(
    readonly code: OAuthErrorCode,
    /** `error_description`, for people; may be empty. */
    readonly description: string,
    /** HTTP status of the refusal (400, or 401 for invalid_client). */
    readonly status: number,
  ) {
    super(description ? `${code}: ${description}` : code);
  }
}

/** Missing or malformed parameter, or two client authentication methods at once. */
export class InvalidRequestError extends OAuthError {
  override name = 'InvalidRequestError';
}
/** Unknown client, wrong secret or deactivated client. */
export class InvalidClientError extends OAuthError {
  override name = 'InvalidClientError';
}
/** Wrong password, or a refresh token that is unknown, used, expired or revoked: sign in again. */
export class InvalidGrantError extends OAuthError {
  override name = 'InvalidGrantError';
}
export class UnauthorizedClientError extends OAuthError {
  override name = 'UnauthorizedClientError';
}
export class UnsupportedGrantTypeError extends OAuthError {
  override name = 'UnsupportedGrantTypeError';
}
/** The requested scope exceeds what the user's roles or the client allow. */
export class InvalidScopeError extends OAuthError {
  override name = 'InvalidScopeError';
}

/** A Map: the code comes from the server's answer, and `constructor` must not find Object's. */
const OAUTH_ERRORS: ReadonlyMap<string, typeof OAuthError> = new Map<string, typeof OAuthError>([
  ['invalid_request', InvalidRequestError],
  ['invalid_client', InvalidClientError],
  ['invalid_grant', InvalidGrantError],
  ['unauthorized_client', UnauthorizedClientError],
  ['unsupported_grant_type', UnsupportedGrantTypeError],
  ['invalid_scope', InvalidScopeError],
]);

/** The OAuthError subclass for an RFC 6749 `error` code (plain OAuthError for other codes). */
export function oauthError(code: string, description: string, status: number): OAuthError {
  const ErrorClass = OAUTH_ERRORS.get(code) ?? OAuthError;
  return new ErrorClass(code, description, status);
}

/**
 * A refusal from the fast service (or an unexpected answer from either service): HTTP status, the
 * machine-readable `error` code of its JSON body (e.g. `not_found`, `insufficient_scope`) and its message.
 * A refused write also carries `errors`: a message per body field, or under `_` for the write as a whole
 * (`validation_failed` at once; `rejected`, `conflict` when the source of truth applied it).
 */
export class ApiError extends TandemError {
  override name = 'ApiError';

  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly errors: Readonly<Record<string, string>> = {},
  ) {
    super(message);
  }
}

/** The client holds no credentials to get an access token: call tokens.password() or clientCredentials(). */
export class NotSignedInError extends TandemError {
  override name = 'NotSignedInError';
}

/** A live subscription was refused (`unknown_topic`, `insufficient_scope`...) or its connection gave up. */
export class LiveError extends TandemError {
  override name = 'LiveError';

  constructor(
    readonly code: string,
    message: string,
    readonly topic?: string,
  ) {
    super(message);
  }
}
