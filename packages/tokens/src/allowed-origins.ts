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

  /** Reads the list now, then every `intervalMs` until stop(). */
  async start(intervalMs = ALLOWED_ORIGINS_REFRESH_MS): Promise<void> {
    await this.refresh();
    this.timer = setInterval(() => void this.refresh().catch(() => undefined), intervalMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }
}
