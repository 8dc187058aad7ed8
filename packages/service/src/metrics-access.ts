import { createHash, timingSafeEqual } from 'node:crypto';
import type { Config } from '@tandem/config';

/**
 * What a /metrics request without the right token is answered, by fast and auth alike (each in its own
 * error shape): the error code, the human message and the RFC 6750 challenge.
 */
export const METRICS_REFUSAL = {
  error: 'invalid_token',
  message: 'Reading /metrics needs the bearer token METRICS_TOKEN.',
  challenge: 'Bearer realm="metrics"',
} as const;

const sha256 = (text: string) => createHash('sha256').update(text, 'utf8').digest();

/**
 * Who may read a service's /metrics. Without METRICS_TOKEN, anyone who reaches the port: keep it on a
 * private network. With it, only `Authorization: Bearer <METRICS_TOKEN>`, as Prometheus sends it from
 * `authorization.credentials` in a scrape config. Digests of the two are compared in constant time,
 * so the time of an answer says nothing about how long or how right a guess was.
 */
export class MetricsAccess {
  private readonly expected: Buffer | undefined;

  constructor(token: string | undefined) {
    this.expected = token === undefined ? undefined : sha256(token);
  }

  /** True when a token is required. */
  get guarded(): boolean {
    return this.expected !== undefined;
  }

  /** Whether a request with this Authorization header (undefined: none) may read the metrics. */
  allows(authorization: string | undefined): boolean {
    if (this.expected === undefined) return true;
    if (authorization === undefined) return false;
    const space = authorization.indexOf(' ');
    // The scheme is case-insensitive (RFC 9110 §11.1); the token is compared byte for byte.
    if (space < 0 || authorization.slice(0, space).toLowerCase() !== 'bearer') return false;
    return timingSafeEqual(sha256(authorization.slice(space + 1)), this.expected);
  }
}

/** The header line a scraper (the admin's dashboard) sends with its requests, when a token is set. */
export function metricsAuthorization(token: string | undefined): Record<string, string> {
  return token === undefined ? {} : { authorization: `Bearer ${token}` };
}

const LOOPBACK = /^(127\.|::1$|localhost$)/;

/**
 * The start-up warning of a production service whose /metrics anyone on its network can read (no
 * METRICS_TOKEN, bound beyond the loopback address); undefined when there is nothing to warn about.
 */
export function openMetricsWarning(
  config: Pick<Config, 'env' | 'host' | 'metricsToken'>,
): string | undefined {
  if (config.env !== 'production' || config.metricsToken !== undefined || LOOPBACK.test(config.host))
    return undefined;
  return `/metrics answers anyone who can reach ${config.host}: set METRICS_TOKEN, or keep the port on a private network`;
}
