/**
 * Secret redaction by key name, at any depth. pino's own `redact` takes fixed paths, and a path list
 * can only reach the levels it spells out: `{ req: { body: { password } } }` slipped through
 * `*.password`. Walking the record costs a little per log line, never per request that logs nothing.
 */

/** Keys whose values are secrets wherever they appear (compared lower-cased, `-`/`_` ignored). */
const SECRET_KEYS = new Set(
  [
    'password',
    'passwordHash',
    'newPassword',
    'currentPassword',
    'secret',
    'clientSecret',
    'refreshToken',
    'accessToken',
    'idToken',
    'token',
    'privateKey',
    'privateJwk',
    'secretKey',
    // With its authorization code, a PKCE verifier redeems tokens ('code' itself also names error codes).
    'codeVerifier',
    'totpSecret',
    'recoveryCode',
    'recoveryCodes',
    'authorization',
    'cookie',
    'setCookie',
  ].map(canonicalKey),
);

export const CENSOR = '[redacted]';

/** Deeper than any record a service logs; bounds the walk on a self-referencing object. */
const MAX_DEPTH = 8;

function canonicalKey(key: string): string {
  return key.toLowerCase().replace(/[-_]/g, '');
}

export function isSecretKey(key: string): boolean {
  return SECRET_KEYS.has(canonicalKey(key));
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== 'object') return false;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/**
 * A copy of `value` with every secret-named field replaced by the censor; the caller's object is never
 * changed. Only plain objects and arrays are walked: an Error goes to pino's `err` serializer as is.
 */
export function redactSecrets<T>(value: T, depth = 0): T {
  if (depth > MAX_DEPTH) return value;
  if (Array.isArray(value)) {
    let copy: unknown[] | undefined;
    value.forEach((item, index) => {
      const redacted = redactSecrets(item, depth + 1);
      if (redacted !== item) (copy ??= [...value])[index] = redacted;
    });
    return (copy ?? value) as T;
  }
  if (!isPlainObject(value)) return value;
  let copy: Record<string, unknown> | undefined;
  for (const [key, item] of Object.entries(value)) {
    const redacted =
      isSecretKey(key) && item !== undefined && item !== null ? CENSOR : redactSecrets(item, depth + 1);
    if (redacted !== item) (copy ??= { ...value })[key] = redacted;
  }
  return (copy ?? value) as T;
}
