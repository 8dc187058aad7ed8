import type { IncomingHttpHeaders } from 'node:http';
import type { Socket } from 'node:net';

/**
 * @adminjs/express hands actions and pages a copy of the Express request made with Object.assign,
 * which keeps own properties only: `headers` is a getter on Node's IncomingMessage and is lost, while
 * `rawHeaders` (name, value, name, value…) and `socket` survive. This rebuilds what readers of a real
 * request need (proxy-addr reads `headers['x-forwarded-for']`), combining repeated fields as Node does.
 */
export interface RequestView {
  readonly headers: IncomingHttpHeaders;
  readonly socket: Socket;
}

export function requestView(copy: object): RequestView {
  const { rawHeaders, socket } = copy as { rawHeaders?: unknown; socket?: Socket };
  const headers: Record<string, string> = {};
  if (Array.isArray(rawHeaders))
    for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
      const name = String(rawHeaders[i]).toLowerCase();
      const value = String(rawHeaders[i + 1]);
      const separator = name === 'cookie' ? '; ' : ', ';
      headers[name] = Object.hasOwn(headers, name) ? `${headers[name]}${separator}${value}` : value;
    }
  // A copy without its socket cannot come from @adminjs/express; an empty one reads as "unknown".
  return { headers, socket: socket ?? ({ remoteAddress: undefined } as Socket) };
}
