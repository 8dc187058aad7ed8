import pg from 'pg';
import { eventually } from './test-waiting.js';

/**
 * PostgreSQL: runs `act` while another writer's open transaction holds rows (`hold` runs its statements
 * there, e.g. the applier cancelling an order, or a batch holding a product). Once `act` waits for a
 * lock, `whileWaiting` runs on a third connection; then the writer commits, and `act`'s result is given.
 */
export async function whileAnotherWriterHolds<T>(
  url: string,
  hold: (writer: pg.Client) => Promise<unknown>,
  act: () => Promise<T>,
  whileWaiting: (probe: pg.Client) => Promise<void> = async () => undefined,
): Promise<T> {
  const writer = new pg.Client({ connectionString: url });
  const probe = new pg.Client({ connectionString: url });
  await writer.connect();
  await probe.connect();
  try {
    await writer.query('begin');
    await hold(writer);
    const acting = act();
    acting.catch(() => undefined); // awaited below; not an unhandled rejection meanwhile
    await eventually('the request waits for a row the other writer holds', async () => {
      const { rows } = await probe.query(
        `select 1 from pg_stat_activity where wait_event_type = 'Lock' and datname = current_database()`,
      );
      return rows.length > 0;
    });
    await whileWaiting(probe);
    await writer.query('commit');
    return await acting;
  } finally {
    await writer.end();
    await probe.end();
  }
}

/** Whether the row `id` of `table` can be locked at once: nobody holds it. */
export async function rowIsFree(
  probe: pg.Client,
  table: 'orders' | 'products',
  id: number,
): Promise<boolean> {
  await probe.query('begin');
  try {
    await probe.query(`select id from ${table} where id = $1 for update nowait`, [id]);
    return true;
  } catch (error) {
    if ((error as { code?: string }).code === '55P03') return false; // lock_not_available
    throw error;
  } finally {
    await probe.query('rollback');
  }
}
