import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { fork, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { loadConfig } from '@tandem/config';
import { Category, Product, User, Write, openOrm, type Orm } from '@tandem/models';
import { createTestDatabase, eventually, type TestDatabase } from '@tandem/models/testing';
import { openWriteQueue, type WriteQueue } from '@tandem/writes';
import { tandem } from './helpers.js';

const bin = fileURLToPath(new URL('../../bin/tandem.js', import.meta.url));

let db: TestDatabase;
let orm: Orm;
let queue: WriteQueue;
let applier: ChildProcess | undefined;
/** The table queue (no REDIS_URL): the command is the same whatever the queue; the queue has its own suites. */
let env: NodeJS.ProcessEnv;

before(async () => {
  db = await createTestDatabase();
  env = { ...process.env, DATABASE_URL: db.url, LOG_LEVEL: 'warn' };
  delete env.REDIS_URL;
  delete env.FEED;
  const migrated = await tandem(['migrate'], env);
  assert.equal(migrated.code, 0, migrated.stderr);
  orm = await openOrm(db.target);
  queue = openWriteQueue(loadConfig(env), orm);
});
after(async () => {
  applier?.kill('SIGKILL');
  await queue?.close();
  await orm?.close(true);
  await db?.drop();
});

// As `tandem start` runs it (an IPC channel to the parent): it reports ready, applies what is queued,
// and on SIGTERM finishes, releases its partitions and exits 0 by itself.
test('tandem applier applies queued writes and exits 0 on SIGTERM', { timeout: 60_000 }, async () => {
  const em = orm.em.fork();
  const user = em.create(User, {
    email: `applier-cli-${Date.now()}@example.com`,
    passwordHash: 'not-a-hash',
  });
  const category = em.create(Category, { name: 'Cli', slug: `cli-${Date.now()}` });
  const product = em.create(Product, {
    sku: `CLI-${Date.now()}`,
    name: 'Cli product',
    priceCents: 300,
    currency: 'EUR',
    stock: 2,
    category,
    published: true,
  });
  await em.flush();
  const subject = String(user.id);
  const ids: number[] = [];
  for (let index = 0; index < 3; index++) {
    const result = await queue.accept({
      collection: 'orders',
      op: 'create',
      recordId: null,
      body: { lines: [{ productId: product.id, quantity: 1 }] },
      subject,
      ownerKey: subject,
      sessionId: null,
      ifMatch: null,
      idempotencyKey: null,
      bodyHash: 'b'.repeat(64),
      acceptedAt: Date.now(),
    });
    assert.equal(result.kind, 'accepted');
    ids.push((result as { id: number }).id);
  }

  applier = fork(bin, ['applier'], { env, stdio: ['ignore', 'pipe', 'pipe', 'ipc'] });
  let stderr = '';
  applier.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = once(applier, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
  const [message] = (await Promise.race([
    once(applier, 'message'),
    exited.then(() => assert.fail(`the applier exited before it was ready: ${stderr}`)),
  ])) as [{ type: string; service: string; url: string }];
  assert.deepEqual(message, { type: 'ready', service: 'applier', url: 'table queue' });

  await eventually('the queued writes have outcomes', async () => {
    const outcomes = await orm.em.fork().find(Write, { id: { $in: ids }, status: { $ne: 'queued' } });
    return outcomes.length === ids.length;
  });
  const outcomes = await orm.em.fork().find(Write, { id: { $in: ids } }, { orderBy: { id: 'asc' } });
  assert.deepEqual(
    outcomes.map((outcome) => [outcome.status, outcome.httpStatus]),
    [
      ['applied', 201],
      ['applied', 201],
      ['rejected', 422],
    ],
  );

  applier.kill('SIGTERM');
  const [code, signal] = await exited;
  assert.deepEqual({ code, signal }, { code: 0, signal: null }, stderr);
});
