import { loadConfigOrExit, type Config } from '@tandem/config';
import { createLogger, type Logger } from '@tandem/log';
import { MissingDatabaseError, missingSqliteFile, openOrm, type Orm } from '@tandem/models';
import type { ReadyMessage, RunningService, ServiceOptions } from './running-service.js';

/** One service's entry point, as `runService` runs it. `P` is what `prepare` hands to `start`. */
export interface ServiceDefinition<S extends RunningService, P = undefined> {
  /** 'admin', 'auth', 'fast': names the logger, the stderr lines and the ready message. */
  readonly name: string;
  /** Overrides for openOrm (fast only reads the metadata: `{ connect: false }`). */
  readonly orm?: Parameters<typeof openOrm>[1];
  /** Checks and set-up before anything is opened; throw to refuse to start. */
  prepare?(config: Config, logger: Logger): P | Promise<P>;
  start(options: ServiceOptions, prepared: P): Promise<S>;
  /**
   * Resolves once the service can serve (fast: its first snapshot is loaded), with extra fields for the
   * "ready" log line. The ready message is sent after it; by default at once.
   */
  ready?(service: S, options: ServiceOptions): Promise<Record<string, unknown>> | Record<string, unknown>;
}

const messageOf = (error: unknown) => (error instanceof Error ? error.message : String(error));

/**
 * The life of a service process, the same for every service:
 * - the config from the environment (a bad variable: one line on stderr, exit 2);
 * - prepare, open the ORM (a SQLite file that is not there is a failure: see missingSqliteFile), start;
 *   a failure is logged, written to stderr as `<name>: failed to start: <message>`, whatever was opened
 *   is closed, exit 1;
 * - SIGINT, SIGTERM, or the IPC channel closing (the parent exited, even by SIGKILL) stop the service and
 *   close the ORM, then exit 0 (1 if closing failed);
 * - once ready, `{type: 'ready', service, url}` to the parent over IPC, if there is one.
 */
export async function runService<S extends RunningService, P = undefined>(
  definition: ServiceDefinition<S, P>,
): Promise<void> {
  const { name } = definition;
  const config = loadConfigOrExit(name);
  const logger = createLogger(name, config.logLevel);
  let orm: Orm | undefined;
  let service: S | undefined;
  let stopping = false;

  const fail = async (what: string, error: unknown): Promise<never> => {
    logger.fatal({ err: { message: messageOf(error) } }, `${name} service ${what}`);
    process.stderr.write(`${name}: ${what}: ${messageOf(error)}\n`);
    await service?.close().catch(() => undefined);
    await orm?.close(true).catch(() => undefined);
    process.exit(1);
  };

  let options: ServiceOptions;
  try {
    const prepared = definition.prepare
      ? await definition.prepare(config, logger)
      : (undefined as unknown as P);
    // Only `tandem migrate` and `tandem start` make a new database: a service on a mistyped path stops.
    const missing = missingSqliteFile(config.database);
    if (missing) throw new MissingDatabaseError(missing);
    orm = await openOrm(config.database, definition.orm);
    options = { config, orm, logger };
    service = await definition.start(options, prepared);
  } catch (error) {
    return fail('failed to start', error);
  }
  const started = service;

  const stop = async (reason: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal: reason }, `${name} service stopping`);
    try {
      await started.close();
      await orm?.close(true);
      process.exit(0);
    } catch (error) {
      logger.error({ err: { message: messageOf(error) } }, `${name} service did not stop cleanly`);
      process.exit(1);
    }
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
  // Started by `tandem start` or a test (an IPC channel): stop with the parent, even one killed with SIGKILL.
  process.once('disconnect', () => void stop('parent exited'));

  let details: Record<string, unknown> = {};
  try {
    details = (await definition.ready?.(started, options)) ?? {};
  } catch (error) {
    // Closing on a stop signal may end the wait for readiness: that is no failure.
    if (stopping) return;
    return fail('failed to become ready', error);
  }
  if (stopping) return;
  logger.info({ url: started.url, ...details }, `${name} service ready`);
  const ready: ReadyMessage = { type: 'ready', service: name, url: started.url };
  process.send?.(ready);
}
