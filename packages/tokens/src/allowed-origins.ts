import { Client, type Orm } from '@tandem/models';

/** How often the clients' origins are read again (a new client's origin works within this). */
export const ALLOWED_ORIGINS_REFRESH_MS = 5_000;

/**
 * The web origins allowed to call the auth and fast services from a browser (CORS): CORS_ALLOWED_ORIGINS
 * plus every active client's registered origins. Read from the database at start and every few
 * seconds in the background, so a request's check is a Set lookup (fast's hot path stays free of I/O).
 * A failed read keeps the last list.
 */
export class AllowedOrigins {
  private origins: ReadonlySet<string>;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly orm: Orm,
    private readonly fixed: readonly string[],
  ) {
    this.origins = new Set(fixed);
  }

  has(origin: string): boolean {
    return this.origins.has(origin);
  }

  async refresh(): Promise<void> {
    const clients = await this.orm.em.fork().find(Client, { isActive: true }, { fields: ['allowedOrigins'] });
    this.origins = new Set([...this.fixed, ...clients.flatMap((client) => client.allowedOrigins)]);
  }

  /**
   * Reads the list now and then every `intervalMs` until stop(), in the background. A read that fails
   * (the database not reachable yet, or locked) keeps the last list, goes to `onError`, and is tried
   * again at the next tick: it must not stop a service that serves without the database. The promise
   * settles at the first successful read. A tick finds the previous read still waiting (a locked or
   * slow database) starts none: reads never overlap, so an older one cannot finish last and put back
   * an origin a newer one had seen removed, nor do reads pile up on the database while it is stuck.
   */
  keepFresh(onError: (error: unknown) => void, intervalMs = ALLOWED_ORIGINS_REFRESH_MS): Promise<void> {
    let loaded!: () => void;
    const firstRead = new Promise<void>((resolve) => (loaded = resolve));
    let reading = false;
    const read = () => {
      if (reading) return;
      reading = true;
      void this.refresh()
        .then(loaded, (error: unknown) => {
          onError(error);
        })
        .finally(() => (reading = false));
    };
    read();
    this.timer = setInterval(read, intervalMs);
    this.timer.unref();
    return firstRead;
  }

  stop(): void {
    clearInterval(this.timer);
  }
}
