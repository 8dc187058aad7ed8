import type { IncomingMessage, ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import express from 'express';
import { OAuthError } from './oauth-error.js';

/**
 * A lean reader for the token and revocation bodies. body-parser (raw-body, iconv, type-is, qs,
 * on-finished with its async_hooks scope) cost ~13% of a client_credentials request for bodies of a
 * few hundred bytes. The common case (an identity-encoded, UTF-8, Content-Length-delimited form or
 * JSON body within the limit whose parameter names are plain words) is read here with exactly
 * body-parser's results and error types; everything else (chunked or compressed bodies, other
 * charsets, bodies over the limit, bracketed or unusual names) still goes through body-parser, so the
 * accepted inputs and the errors do not change.
 */

/** Requests to the token and revocation endpoints are small; anything larger is refused early. */
export const BODY_LIMIT_BYTES = 16 * 1024;
/** body-parser's parameterLimit for form bodies. */
const PARAMETER_LIMIT = 32;

const FORM = 'application/x-www-form-urlencoded';
const JSON_TYPE = 'application/json';
/** Content-Type values read here; anything else (other charsets, extra parameters) is body-parser's. */
const FAST_TYPES: ReadonlyMap<string, 'form' | 'json'> = new Map([
  [FORM, 'form'],
  [`${FORM}; charset=utf-8`, 'form'],
  [JSON_TYPE, 'json'],
  [`${JSON_TYPE}; charset=utf-8`, 'json'],
]);

/** A request whose body `parseBody` has read: `body` holds the parsed parameters, if any. */
export type BodyRequest = IncomingMessage & { body?: unknown };

type Next = (error?: unknown) => void;
type BodyParser = (req: BodyRequest, res: ServerResponse, next: Next) => void;

// body-parser's middlewares only use Node's own request and response, so they run outside Express too.
const fallbackParsers = [
  express.urlencoded({ extended: false, limit: BODY_LIMIT_BYTES, parameterLimit: PARAMETER_LIMIT }),
  express.json({ limit: BODY_LIMIT_BYTES, strict: true }),
] as unknown as [BodyParser, BodyParser];

const BODY_ERRORS: Record<string, string> = {
  'entity.too.large': `The request body is too large (limit ${BODY_LIMIT_BYTES / 1024} KiB).`,
  'entity.parse.failed': 'The request body is malformed.',
  'parameters.too.many': 'The request has too many parameters.',
  'encoding.unsupported': 'The request body uses an unsupported content encoding.',
  'charset.unsupported': 'The request body uses an unsupported charset.',
  'entity.verify.failed': 'The request body is malformed.',
};

const UNDECODABLE =
  'The request body cannot be decoded: it is not valid data for its Content-Encoding (gzip, deflate or br).';

/**
 * The `invalid_request` a body the readers refused (an http-errors error with a 4xx status, from this
 * reader or body-parser) stands for; undefined for any other error. body-parser passes a failed
 * decompression on as the zlib error itself with status 400 and no `type` (e.g. `Content-Encoding:
 * gzip` on a plain body): the client's mistake, so a 400 too, not a logged 500.
 */
export function bodyErrorAsOAuth(error: unknown): OAuthError | undefined {
  const { type, status, errno } = (error ?? {}) as { type?: unknown; status?: unknown; errno?: unknown };
  if (typeof status !== 'number' || status < 400 || status >= 500) return undefined;
  if (typeof type === 'string')
    return new OAuthError('invalid_request', BODY_ERRORS[type] ?? 'The request body cannot be read.');
  // zlib's errors carry its numeric errno (Z_DATA_ERROR, Z_BUF_ERROR, Brotli's format errors).
  if (typeof errno === 'number') return new OAuthError('invalid_request', UNDECODABLE);
  return undefined;
}

/** An error shaped like body-parser's (http-errors): `bodyErrorAsOAuth` maps it by `type`. */
function bodyError(status: number, type: string, message: string): Error {
  return Object.assign(new Error(message), { status, statusCode: status, type, expose: true });
}

/**
 * The qs that body-parser itself uses, for the rare form body with names the fast parser does not
 * take (brackets, empty or prototype names): same parser, same options, same result.
 */
let qsParse: ((text: string, options: object) => Record<string, unknown>) | undefined;
function parseWithQs(text: string, parameterCount: number): Record<string, unknown> {
  if (!qsParse) {
    const fromExpress = createRequire(createRequire(import.meta.url).resolve('express'));
    const fromBodyParser = createRequire(fromExpress.resolve('body-parser'));
    qsParse = (fromBodyParser('qs') as { parse: typeof qsParse & object }).parse;
  }
  try {
    return qsParse(text, {
      allowPrototypes: true,
      arrayLimit: parameterCount,
      depth: 0,
      charset: 'utf-8',
      parameterLimit: PARAMETER_LIMIT,
      strictDepth: true,
    });
  } catch (error) {
    if (error instanceof RangeError)
      throw bodyError(400, 'querystring.parse.rangeError', 'The input exceeded the depth');
    throw error;
  }
}

/** qs's value decoding: `+` is a space; a malformed escape leaves the text as it is. */
function decodeFormValue(text: string): string {
  const spaced = text.includes('+') ? text.replace(/\+/g, ' ') : text;
  if (!spaced.includes('%')) return spaced;
  try {
    return decodeURIComponent(spaced);
  } catch {
    return spaced;
  }
}

const PLAIN_NAME = /^[A-Za-z0-9_-]+$/;
/** Brackets (raw or escaped) make qs treat names specially: such bodies go to qs itself. */
const BRACKETS = /[[\]]|%5[bd]/i;

/** A form body as body-parser (extended: false) parses it: repeated names become arrays. */
export function parseForm(text: string): Record<string, unknown> {
  if (text.length === 0) return {};
  const parts = text.split('&');
  if (parts.length > PARAMETER_LIMIT) throw bodyError(413, 'parameters.too.many', 'too many parameters');
  if (BRACKETS.test(text)) return parseWithQs(text, parts.length);
  const result: Record<string, unknown> = {};
  for (const part of parts) {
    if (part === '') continue;
    const equals = part.indexOf('=');
    const name = equals < 0 ? part : part.slice(0, equals);
    if (!PLAIN_NAME.test(name) || name === '__proto__') return parseWithQs(text, parts.length);
    const value = equals < 0 ? '' : decodeFormValue(part.slice(equals + 1));
    // Own properties only: a name like "constructor" must not find Object.prototype's.
    const existing = Object.hasOwn(result, name) ? result[name] : undefined;
    if (existing === undefined) result[name] = value;
    else if (Array.isArray(existing)) existing.push(value);
    else result[name] = [existing, value];
  }
  return result;
}

/** body-parser's strict check: the first character that is not JSON whitespace (space, tab, LF, CR). */
const JSON_WHITESPACE = /^[ \t\n\r]*(.)/s;

/** A JSON body as body-parser (strict) parses it: only an object or array at the top. */
export function parseJson(text: string): unknown {
  if (text.length === 0) return {};
  const first = JSON_WHITESPACE.exec(text)?.[1];
  if (first !== '{' && first !== '[')
    throw bodyError(400, 'entity.parse.failed', 'The request body is not a JSON object or array.');
  try {
    return JSON.parse(text);
  } catch {
    throw bodyError(400, 'entity.parse.failed', 'The request body is malformed JSON.');
  }
}

/** The form or JSON kind of a request the fast path can read, or undefined (body-parser's job). */
function fastKind(req: IncomingMessage): 'form' | 'json' | undefined {
  const headers = req.headers;
  const type = headers['content-type'];
  if (type === undefined || headers['transfer-encoding'] !== undefined) return undefined;
  const encoding = headers['content-encoding'];
  if (encoding !== undefined && encoding.toLowerCase() !== 'identity') return undefined;
  const length = headers['content-length'];
  if (length === undefined || !/^\d{1,5}$/.test(length) || Number(length) > BODY_LIMIT_BYTES)
    return undefined;
  return FAST_TYPES.get(type.toLowerCase());
}

/** Form bodies (the OAuth standard) and JSON bodies (convenient for scripts), both capped. */
export function parseBody(req: BodyRequest, res: ServerResponse, next: Next): void {
  const kind = fastKind(req);
  if (kind === undefined) {
    const [form, json] = fallbackParsers;
    form(req, res, (error?: unknown) => (error ? next(error) : json(req, res, next)));
    return;
  }
  const expected = Number(req.headers['content-length']);
  const chunks: Buffer[] = [];
  let received = 0;
  let settled = false;
  const finish = (error?: Error) => {
    if (settled) return;
    settled = true;
    req.off('data', onData).off('end', onEnd).off('aborted', onAborted).off('error', onError);
    if (error) {
      req.resume();
      return next(error);
    }
    try {
      // iconv (body-parser's decoder) drops a UTF-8 byte order mark; so does this.
      let text = (chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, received)).toString('utf8');
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
      req.body = kind === 'form' ? parseForm(text) : parseJson(text);
    } catch (parseError) {
      return next(parseError);
    }
    next();
  };
  const onData = (chunk: Buffer) => {
    received += chunk.length;
    if (received > expected)
      finish(bodyError(400, 'request.size.invalid', 'request size did not match content length'));
    else chunks.push(chunk);
  };
  const onEnd = () =>
    finish(
      received === expected
        ? undefined
        : bodyError(400, 'request.size.invalid', 'request size did not match content length'),
    );
  const onAborted = () => finish(bodyError(400, 'request.aborted', 'request aborted'));
  const onError = (error: Error) => finish(error);
  req.on('data', onData).on('end', onEnd).on('aborted', onAborted).on('error', onError);
}
