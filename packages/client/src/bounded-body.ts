import { ApiError } from './errors.js';

/**
 * Largest answer read from the token endpoint, or as an error from either service: a token response
 * or an error is well under a kilobyte, and whatever is read may end up in an exception message and
 * so in a log. A misconfigured URL, a proxy's error page or a hostile server then costs at most this.
 */
export const MAX_SMALL_BODY_BYTES = 64 * 1024;

/** Longest text of an answer kept in an error (its code, its message): messages end up in logs. */
const MAX_MESSAGE_CHARS = 500;

/** `text` as an error may carry it: cut to MAX_MESSAGE_CHARS, with an ellipsis where it was cut. */
export function clipped(text: string): string {
  return text.length > MAX_MESSAGE_CHARS ? `${text.slice(0, MAX_MESSAGE_CHARS)}…` : text;
}

/**
 * The body as text, read at most `limit` bytes into it: an answer that declares or sends more is
 * refused (ApiError `response_too_large`) and the rest is never downloaded.
 */
export async function boundedText(response: Response, limit: number, what: string): Promise<string> {
  const tooLarge = () =>
    new ApiError(response.status, 'response_too_large', `The ${what} answered more than ${limit} bytes.`);
  const declared = Number(response.headers.get('content-length') ?? NaN);
  if (declared > limit) {
    await response.body?.cancel();
    throw tooLarge();
  }
  if (!response.body) return '';
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > limit) {
      await reader.cancel();
      throw tooLarge();
    }
    chunks.push(value);
  }
  const bytes = new Uint8Array(size);
  let at = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, at);
    at += chunk.byteLength;
  }
  return new TextDecoder().decode(bytes);
}
