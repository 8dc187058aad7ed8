/**
 * The access token of a browser's live connection, in the WebSocket subprotocol list. Browsers cannot
 * set headers on a WebSocket; the query parameter they could use instead (`?access_token=`) is part of
 * the request line, which proxies log (nginx's error log keeps it on every upstream error). The list
 * travels in the `Sec-WebSocket-Protocol` header, which logs leave out. As Kubernetes does
 * (`base64url.bearer.authorization.k8s.io.<token>`), the client offers two: BEARER_PROTOCOL, which the
 * server selects in its answer (a browser fails a connection whose answer selects none of its offers),
 * and TOKEN_PROTOCOL_PREFIX followed by the token, which is never sent back. A JWT's characters
 * (base64url and dots) are all allowed in a subprotocol name (RFC 6455 §4.1, RFC 9110 token).
 * @tandem/client (packages/client/src/websocket.ts) spells the same two names.
 */
export const BEARER_PROTOCOL = 'tandem.bearer';
export const TOKEN_PROTOCOL_PREFIX = 'tandem.bearer.';

export interface OfferedProtocols {
  /** The token offered as `tandem.bearer.<token>`, if any. */
  readonly token?: string;
  /** The Sec-WebSocket-Protocol value to answer with: never the token's. */
  readonly answer: string;
}

/** Reads the client's Sec-WebSocket-Protocol header; without a token in it, the answer is the header as before. */
export function offeredProtocols(header: string): OfferedProtocols {
  if (!header.includes(TOKEN_PROTOCOL_PREFIX)) return { answer: header };
  const offered = header.split(',').map((name) => name.trim());
  const carrier = offered.find((name) => name.startsWith(TOKEN_PROTOCOL_PREFIX));
  const token = carrier?.slice(TOKEN_PROTOCOL_PREFIX.length);
  return {
    ...(token ? { token } : {}),
    answer: offered.includes(BEARER_PROTOCOL) ? BEARER_PROTOCOL : '',
  };
}
