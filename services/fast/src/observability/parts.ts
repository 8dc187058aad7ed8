import type { ChangeFeed } from '@tandem/changefeed';
import type { MetricsAccess } from '@tandem/service';
import type { AccessTokenVerifier, RemoteJwks } from '@tandem/tokens';
import type { HotStore } from '../data/store.js';
import type { FastMetrics } from './metrics.js';

/** What /healthz and /metrics read from a running fast node (its parts, only ever read here), and who may. */
export interface ObservedParts {
  readonly store: HotStore;
  readonly feed: ChangeFeed;
  readonly jwks: RemoteJwks;
  readonly verifier: AccessTokenVerifier;
  readonly metrics: FastMetrics;
  readonly live: { readonly connections: number };
  readonly revoked: { readonly size: number };
  /** The write queue (issue 15), shared by every fast node: its depth is read on each scrape. */
  readonly writeQueue: { depth(): Promise<number> };
  /** Who may read /metrics and /healthz's details (METRICS_TOKEN). */
  readonly metricsAccess: MetricsAccess;
}
