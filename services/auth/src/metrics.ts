import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** Prometheus metrics of one auth service instance (its own registry, so tests can run several). */
export class AuthMetrics {
  readonly registry = new Registry();
  readonly tokensIssued = new Counter({
    name: 'tandem_auth_tokens_issued_total',
    help: 'Access tokens issued, by grant type.',
    labelNames: ['grant_type'] as const,
    registers: [this.registry],
  });
  readonly tokenFailures = new Counter({
    name: 'tandem_auth_token_failures_total',
    help: 'Token and revocation requests refused, by endpoint, grant type and OAuth error code.',
    labelNames: ['endpoint', 'grant_type', 'error'] as const,
    registers: [this.registry],
  });
  readonly loginFailures = new Counter({
    name: 'tandem_auth_login_failures_total',
    help: 'Sign-ins refused on the login page, by reason (bad_credentials, throttled).',
    labelNames: ['reason'] as const,
    registers: [this.registry],
  });
  readonly revocations = new Counter({
    name: 'tandem_auth_sessions_revoked_total',
    help: 'Sessions revoked, by reason.',
    labelNames: ['reason'] as const,
    registers: [this.registry],
  });
  readonly requestDuration = new Histogram({
    name: 'tandem_auth_token_request_duration_seconds',
    help: 'Time to answer a token request, by grant type.',
    labelNames: ['grant_type'] as const,
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [this.registry],
  });

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: 'tandem_auth_' });
  }
}
