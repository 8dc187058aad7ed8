import { isUtf8 } from 'node:buffer';
import { OAuthError } from './oauth-error.js';

/** More parameters than any request to these endpoints has; a body with more is refused. */
export const FORM_PARAMETER_LIMIT = 32;

const QUESTION_MARK = 0x3f;
const PERCENT = 0x25;
const REPLACEMENT = '\uFFFD';

/**
 * An `application/x-www-form-urlencoded` body (RFC 6749 Appendix B) as name → value, parsed by the
 * platform's WHATWG `URLSearchParams` (the URL Standard's urlencoded parser: split on `&`, first `=`
 * splits name and value, `+` is a space, then percent-decoding and UTF-8). RFC 6749 §3.1 on top: a
 * parameter sent without a value counts as omitted, and a parameter must not be sent twice (400
 * `invalid_request`, so that a proxy or log reading the first of two never sees another value than
 * the grant uses). The result has no prototype: `__proto__` or `constructor` are plain unknown names.
 *
 * Where this reading differs from the qs/body-parser one used before (each pinned in
 * test/body-form.test.ts):
 * - A malformed escape keeps only itself literally: `a%20%zz` is `a %zz` (qs kept the whole value
 *   undecoded, `a%20%zz`).
 * - An escape that decodes to invalid UTF-8 (`%FF`, a lone `%C3`) is refused here. WHATWG would read it
 *   as U+FFFD (and qs kept `%FF` as text); either way two different secrets would read as one text.
 * - Bracketed names (`scope[]=a`, `a[b]=1`) are plain names, so unknown parameters: never arrays or
 *   objects.
 * - A leading `?` belongs to the first name: it is not a query prefix (which the URLSearchParams
 *   constructor would strip from a string argument).
 * Both readings: names are decoded too (`grant%5Ftype` is `grant_type`, so it repeats `grant_type`),
 * `;` is not a separator, `+` is a space and `%2B` a plus.
 */
export function parseFormBody(text: string): Record<string, string> {
  const entries = new URLSearchParams(text.charCodeAt(0) === QUESTION_MARK ? `&${text}` : text);
  const params: Record<string, string> = Object.create(null) as Record<string, string>;
  let count = 0;
  let replaced = false;
  for (const [name, value] of entries) {
    if (++count > FORM_PARAMETER_LIMIT) {
      throw new OAuthError(
        'invalid_request',
        `The request has too many parameters (limit ${FORM_PARAMETER_LIMIT}).`,
      );
    }
    if (value === '') continue;
    if (name in params) throw repeatedParameter(name);
    params[name] = value;
    replaced ||= name.includes(REPLACEMENT) || value.includes(REPLACEMENT);
  }
  // U+FFFD in the result: sent as such, or WHATWG's stand-in for an escape that is not UTF-8.
  if (replaced && !isUtf8(percentDecode(text))) {
    throw new OAuthError('invalid_request', 'A parameter is not percent-encoded UTF-8.');
  }
  return params;
}

export function repeatedParameter(name: string): OAuthError {
  return new OAuthError('invalid_request', `Parameter "${name.slice(0, 40)}" must not be repeated.`);
}

/**
 * The bytes the urlencoded parser decodes `text` to (`+` a space, `%XX` its byte, anything else as
 * it is). Separators are ASCII and cannot complete a UTF-8 sequence, so the whole body is valid UTF-8
 * exactly when every name and value is.
 */
function percentDecode(text: string): Buffer {
  const bytes = Buffer.from(text.replaceAll('+', ' '), 'utf8');
  const decoded = Buffer.allocUnsafe(bytes.length);
  let length = 0;
  for (let i = 0; i < bytes.length; i++) {
    const hex = bytes[i] === PERCENT ? bytes.toString('latin1', i + 1, i + 3) : '';
    if (/^[0-9A-Fa-f]{2}$/.test(hex)) {
      decoded[length++] = Number.parseInt(hex, 16);
      i += 2;
    } else {
      decoded[length++] = bytes[i]!;
    }
  }
  return decoded.subarray(0, length);
}
