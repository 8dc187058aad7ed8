import type { HttpResponse, RecognizedString } from 'uWebSockets.js';

/** How a wrapped response ends (http/cors.ts adds headers first; http/head.ts leaves the body out). */
export interface ResponseEnding {
  end(body: RecognizedString | undefined, closeConnection: boolean | undefined): void;
  endWithoutBody(length: number | undefined, closeConnection: boolean | undefined): void;
}

/**
 * `res` with its endings replaced and the rest passed through: the methods `send`, `LateReply` and
 * `whenVerified` use. A wrapper, not a subclass: uWebSockets.js's responses are native objects.
 */
export function withEnding(res: HttpResponse, ending: ResponseEnding): HttpResponse {
  const wrapper = {
    writeStatus: (status: RecognizedString) => (res.writeStatus(status), wrapper),
    writeHeader: (key: RecognizedString, value: RecognizedString) => (res.writeHeader(key, value), wrapper),
    end: (body?: RecognizedString, closeConnection?: boolean) => (ending.end(body, closeConnection), wrapper),
    endWithoutBody: (length?: number, closeConnection?: boolean) => (
      ending.endWithoutBody(length, closeConnection),
      wrapper
    ),
    onAborted: (handler: () => void) => (res.onAborted(handler), wrapper),
    cork: (work: () => void) => (res.cork(work), wrapper),
  };
  return wrapper as unknown as HttpResponse;
}

/** res.endWithoutBody as the caller asked for it (without a length, uWS writes none). */
export function endWithoutBody(res: HttpResponse, length?: number, closeConnection?: boolean): void {
  if (length === undefined) res.endWithoutBody();
  else res.endWithoutBody(length, closeConnection);
}
