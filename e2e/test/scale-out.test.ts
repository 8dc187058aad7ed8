/**
 * Two fast replicas fed by Redis (FEED=redis, one relay) behind the repository's nginx config: a change
 * made in the database is seen through nginx from both replicas, live over WebSocket, and requests keep
 * succeeding after one replica is killed.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import WebSocket from 'ws';
import { createMigratedDatabase, eventually, type MigratedTestDatabase } from '@tandem/models/testing';
import { NGINX_BINARY, startNginx } from '../support/nginx.js';
import { ENTRY_POINTS, startServiceProcess, type ServiceProcess } from '../support/service-process.js';
import { readerToken, seedReaderCatalog } from '../support/catalog.js';

const skip = !process.env.REDIS_URL
  ? 'REDIS_URL is not set: the scale-out test needs Redis'
  : !existsSync(NGINX_BINARY)
    ? 'nginx is not installed (apt-get install nginx-light)'
    : false;

let db: MigratedTestDatabase;
const processes: ServiceProcess[] = [];
let nginx: ChildProcess | undefined;
let nginxUrl = '';
let token = '';
let replicas: ServiceProcess[] = [];

async function getThroughNginx(
  pathname: string,
): Promise<{ status: number; upstream: string; body: string }> {
  const response = await fetch(`${nginxUrl}${pathname}`, { headers: { authorization: `Bearer ${token}` } });
  return {
    status: response.status,
    upstream: response.headers.get('x-upstream') ?? '',
    body: await response.text(),
  };
}

before(async () => {
  if (skip) return;
  db = await createMigratedDatabase();
  await seedReaderCatalog(db, 10);
  const base = {
    DATABASE_URL: db.url,
    HOST: '127.0.0.1',
    TANDEM_SECRET_KEY: randomBytes(32).toString('hex'),
  };
  const auth = await startServiceProcess('auth', ENTRY_POINTS.auth, { env: { ...base, AUTH_PORT: '0' } });
  processes.push(auth);
  token = await readerToken(auth.url);
  const feed = {
    FEED: 'redis',
    REDIS_URL: process.env.REDIS_URL!,
    REDIS_STREAM_KEY: `tandem-e2e:${randomBytes(6).toString('hex')}`,
  };
  processes.push(
    await startServiceProcess('relay', ENTRY_POINTS.tandem, { args: ['relay'], env: { ...base, ...feed } }),
  );
  const fastEnv = { ...base, ...feed, FAST_PORT: '0', TOKEN_ISSUER: auth.url, FEED_POLL_MS: '5' };
  replicas = [
    await startServiceProcess('fast-1', ENTRY_POINTS.fast, { env: fastEnv }),
    await startServiceProcess('fast-2', ENTRY_POINTS.fast, { env: fastEnv }),
  ];
  processes.push(...replicas);

  const started = await startNginx(
    replicas.map((r) => new URL(r.url).host),
    // Test-only: name the replica that answered, so the test can tell them apart.
    (conf) =>
      conf.replace(
        'server_tokens off;',
        'server_tokens off;\n    add_header X-Upstream $upstream_addr always;',
      ),
  );
  nginx = started.process;
  nginxUrl = started.url;
});

after(async () => {
  nginx?.kill('SIGQUIT');
  for (const process of processes.reverse()) await process.stop();
  await db?.close();
});

test('a change in the database is served through nginx by both replicas', { skip }, async () => {
  const first = await getThroughNginx('/v1/products/3');
  assert.equal(first.status, 200, first.body);
  await db.orm.em
    .getConnection()
    .execute(`update products set name = 'Renamed through the feed' where sku = 'SKU-3'`);
  const seenFrom = new Set<string>();
  await eventually('both replicas serve the new name through nginx', async () => {
    const { status, upstream, body } = await getThroughNginx('/v1/products/3');
    if (status === 200 && (JSON.parse(body) as { name: string }).name === 'Renamed through the feed')
      seenFrom.add(upstream);
    return seenFrom.size === 2;
  });
  assert.deepEqual([...seenFrom].sort(), replicas.map((r) => new URL(r.url).host).sort());
});

test('live updates pass through nginx (WebSocket upgrade)', { skip }, async () => {
  const socket = new WebSocket(
    `${nginxUrl.replace('http', 'ws')}/v1/live?access_token=${encodeURIComponent(token)}`,
  );
  const frames: { type: string; topic?: string; data?: { name: string } }[] = [];
  socket.on('message', (data) => frames.push(JSON.parse(String(data))));
  await new Promise((resolve, reject) => {
    socket.once('open', resolve);
    socket.once('error', reject);
  });
  socket.send(JSON.stringify({ type: 'subscribe', topic: 'products/4' }));
  await eventually('subscription acknowledged', async () => frames.some((f) => f.type === 'subscribed'));
  await db.orm.em
    .getConnection()
    .execute(`update products set name = 'Live through nginx' where sku = 'SKU-4'`);
  await eventually('change frame', async () =>
    frames.some((f) => f.type === 'change' && f.data?.name === 'Live through nginx'),
  );
  socket.close();
});

test('requests keep succeeding after one replica is killed', { skip }, async () => {
  await replicas[0]!.stop('SIGKILL');
  const statuses: number[] = [];
  for (let i = 0; i < 40; i++) statuses.push((await getThroughNginx(`/v1/products/${(i % 10) + 1}`)).status);
  assert.deepEqual(
    statuses.filter((s) => s !== 200),
    [],
    'every request answered 200 by the surviving replica',
  );
});
