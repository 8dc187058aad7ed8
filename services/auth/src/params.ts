import type { BodyRequest } from './body.js';
import { holdsNul, nulDescription } from './nul-values.js';
import { OAuthError } from './oauth-error.js';

export { BODY_LIMIT_BYTES, readBody, type BodyRequest } from './body.js';

export type Params = ReadonlyMap<string, string>;

/**
 * The request's parameters as single strings. RFC 6749 §3.1: parameters must not repeat, and values are
 * strings; anything else is `invalid_request`, never a crash further down.
 */
export function readParams(req: BodyRequest): Params {
  // The body readers parse form and JSON bodies only: anything else (or no body) leaves it unset.
  if (req.body === undefined) {
    throw new OAuthError(
      'invalid_request',
      'Send the parameters as application/x-www-form-urlencoded (or application/json).',
    );
  }
  const body: unknown = req.body;
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new OAuthError('invalid_request', 'The request body must hold the parameters as name/value pairs.');
  }
  const params = new Map<string, string>();
  for (const [name, value] of Object.entries(body)) {
    // Repeated parameters and JSON keys are refused as the body is read (form-body.ts, json-body.ts):
    // a list here is a JSON array.
    if (Array.isArray(value))
      throw new OAuthError('invalid_request', `Parameter "${name}" must be a string, not a list.`);
    if (typeof value !== 'string')
      throw new OAuthError('invalid_request', `Parameter "${name}" must be a string.`);
    // A password is only ever hashed, and one may hold anything.
    if (name !== 'password' && holdsNul(value)) throw new OAuthError('invalid_request', nulDescription(name));
    // An empty parameter counts as absent (RFC 6749 §3.1).
    if (value !== '') params.set(name, value);
  }
  return params;
}

export function requireParam(params: Params, name: string): string {
  const value = params.get(name);
  if (value === undefined) throw new OAuthError('invalid_request', `Parameter "${name}" is required.`);
  return value;
}
