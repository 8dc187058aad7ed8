import { isUtf8 } from 'node:buffer';
import type { IncomingMessage } from 'node:http';
import { promisify } from 'node:util';
import { brotliDecompress, gunzip, inflate } from 'node:zlib';
import { parseFormBody } from './form-body.js';
import { parseJsonBody } from './json-body.js';
import { OAuthError } from './oauth-error.js';

/**
 * Reads the body of a token or revocation request: at most 16 KiB (after decompression), identity,
 * gzip, deflate or br, UTF-8 only; a form body (`parseFormBody`, the platform's URLSearchParams) or a
 * JSON one (`parseJsonBody`). Every refusal is a 400 `invalid_request` saying what is wrong.
 */

/** Requests to the token and revocation endpoints are small; anything larger is refused. */
export const BODY_LIMIT_BYTES = 16 * 1024;

/** A request whose body `readBody` has read: `body` holds the parsed parameters, if any. */
export type BodyRequest = IncomingMessage & { body?: unknown };

type BodyKind = 'form' | 'json';
const KINDS: ReadonlyMap<string, BodyKind> = new Map([
  ['application/x-www-form-urlencoded', 'form'],
  ['application/json', 'json'],
]);

type Decompress = (input: Buffer, options: { maxOutputLength: number }) => Promise<Buffer>;
/** The Content-Encodings Express's body-parser read before, with the same zlib decoders. */
const DECOMPRESSORS: ReadonlyMap<string, Decompress> = new Map([
  ['gzip', promisify(gunzip) as Decompress],
  ['deflate', promisify(inflate) as Decompress],
  ['br', promisify(brotliDecompress) as Decompress],
]);

const tooLarge = () =>
  new OAuthError('invalid_request', `The request body is too large (limit ${BODY_LIMIT_BYTES / 1024} KiB).`);

/** Called once with the refusal (an OAuthError; anything else is a bug) or the parameters. */
export type BodyCallback = (error: unknown, body?: unknown) => void;

/**
 * Reads the parameters of the request's body: a form body as a prototype-less name → value record, a
 * JSON body as parsed; undefined (and the body left unread) for another Content-Type, which
 * readParams answers with the types it takes. A callback, not a promise: with the promise hooks
 * MikroORM's AsyncLocalStorage turns on, each promise on this path cost measurable time per token.
 */
export function readBody(req: IncomingMessage, done: BodyCallback): void {
  let kind: BodyKind | undefined;
  let decompress: Decompress | undefined;
  try {
    kind = bodyKind(req.headers['content-type']);
    if (kind !== undefined) decompress = decompressorOf(req.headers['content-encoding']);
  } catch (error) {
    return done(error);
  }
  if (kind === undefined) return done(undefined, undefined);
  const known: BodyKind = kind;
  receive(req, (error, received) => {
    if (error) return done(error);
    if (!decompress) return parse(known, received, done);
    decompressed(decompress, received).then((bytes) => parse(known, bytes, done), done);
  });
}

function parse(kind: BodyKind, bytes: Buffer, done: BodyCallback): void {
  let body: unknown;
  try {
    if (!isUtf8(bytes)) throw new OAuthError('invalid_request', 'The request body is not valid UTF-8.');
    let text = bytes.toString('utf8');
    // A byte order mark is not part of the first name (body-parser dropped it too).
    if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    body = kind === 'form' ? parseFormBody(text) : parseJsonBody(text);
  } catch (error) {
    return done(error);
  }
  done(undefined, body);
}

/** Form or JSON by the media type (any case, parameters aside); a charset other than UTF-8 is refused. */
function bodyKind(contentType: string | undefined): BodyKind | undefined {
  if (contentType === undefined) return undefined;
  const exact = KINDS.get(contentType);
  if (exact !== undefined) return exact;
  const [essence = '', ...parameters] = contentType.split(';');
  const kind = KINDS.get(essence.trim().toLowerCase());
  if (kind === undefined) return undefined;
  for (const parameter of parameters) {
    const equals = parameter.indexOf('=');
    if (equals < 0 || parameter.slice(0, equals).trim().toLowerCase() !== 'charset') continue;
    const charset = parameter
      .slice(equals + 1)
      .trim()
      .replace(/^"(.*)"$/, '$1')
      .toLowerCase();
    if (charset !== 'utf-8' && charset !== 'utf8') {
      throw new OAuthError(
        'invalid_request',
        `The request body uses an unsupported charset "${charset.slice(0, 40)}": send UTF-8.`,
      );
    }
  }
  return kind;
}

function decompressorOf(contentEncoding: string | undefined): Decompress | undefined {
  const encoding = contentEncoding?.trim().toLowerCase() ?? 'identity';
  if (encoding === 'identity') return undefined;
  const decompress = DECOMPRESSORS.get(encoding);
  if (decompress) return decompress;
  throw new OAuthError(
    'invalid_request',
    `The request body uses an unsupported Content-Encoding "${encoding.slice(0, 40)}" (use gzip, deflate, br or none).`,
  );
}

/** The decoded body; anything zlib cannot decode is the client's mistake, so a 400, not a 500. */
async function decompressed(decompress: Decompress, input: Buffer): Promise<Buffer> {
  try {
    return await decompress(input, { maxOutputLength: BODY_LIMIT_BYTES });
  } catch (error) {
    if ((error as { code?: unknown }).code === 'ERR_BUFFER_TOO_LARGE') throw tooLarge();
    throw new OAuthError(
      'invalid_request',
      'The request body cannot be decoded: it is not valid data for its Content-Encoding (gzip, deflate or br).',
    );
  }
}

/**
 * The bytes of the body, up to the limit. A body over the limit (by its Content-Length or as it
 * arrives) is still read to its end, and dropped, before the refusal is answered: a client still
 * sending would otherwise see a broken connection instead of the answer. Node's requestTimeout bounds
 * how long that can take.
 */
function receive(req: IncomingMessage, done: (error: OAuthError | undefined, body: Buffer) => void): void {
  let over = Number(req.headers['content-length'] ?? 0) > BODY_LIMIT_BYTES;
  let chunks: Buffer[] = [];
  let length = 0;
  const settle = (error: OAuthError | undefined) => {
    req.off('data', onData).off('end', onEnd).off('error', onBroken).off('aborted', onBroken);
    done(error, chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, length));
  };
  const onData = (chunk: Buffer) => {
    length += chunk.length;
    if (length > BODY_LIMIT_BYTES) over = true;
    if (over) chunks = [];
    else chunks.push(chunk);
  };
  const onEnd = () => settle(over ? tooLarge() : undefined);
  const onBroken = () =>
    settle(new OAuthError('invalid_request', 'The request body was not received completely.'));
  req.on('data', onData).on('end', onEnd).on('error', onBroken).on('aborted', onBroken);
}
