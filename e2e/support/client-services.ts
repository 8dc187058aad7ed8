/**
 * The set-up the client end-to-end files share (client-tokens, client-collections, client-live,
 * client-browser, client-credentials-to-fast): a fresh migrated database with the reader's catalog
 * (and, when asked, a machine client), the compiled auth and fast services on it, and the teardown in
 * reverse order. node --test runs each file in a process of its own, so nothing can be shared across
 * files: each file starts these once, in the hooks registered here, and its tests share them.
 *
 * A file's own `before` that uses them awaits `ready` first: node 20 runs a `before` registered at a
 * file's top level at once, not after the hooks registered earlier.
 */
import assert from 'node:assert/strict';
import { after, before } from 'node:test';
import { createTandemClient, type TandemClient, type TandemClientOptions } from '@tandem/client';
import { createMigratedDatabase, type MigratedTestDatabase } from '@tandem/models/testing';
import { tandem } from '../bench/catalog.js';
import { E2E_SECRET_KEY } from './admin-process.js';
import { seedReaderCatalog } from './catalog.js';
import { recordingFetch, type RecordingFetch } from './recording-fetch.js';
import type { ServiceProcess } from './service-process.js';
import { startFastService, startTokenServices } from './token-services.js';

export interface MachineClient {
  readonly clientId: string;
  readonly clientSecret: string;
}

export interface ClientServicesOptions {
  /** Published products SKU-1..SKU-N in the Tools category, besides the reader (seedReaderCatalog). */
  readonly products: number;
  /** More rows, written before the services start (fast snapshots what is there then). */
  readonly seed?: (db: MigratedTestDatabase) => Promise<void>;
  /** Creates a machine client of this name with scope catalog:read, as `tandem createclient` does. */
  readonly machineClient?: string;
  /** More settings for auth and fast, asked for just before they start (e.g. a test page's origin). */
  readonly env?: () => Record<string, string> | Promise<Record<string, string>>;
  /** The file's skip message: when set, nothing is started. */
  readonly skip?: false | string;
}

export interface ClientServices {
  /** Settles when the `before` hook has started everything (rejects when it failed). */
  readonly ready: Promise<void>;
  readonly db: MigratedTestDatabase;
  readonly auth: ServiceProcess;
  /** The fast process running now (startFastAgain replaces it). */
  readonly fast: ServiceProcess;
  /** Every process running now, in start order: what withServiceLogs prints. */
  readonly processes: readonly ServiceProcess[];
  /** The machine client, when the options asked for one. */
  readonly machine: MachineClient;
  /** Starts fast again (on a new port) after a test stopped it; it becomes `fast`. */
  startFastAgain(): Promise<ServiceProcess>;
  /** Runs `close` when the file ends, last given first, before the services stop (clients, relays). */
  closeAtEnd(close: () => void | Promise<void>): void;
  /** A @tandem/client for auth and fast whose every exchange is recorded, closed when the file ends. */
  recordedClient(options?: Pick<TandemClientOptions, 'expiryMarginMs'>): {
    client: TandemClient;
    recording: RecordingFetch;
  };
}

/** `tandem createclient NAME --scope catalog:read`: a machine client, its secret read from the output. */
export async function createMachineClient(databaseUrl: string, name: string): Promise<MachineClient> {
  const created = await tandem(['createclient', name, '--scope', 'catalog:read'], {
    DATABASE_URL: databaseUrl,
    TANDEM_SECRET_KEY: E2E_SECRET_KEY,
  });
  const clientId = /client_id:\s+(\S+)/.exec(created)?.[1];
  const clientSecret = /client_secret:\s+(\S+)/.exec(created)?.[1];
  assert.ok(clientId && clientSecret, `could not read the client from:\n${created}`);
  return { clientId, clientSecret };
}

/**
 * Registers the file's `before` (database, seed, machine client, auth then fast) and `after` (what
 * closeAtEnd was given, the processes in reverse, the database); the returned object is usable in
 * the tests, once `before` has run.
 */
export function useClientServices(options: ClientServicesOptions): ClientServices {
  let db: MigratedTestDatabase | undefined;
  let auth: ServiceProcess | undefined;
  let fast: ServiceProcess | undefined;
  let machine: MachineClient | undefined;
  let env: Record<string, string> = {};
  const closers: (() => void | Promise<void>)[] = [];
  const started = <T>(value: T | undefined, what: string): T => {
    assert.ok(value !== undefined, `${what} is not there: the file's before hook has not run (or failed)`);
    return value;
  };

  let settle!: (error?: unknown) => void;
  const ready = new Promise<void>((resolve, reject) => {
    settle = (error) => (error === undefined ? resolve() : reject(error));
  });
  // The hook reports the failure; a file that never awaits `ready` must not see it twice.
  ready.catch(() => undefined);

  before(async () => {
    try {
      if (!options.skip) {
        db = await createMigratedDatabase();
        await seedReaderCatalog(db, options.products);
        await options.seed?.(db);
        if (options.machineClient) machine = await createMachineClient(db.url, options.machineClient);
        env = (await options.env?.()) ?? {};
        ({ auth, fast } = await startTokenServices(db.url, env));
      }
      settle();
    } catch (error) {
      settle(error);
      throw error;
    }
  });

  after(async () => {
    for (const close of closers.reverse()) await close();
    for (const service of [fast, auth]) await service?.stop();
    await db?.close();
  });

  return {
    ready,
    get db() {
      return started(db, 'the database');
    },
    get auth() {
      return started(auth, 'auth');
    },
    get fast() {
      return started(fast, 'fast');
    },
    get processes() {
      return [auth, fast].filter((service) => service !== undefined);
    },
    get machine() {
      return started(machine, 'the machine client (machineClient option)');
    },
    async startFastAgain() {
      fast = await startFastService(started(db, 'the database').url, started(auth, 'auth').url, env);
      return fast;
    },
    closeAtEnd(close) {
      closers.push(close);
    },
    recordedClient(options = {}) {
      const recording = recordingFetch();
      const client = createTandemClient({
        authUrl: started(auth, 'auth').url,
        fastUrl: started(fast, 'fast').url,
        fetch: recording.fetch,
        ...options,
      });
      closers.push(() => client.close());
      return { client, recording };
    },
  };
}
