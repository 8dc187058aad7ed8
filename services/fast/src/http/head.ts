import type { HttpResponse, RecognizedString } from 'uWebSockets.js';
import { endWithoutBody, withEnding } from './response-ending.js';

/** The size in bytes of a body as `end` would send it. */
function byteLength(body: RecognizedString | undefined): number {
  if (body === undefined) return 0;
  return typeof body === 'string' ? Buffer.byteLength(body) : body.byteLength;
}

const CONTENT_LENGTH = Buffer.from('Content-Length');

/**
 * The response to a HEAD request: the status and headers the GET would get, without its body (RFC 9110
 * §9.3.2 forbids one). A body after a HEAD answer is read by a kept-alive client as the start of the
 * next answer (Node's parser fails with HPE_INVALID_CONSTANT), so every `end(body)` sends the length
 * the GET's body has (§8.6) and no bytes. The GET routes never come here: HEAD has its own
 * registrations, and this wrapper costs only them. Offers the methods `send`, `LateReply` and the CORS
 * wrapper use.
 *
 * Not `endWithoutBody(length)`: in this build of uWebSockets.js (20.30) it writes the header but
 * leaves the response waiting for those bytes, and uWS then aborts the process ("Returning from a
 * request handler without responding"). Content-Length is written as a header, then ended without one.
 */
export function headOnly(res: HttpResponse): HttpResponse {
  return withEnding(res, {
    end: (body, closeConnection = false) => {
      // Closing is asked only where a request body was left unread (the writes); no HEAD route reads
      // one. uWS can close only through endWithoutBody(0, true), which writes its own length, so then
      // the GET's is left out rather than sent twice.
      if (closeConnection) res.endWithoutBody(0, true);
      else res.writeHeader(CONTENT_LENGTH, String(byteLength(body))).endWithoutBody();
    },
    endWithoutBody: (length, closeConnection) => endWithoutBody(res, length, closeConnection),
  });
}
