import { bearer } from './http.js';

/**
 * Authorization headers that are not `Bearer <metricsToken>`, as someone probing /metrics or /healthz
 * would send them: another bearer, the token one character short or long, without its scheme, as Basic
 * credentials, and an API access token (valid for the API, not a metrics token).
 */
export function notTheMetricsToken(metricsToken: string, accessToken: string): Record<string, string>[] {
  return [
    bearer('not-the-metrics-token-0123456789abcdefghij'),
    bearer(metricsToken.slice(0, -1)),
    bearer(`${metricsToken}x`),
    { authorization: metricsToken },
    { authorization: `Basic ${Buffer.from(`x:${metricsToken}`).toString('base64')}` },
    bearer(accessToken),
  ];
}
