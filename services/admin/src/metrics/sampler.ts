/**
 * Scrapes the services' own Prometheus endpoints every few seconds and keeps the last hour of the
 * dashboard's plots (live-series.ts). No monitoring stack needed on one machine; the endpoints stay
 * for whoever has one. A service that cannot be read leaves a gap and is reported as unreachable,
 * with why, until a scrape succeeds again; the sampler never throws.
 */
import type { Config } from '@tandem/config';
import type { Logger } from '@tandem/log';
import { metricsAuthorization } from '@tandem/service';
import { LiveSeries, type PlotData } from './live-series.js';
import { PLOTS, type ServiceName } from './plots.js';
import { parsePrometheusText, type Sample } from './prometheus-text.js';

export const SCRAPE_INTERVAL_SECONDS = 5;
export const WINDOW_SECONDS = 3600;
/** Below the interval, so a slow service delays at most one tick (ticks do not overlap). */
const SCRAPE_TIMEOUT_MS = 4000;
/** Far above what fast or auth expose (a few KB): a bigger answer is not theirs. */
const MAX_SCRAPE_BYTES = 1024 * 1024;

export interface ServiceStatus {
  readonly name: ServiceName;
  readonly url: string;
  readonly up: boolean;
  /** When the service was last read (ISO 8601), if ever. */
  readonly lastRead?: string;
  /** Why the last scrape failed. */
  readonly error?: string;
}

export interface LiveMetrics {
  readonly intervalSeconds: number;
  readonly windowSeconds: number;
  readonly services: readonly ServiceStatus[];
  readonly plots: readonly PlotData[];
}

/**
 * Where fast and auth answer /metrics: FAST_METRICS_URL and AUTH_METRICS_URL, by default the services'
 * ports on the host they bind (the loopback address when they bind every interface), as `tandem start`
 * runs them (@tandem/config derives them).
 */
export function metricsTargets(config: Config): Record<ServiceName, string> {
  return { fast: config.metricsUrls.fast, auth: config.metricsUrls.auth };
}

function failure(error: unknown): string {
  const cause = (error as { cause?: { code?: string; message?: string } }).cause;
  if (cause?.code === 'ECONNREFUSED') return 'connection refused';
  if ((error as Error).name === 'TimeoutError') return `no answer within ${SCRAPE_TIMEOUT_MS} ms`;
  return cause?.code ?? cause?.message ?? (error as Error).message;
}

async function scrape(url: string, headers: Record<string, string>): Promise<Sample[]> {
  const response = await fetch(url, {
    headers,
    signal: AbortSignal.timeout(SCRAPE_TIMEOUT_MS),
    redirect: 'error',
  });
  if (response.status === 401) throw new Error('HTTP 401: METRICS_TOKEN is not the one this service expects');
  if (!response.ok) throw new Error(`HTTP ${response.status}`);
  const text = await response.text();
  if (text.length > MAX_SCRAPE_BYTES) throw new Error('answer too large');
  return parsePrometheusText(text);
}

interface Target {
  readonly url: string;
  previous?: { samples: Sample[]; at: number };
  status: ServiceStatus;
}

export class MetricsSampler {
  private readonly series = new LiveSeries(PLOTS, WINDOW_SECONDS);
  private readonly targets: Map<ServiceName, Target>;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;

  /** The Authorization header of every scrape (METRICS_TOKEN), or none. */
  private readonly headers: Record<string, string>;

  private readonly intervalSeconds: number;

  constructor(
    urls: Record<ServiceName, string>,
    private readonly logger: Logger,
    options: { readonly intervalSeconds?: number; readonly metricsToken?: string } = {},
  ) {
    this.intervalSeconds = options.intervalSeconds ?? SCRAPE_INTERVAL_SECONDS;
    this.headers = metricsAuthorization(options.metricsToken);
    this.targets = new Map(
      (Object.entries(urls) as [ServiceName, string][]).map(([name, url]) => [
        name,
        { url, status: { name, url, up: false, error: 'not read yet' } },
      ]),
    );
  }

  start(): void {
    if (this.timer) return;
    void this.tick();
    this.timer = setInterval(() => void this.tick(), this.intervalSeconds * 1000);
    this.timer.unref();
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.running;
  }

  /** One scrape of every service (skipped while the previous one still runs). */
  tick(): Promise<void> {
    this.running ??= Promise.all([...this.targets].map(([name, target]) => this.read(name, target)))
      .then(() => undefined)
      .finally(() => {
        this.running = undefined;
      });
    return this.running;
  }

  private async read(name: ServiceName, target: Target): Promise<void> {
    const now = Date.now();
    const t = Math.round(now / 1000);
    const plots = PLOTS.filter((plot) => plot.service === name);
    try {
      const samples = await scrape(target.url, this.headers);
      const before = target.previous;
      const seconds = before ? (now - before.at) / 1000 : 0;
      for (const plot of plots) this.series.add(plot.id, t, plot.read(samples, before?.samples, seconds));
      target.previous = { samples, at: now };
      target.status = { name, url: target.url, up: true, lastRead: new Date(now).toISOString() };
    } catch (error) {
      for (const plot of plots) this.series.add(plot.id, t, null);
      if (target.status.up)
        this.logger.warn({ service: name, url: target.url, err: error }, 'metrics scrape failed');
      // The last good reading stays: the next one's increase covers the gap, so no event goes uncounted.
      const { lastRead } = target.status;
      target.status = {
        name,
        url: target.url,
        up: false,
        error: failure(error),
        ...(lastRead ? { lastRead } : {}),
      };
    }
  }

  snapshot(): LiveMetrics {
    return {
      intervalSeconds: this.intervalSeconds,
      windowSeconds: WINDOW_SECONDS,
      services: [...this.targets.values()].map((target) => target.status),
      plots: this.series.snapshot(),
    };
  }
}
