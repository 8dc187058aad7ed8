/** The part of the WebSocket API (browsers, Node 22+, the `ws` package) the live client uses. */
export interface SocketLike {
  send(data: string): void;
  close(code?: number, reason?: string): void;
  onopen: ((event: unknown) => void) | null;
  onmessage: ((event: { readonly data: unknown }) => void) | null;
  onclose: ((event: { readonly code: number; readonly reason: string }) => void) | null;
  onerror: ((event: unknown) => void) | null;
}

/** A WebSocket class such as the browser's `WebSocket` (or a polyfill), for environments without one. */
export type WebSocketConstructor = new (url: string, protocols?: string | string[]) => SocketLike;

/**
 * Why a socket that closed before it opened failed, as far as the platform can tell:
 * - `refused`: the server answered the upgrade with this HTTP status (401: the token was refused);
 * - `unanswered`: no HTTP refusal came (the server down, the network cut, a broken handshake);
 * - `unknown`: the platform does not say. The browser's WebSocket API hides a refused upgrade's status on
 *   purpose (a page must not probe servers with it), so there a 401 and a network failure look alike.
 */
export type HandshakeFailure =
  | { readonly kind: 'refused'; readonly status: number }
  | { readonly kind: 'unanswered' }
  | { readonly kind: 'unknown' };

/** A socket being opened, and how to learn why its handshake failed (read after a close before open). */
export interface OpeningSocket {
  readonly socket: SocketLike;
  handshakeFailure(): HandshakeFailure;
}

/** Opens a socket to `url` presenting `token`. */
export type SocketFactory = (url: string, token: string) => OpeningSocket;

const UNKNOWN: HandshakeFailure = { kind: 'unknown' };

/**
 * Browsers cannot set headers on a WebSocket. The token is offered as a subprotocol,
 * `tandem.bearer.<token>`, beside `tandem.bearer`, the one fast selects in its answer (as
 * services/fast/src/http/live-protocol.ts spells them, and says why): unlike the query, the
 * Sec-WebSocket-Protocol header stays out of the request line that proxies log. A token with characters
 * a subprotocol name cannot hold (a JWT has none) goes in the query (RFC 6750 §2.3), as fast accepts too.
 */
const BEARER_PROTOCOL = 'tandem.bearer';
const TOKEN_PROTOCOL_PREFIX = 'tandem.bearer.';
/** RFC 9110's `token` characters, which a subprotocol name is made of (RFC 6455 §4.1). */
const PROTOCOL_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

function withTokenInProtocols(Socket: WebSocketConstructor): SocketFactory {
  return (url, token) => {
    const handshakeFailure = () => UNKNOWN;
    if (PROTOCOL_NAME.test(token))
      return {
        socket: new Socket(url, [BEARER_PROTOCOL, `${TOKEN_PROTOCOL_PREFIX}${token}`]),
        handshakeFailure,
      };
    const target = new URL(url);
    target.searchParams.set('access_token', token);
    return { socket: new Socket(target.toString()), handshakeFailure };
  };
}

/**
 * The platform's WebSocket where there is one (browsers, Node 22+); on Node 20, which has none, the
 * `ws` package, loaded only then, with the token in the Authorization header (kept out of URLs and logs).
 * `ws` can tell a refused upgrade's HTTP status, which the live client needs to renew a token the
 * service refused (401) without renewing on every network failure.
 */
export async function socketFactory(injected?: WebSocketConstructor): Promise<SocketFactory> {
  if (injected) return withTokenInProtocols(injected);
  const platform = (globalThis as { WebSocket?: WebSocketConstructor }).WebSocket;
  if (typeof platform === 'function') return withTokenInProtocols(platform);
  const { WebSocket: NodeWebSocket } = await import('ws');
  return (url, token) => {
    const socket = new NodeWebSocket(url, { headers: { authorization: `Bearer ${token}` } });
    let status: number | undefined;
    // With a listener for it, ws leaves a non-101 answer to us (and says its status only in an error
    // message otherwise): keep the status, then fail the handshake as ws would (error, close 1006).
    socket.once('unexpected-response', (_request, response) => {
      status = response.statusCode;
      response.resume();
      socket.terminate();
    });
    return {
      socket: socket as unknown as SocketLike,
      handshakeFailure: () => (status === undefined ? { kind: 'unanswered' } : { kind: 'refused', status }),
    };
  };
}
