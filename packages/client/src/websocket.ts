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

/** Opens a socket to `url` presenting `token`. */
export type SocketFactory = (url: string, token: string) => SocketLike;

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
    if (PROTOCOL_NAME.test(token))
      return new Socket(url, [BEARER_PROTOCOL, `${TOKEN_PROTOCOL_PREFIX}${token}`]);
    const target = new URL(url);
    target.searchParams.set('access_token', token);
    return new Socket(target.toString());
  };
}

/**
 * The platform's WebSocket where there is one (browsers, Node 22+); on Node 20, which has none, the
 * `ws` package, loaded only then, with the token in the Authorization header (kept out of URLs and logs).
 */
export async function socketFactory(injected?: WebSocketConstructor): Promise<SocketFactory> {
  if (injected) return withTokenInProtocols(injected);
  const platform = (globalThis as { WebSocket?: WebSocketConstructor }).WebSocket;
  if (typeof platform === 'function') return withTokenInProtocols(platform);
  const { WebSocket: NodeWebSocket } = await import('ws');
  return (url, token) =>
    new NodeWebSocket(url, { headers: { authorization: `Bearer ${token}` } }) as unknown as SocketLike;
}
