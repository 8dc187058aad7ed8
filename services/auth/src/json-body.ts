import { OAuthError } from './oauth-error.js';
import { repeatedParameter } from './form-body.js';

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COLON = 0x3a;
const OPENERS = new Set([0x7b, 0x5b]); // { [
const CLOSERS = new Set([0x7d, 0x5d]); // } ]
const JSON_SPACE = /[ \t\n\r]*/y;
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
  const repeated = repeatedTopLevelKey(text);
  if (repeated !== undefined) throw repeatedParameter(repeated);
  return body;
}

/**
 * The first key the top-level object of `text` (valid JSON, an object) holds twice. Walks the text
 * once: strings are skipped whole (their brackets are not structure), and a string at depth 1 that a
 * colon follows is a key of the top-level object.
 */
function repeatedTopLevelKey(text: string): string | undefined {
  const keys = new Set<string>();
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === QUOTE) {
      let end = i + 1;
      while (text.charCodeAt(end) !== QUOTE) end += text.charCodeAt(end) === BACKSLASH ? 2 : 1;
      JSON_SPACE.lastIndex = end + 1;
      JSON_SPACE.exec(text);
      if (depth === 1 && text.charCodeAt(JSON_SPACE.lastIndex) === COLON) {
        const key = JSON.parse(text.slice(i, end + 1)) as string;
        if (keys.has(key)) return key;
        keys.add(key);
      }
      i = end;
    } else if (OPENERS.has(c)) {
      depth++;
    } else if (CLOSERS.has(c)) {
      depth--;
    }
  }
  return undefined;
}
