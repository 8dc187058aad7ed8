import express, { type Request, type RequestHandler } from 'express';
import { OAuthError } from './oauth-error.js';

/** Requests to the token and revocation endpoints are small; anything larger is refused early. */
export const BODY_LIMIT_BYTES = 16 * 1024;

/** Form bodies (the OAuth standard) and JSON bodies (convenient for scripts), both capped. */
export const parseBody: RequestHandler[] = [
  express.urlencoded({ extended: false, limit: BODY_LIMIT_BYTES, parameterLimit: 32 }),
  express.json({ limit: BODY_LIMIT_BYTES, strict: true }),
];

export type Params = ReadonlyMap<string, string>;

/**
 * The request's parameters as single strings. RFC 6749 §3.1: parameters must not repeat, and values are
 * strings; anything else is `invalid_request`, never a crash further down.
 */
export function readParams(req: Request): Params {
  if (!req.is(['application/x-www-form-urlencoded', 'application/json'])) {
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
    if (Array.isArray(value))
      throw new OAuthError('invalid_request', `Parameter "${name}" must not be repeated.`);
    if (typeof value !== 'string')
      throw new OAuthError('invalid_request', `Parameter "${name}" must be a string.`);
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
