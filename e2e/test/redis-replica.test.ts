/**
 * A fast replica with FEED=redis reads the database only for its snapshot: once it is serving, its
 * changes come from the Redis Stream the relay (`tandem relay`) fills. With the relay stopped, a change
 * committed in the database is seen by a node that tails the database (the control) but not by the
 * replica; when the relay starts again the replica gets it from the stream, with no reload. And a
 * replica that falls further behind than the stream's length (REDIS_STREAM_MAXLEN; it was paused while
 * the relay trimmed the entries it still needed) notices the gap, reloads a snapshot and ends up equal
 * to the database. Real processes: auth, relay, the replica and the control node, on one database.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  createMigratedDatabase,
  eventually,
  testDialect,
  type MigratedTestDatabase,
} from '@tandem/models/testing';
import { E2E_SECRET_KEY } from '../support/admin-process.js';
import { readerToken, seedReaderCatalog } from '../support/catalog.js';
import { deleteStream, firstEntry, lastEntry } from '../support/redis-stream.js';
import { ENTRY_POINTS, startServiceProcess, type ServiceProcess } from '../support/service-process.js';
import { withServiceLogs } from '../support/token-services.js';

const REDIS_URL = process.env.REDIS_URL;
const hasRedisCli = (() => {
  try {
    execFileSync('redis-cli', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();
const skip = !REDIS_URL
  ? 'REDIS_URL is not set: the FEED=redis replica test needs a real Redis'
  : !hasRedisCli
    ? 'redis-cli is not installed (apt-get install redis-tools)'
    : false;

/** The smallest stream config accepts; Redis trims `MAXLEN ~` by whole nodes (100 entries by default). */
const STREAM_MAXLEN = 100;
/** Feed timings of both fast nodes: a node that read the database would see a change within one poll. */
const FEED_TIMINGS = { FEED_POLL_MS: '10', FEED_FALLBACK_POLL_MS: '100' };
/**
 * How long the replica is watched for a change it must not see. Not a speed assertion: the control
 * node, which tails the database with the same timings, has already seen the change by then; a
 * replica that read the database would have 20 of its slowest polls (100 ms) to show it.
 */
const NOT_SEEN_WINDOW_MS = 2_000;

interface Item {
  readonly id: number;
  readonly name: string;
  readonly stock: number;
}

describe(
  `a FEED=redis fast replica reads the database only for its snapshot (${testDialect()})`,
  { skip },
  () => {
    let db: MigratedTestDatabase;
    const processes: ServiceProcess[] = [];
    let relay: ServiceProcess | undefined;
    let replica: ServiceProcess;
    let control: ServiceProcess;
    let token = '';
    const streamKey = `tandem-e2e:${randomBytes(6).toString('hex')}:changes`;
    const base = () => ({ DATABASE_URL: db.url, HOST: '127.0.0.1', TANDEM_SECRET_KEY: E2E_SECRET_KEY });
    const feed = { FEED: 'redis', REDIS_URL: REDIS_URL ?? '', REDIS_STREAM_KEY: streamKey };
    const sql = (query: string, params: unknown[] = []) => db.orm.em.getConnection().execute(query, params);

    const startRelay = async () => {
      relay = await startServiceProcess('relay', ENTRY_POINTS.tandem, {
        args: ['relay'],
        env: { ...base(), ...feed, ...FEED_TIMINGS, REDIS_STREAM_MAXLEN: String(STREAM_MAXLEN) },
      });
      processes.push(relay);
    };
    /**
     * Stops the relay the way `tandem start` going away does: by closing its IPC channel. SIGTERM alone
     * does not end a `tandem relay` that has an IPC channel (it stops relaying but the process stays: its
     * leftover 'disconnect' listener keeps the channel referenced), so `stop()` alone would hang here.
     */
    const stopRelay = async () => {
      if (relay?.child.connected) relay.child.disconnect();
      await relay?.stop();
    };
    const products = async (node: ServiceProcess): Promise<Map<number, Item>> => {
      const response = await fetch(`${node.url}/v1/products?limit=1000`, {
        headers: { authorization: `Bearer ${token}` },
      });
      assert.equal(response.status, 200, `${node.name}: ${response.status}`);
      const { items } = (await response.json()) as { items: Item[] };
      return new Map(items.map((item) => [item.id, item]));
    };
    const nameOf = async (node: ServiceProcess, sku: string) => {
      const [row] = (await sql(`select id from products where sku = ?`, [sku])) as { id: number }[];
      return (await products(node)).get(Number(row!.id))?.name;
    };
    const snapshotsLoaded = async (node: ServiceProcess) => {
      const text = await (await fetch(`${node.url}/metrics`)).text();
      return Number(/^tandem_fast_feed_snapshots_total (\d+)$/m.exec(text)?.[1]);
    };
    const databaseStocks = async () => {
      const published = testDialect() === 'postgresql' ? 'true' : '1';
      const rows = (await sql(`select id, stock from products where published = ${published}`)) as {
        id: number;
        stock: number;
      }[];
      return new Map(rows.map((row) => [Number(row.id), Number(row.stock)]));
    };
    const sameStocks = (node: Map<number, Item>, database: Map<number, number>) =>
      node.size === database.size && [...database].every(([id, stock]) => node.get(id)?.stock === stock);

    before(async () => {
      db = await createMigratedDatabase();
      await seedReaderCatalog(db, 10);
      const auth = await startServiceProcess('auth', ENTRY_POINTS.auth, {
        env: { ...base(), AUTH_PORT: '0' },
      });
      processes.push(auth);
      token = await readerToken(auth.url);
      await startRelay();
      const fastEnv = { ...base(), ...FEED_TIMINGS, FAST_PORT: '0', TOKEN_ISSUER: auth.url };
      replica = await startServiceProcess('fast-redis', ENTRY_POINTS.fast, { env: { ...fastEnv, ...feed } });
      processes.push(replica);
      control = await startServiceProcess('fast-database', ENTRY_POINTS.fast, { env: fastEnv });
      processes.push(control);
    });

    after(async () => {
      replica?.child.kill('SIGCONT'); // a paused process would not act on SIGTERM
      await stopRelay();
      for (const service of [...processes].reverse()) await service.stop();
      await db?.close();
      if (REDIS_URL) await deleteStream(REDIS_URL, streamKey);
    });

    it('with the relay stopped, a database change does not reach the replica; it does once the relay runs again', () =>
      withServiceLogs(processes, async () => {
        assert.equal(await nameOf(replica, 'SKU-1'), 'Tool 1');
        await stopRelay();

        await sql(`update products set name = 'Changed while the relay is stopped' where sku = 'SKU-1'`);
        await eventually(
          'the control node, which tails the database, sees the change',
          async () => (await nameOf(control, 'SKU-1')) === 'Changed while the relay is stopped',
        );
        const watchUntil = Date.now() + NOT_SEEN_WINDOW_MS;
        while (Date.now() < watchUntil) {
          assert.equal(await nameOf(replica, 'SKU-1'), 'Tool 1', 'the replica read the database');
          await sleep(50);
        }

        await startRelay();
        await eventually(
          'the replica gets the change from the stream once the relay runs',
          async () => (await nameOf(replica, 'SKU-1')) === 'Changed while the relay is stopped',
        );
        assert.equal(await snapshotsLoaded(replica), 1, 'from the stream, not from a reload');
      }));

    it('a replica that fell behind the trimmed stream reloads a snapshot and ends up equal to the database', () =>
      withServiceLogs(processes, async () => {
        const health = (await (await fetch(`${replica.url}/healthz`)).json()) as {
          feed: { position: string };
        };
        const position = BigInt(health.feed.position);
        assert.equal(await snapshotsLoaded(replica), 1);

        // Paused like a stalled VM: the relay keeps writing, one entry per change, and trims the stream.
        replica.child.kill('SIGSTOP');
        let trimmedPast = false;
        let last = (await lastEntry(REDIS_URL!, streamKey))?.to;
        for (let i = 0; i < 2_000 && !trimmedPast; i++) {
          const before = last;
          await sql(`update products set stock = stock + 1 where sku = ?`, [`SKU-${(i % 10) + 1}`]);
          await eventually('the relay writes the change', async () => {
            last = (await lastEntry(REDIS_URL!, streamKey))?.to;
            return last !== before;
          });
          if (i % 20 === 19) trimmedPast = ((await firstEntry(REDIS_URL!, streamKey))?.from ?? 0n) > position;
        }
        assert.ok(trimmedPast, 'the stream was trimmed past the paused replica');
        replica.child.kill('SIGCONT');

        const expected = await databaseStocks();
        await eventually(
          'the replica reloads a snapshot and equals the database',
          async () => (await snapshotsLoaded(replica)) >= 2 && sameStocks(await products(replica), expected),
        );
        assert.ok(sameStocks(await products(control), expected), 'the control agrees');
      }));
  },
);
