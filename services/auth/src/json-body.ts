import { repeatedJsonKey } from '@tandem/models';
import { OAuthError } from './oauth-error.js';
import { repeatedParameter } from './form-body.js';

const ONLY_SPACE = /^[ \t\n\r]*$/;

/**
 * An `application/json` body (a convenience for scripts; RFC 6749 only defines form bodies): one
 * object of parameters. `JSON.parse` keeps the last of two equal keys without a word, so a repeated
 * key is refused like a repeated form parameter. Values are checked (strings only) by readParams.
 */
export function parseJsonBody(text: string): unknown {
  if (ONLY_SPACE.test(text)) return {};
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw new OAuthError('invalid_request', 'The request body is malformed JSON.');
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new OAuthError('invalid_request', 'The request body must be a JSON object of parameters.');
  }
  // A key repeated deeper down sits in a value that is not a string, which readParams refuses.
  const repeated = repeatedJsonKey(text);
  if (repeated !== undefined && repeated.at === '') throw repeatedParameter(repeated.key);
  return body;
}
