import type { IncomingMessage } from 'node:http';
import proxyAddr from '@fastify/proxy-addr';

/** The client address of a request: what login throttling counts guesses by. */
export type ClientAddressReader = (req: IncomingMessage) => string;

/**
 * Builds the one reader of client addresses that the admin and the auth service share. With no
 * trusted proxies it is the socket's peer and X-Forwarded-For is ignored, so a client cannot pick its
 * own throttle bucket. With TRUSTED_PROXIES (IPs, CIDR ranges, `loopback`...), proxy-addr walks
 * X-Forwarded-For from the right while the hop is trusted: the address the outermost trusted proxy
 * saw counts, never the entries a client wrote before it.
 */
export function clientAddressReader(trustedProxies: readonly string[]): ClientAddressReader {
  const trust = proxyAddr.compile([...trustedProxies]);
  return (req) => {
    // A socket already closed has no peer; its request is answered by no one, so any key will do.
    if (req.socket.remoteAddress === undefined) return 'unknown';
    return trustedProxies.length === 0 ? req.socket.remoteAddress : proxyAddr(req, trust);
  };
}
