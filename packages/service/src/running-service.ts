import type { Config } from '@tandem/config';
import type { Logger } from '@tandem/log';
import type { Orm } from '@tandem/models';

/** What every service's start function takes. Tests pass their own database's ORM and port 0. */
export interface ServiceOptions {
  readonly config: Config;
  /** Open, owned by the caller: the service does not close it. */
  readonly orm: Orm;
  readonly logger: Logger;
  /** Overrides the service's port from the config (0 picks a free one). */
  readonly port?: number;
}

/** What every service's start function returns: where it listens, and how to stop it. */
export interface RunningService {
  /** Base URL, e.g. http://127.0.0.1:8001 (what the ready message carries). */
  readonly url: string;
  /** Stops listening and releases what the service opened itself. */
  close(): Promise<void>;
}

/**
 * What a service sends its parent over IPC once it can serve: `tandem start` (packages/cli) waits for
 * it before starting the services that depend on this one, and so do the tests that fork a service.
 */
export interface ReadyMessage {
  readonly type: 'ready';
  readonly service: string;
  readonly url: string;
}
