import type { DatabaseTarget } from '@tandem/config';

/** The server a suite runs against: PostgreSQL when DATABASE_URL says so, else a temp SQLite file. */
export function testDialect(
  serverUrl: string | undefined = process.env.DATABASE_URL,
): DatabaseTarget['dialect'] {
  return serverUrl && !serverUrl.startsWith('sqlite:') ? 'postgresql' : 'sqlite';
}

/**
 * CI runs the whole suite twice, on SQLite and on PostgreSQL. A test whose outcome cannot depend on
 * the database (what it exercises is a client library, a browser page or a service's own logic, and
 * every SQL, change-feed, trigger, migration and revocation path it crosses is run on both databases
 * by other tests) runs once, in the SQLite pass: the PostgreSQL pass skips it with this message.
 * TANDEM_ALL_DIALECTS=1 runs it on PostgreSQL too (to run it there on purpose).
 *
 * Returns false (run) or the skip message, for node:test's `{ skip }`; `why` says what makes the
 * test independent of the dialect, so that the message argues it where it is printed.
 */
export function sqlitePassOnly(
  why: string,
  env: Readonly<Record<string, string | undefined>> = process.env,
): false | string {
  if (testDialect(env.DATABASE_URL) === 'sqlite' || env.TANDEM_ALL_DIALECTS === '1') return false;
  return (
    `ran in the SQLite pass; nothing here depends on the database dialect: ${why}. ` +
    'TANDEM_ALL_DIALECTS=1 runs it on PostgreSQL too'
  );
}
