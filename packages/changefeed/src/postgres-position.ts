/**
 * Where a PostgreSQL feed stands. `watermark`: every transaction below it has ended and its events
 * were read. A feed that reads ahead (PostgresSource's `readAhead`) has also read, above the watermark,
 * the events of every transaction below `horizon` except those in `running` (in progress when it last
 * read, so their events were not visible yet).
 *
 * Written `<watermark>` when nothing above it was read (the form snapshots and the Redis relay use:
 * a stream entry's id is its watermark), else `<watermark>:<horizon>:<running,...>`. Positions are
 * transaction ids (`pg_current_xact_id()`), unsigned 64-bit integers.
 */
export interface PostgresPosition {
  readonly watermark: string;
  /** Transactions below it (and at or above the watermark) were read, except `running`. */
  readonly horizon: string;
  readonly running: readonly string[];
}

const TXID = /^\d{1,20}$/;

/** A position as the feed holds it; throws on anything that is not one (a bug, not input). */
export function parsePostgresPosition(position: string): PostgresPosition {
  const [watermark = '', horizon = watermark, running = ''] = position.split(':');
  const ids = running === '' ? [] : running.split(',');
  if (![watermark, horizon, ...ids].every((id) => TXID.test(id)))
    throw new Error(`not a PostgreSQL feed position: ${JSON.stringify(position)}`);
  return { watermark, horizon, running: ids };
}

export function formatPostgresPosition({ watermark, horizon, running }: PostgresPosition): string {
  return horizon === watermark && running.length === 0
    ? watermark
    : `${watermark}:${horizon}:${running.join(',')}`;
}
