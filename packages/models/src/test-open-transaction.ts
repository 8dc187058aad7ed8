import pg from 'pg';

/**
 * A PostgreSQL transaction that holds a transaction id until `end()`: the change feed's window
 * (events of transactions below the oldest running one) stays below it meanwhile, as any long
 * transaction on the server would hold it. For tests of what the feed shows while it waits.
 */
export async function openTransaction(url: string): Promise<{ end(): Promise<void> }> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  await client.query('begin');
  await client.query('select pg_current_xact_id()');
  return {
    async end() {
      await client.query('commit');
      await client.end();
    },
  };
}
