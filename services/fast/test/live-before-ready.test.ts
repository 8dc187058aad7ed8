/**
 * /v1/live before the first snapshot is loaded: the upgrade is refused 503 not_ready, as every /v1
 * read is, instead of opening a socket that is told `subscribed` and then gets every row of the load
 * as a change. Once loaded, the same node opens it and sends changes.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { request } from 'node:http';
import { compileProjections, openFeedSource, type FeedSource } from '@tandem/changefeed';
import { createLogger } from '@tandem/log';
import { hotProjections } from '@tandem/models';
import { testDialect } from '@tandem/models/testing';
import { startFast, type FastServer } from '../src/server.js';
import { eventually, startHarness, type Harness } from './support/fast.js';
import { bearer, get, type HttpReply } from './support/http.js';
import { createOrder, createUsers, userToken } from './support/orders.js';
import { openLive } from './support/ws.js';

let h: Harness;
let gated: FastServer | undefined;

before(async () => {
  h = await startHarness();
});
after(async () => {
  await gated?.close();
  await h?.close();
});

/** The database's feed source, except that its snapshot waits until `release` is called. */
function gatedSource(): { source: FeedSource; release: () => void } {
  const metadata = (name: string) => h.db.orm.getMetadata().find(name) ?? undefined;
  const projections = compileProjections(hotProjections, metadata, h.config.database.dialect);
  const real = openFeedSource(h.config.database, projections, h.config.feed);
  let release!: () => void;
  const gate = new Promise<void>((resolve) => (release = resolve));
  const source: FeedSource = {
    dialect: real.dialect,
    get notifiesOfCommits() {
      return real.notifiesOfCommits;
    },
    connect: (wake, lost) => real.connect(wake, lost),
    async snapshot(consume) {
      await gate;
      return real.snapshot(consume);
    },
    read: (position) => real.read(position),
    prune: (retentionSeconds, position) => real.prune(retentionSeconds, position),
    close: () => real.close(),
  };
  return { source, release };
}

/** A WebSocket upgrade of /v1/live as a plain HTTP request: its answer, or status 101 if accepted. */
function upgrade(token: string): Promise<HttpReply> {
  return new Promise((resolve, reject) => {
    const req = request(`${gated!.url}/v1/live`, {
      agent: false,
      headers: {
        ...bearer(token),
        connection: 'Upgrade',
        upgrade: 'websocket',
        'sec-websocket-version': '13',
        'sec-websocket-key': randomBytes(16).toString('base64'),
      },
    });
    req.on('upgrade', (res, socket) => {
      socket.destroy();
      resolve({ status: res.statusCode ?? 0, headers: res.headers, text: '', json: undefined });
    });
    req.on('response', (res) => {
      let text = '';
      res.on('data', (chunk: Buffer) => (text += chunk.toString()));
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json: JSON.parse(text) }),
      );
    });
    req.on('error', reject);
    req.end();
  });
}

test(`/v1/live is refused 503 until the first snapshot is loaded (${testDialect()})`, async () => {
  const [alice] = await createUsers(h, 'before-ready', 1);
  for (let i = 0; i < 5; i++) await createOrder(h, alice!, 100 + i);
  const { source, release } = gatedSource();
  gated = await startFast({
    config: h.config,
    orm: h.db.orm,
    logger: createLogger('fast', 'silent'),
    source,
  });
  await eventually('the signing keys are fetched', () => gated!.jwks.size > 0);
  const token = await userToken(h.issuer, alice!);

  const read = await get(`${gated.url}/v1/orders`, bearer(token));
  assert.equal(read.status, 503, 'the reads are not served yet');
  const refused = await upgrade(token);
  assert.equal(refused.status, 503, `the upgrade before the snapshot: ${refused.text}`);
  assert.deepEqual(refused.json, read.json, 'the same not_ready answer as the reads');
  assert.equal(refused.headers['retry-after'], '1');
  assert.equal(refused.headers.upgrade, undefined);
  assert.equal(gated.live.connections, 0, 'no socket was opened');

  release();
  await gated.ready;
  const live = await openLive(gated.url, { token });
  try {
    live.send({ type: 'subscribe', topic: 'orders' });
    await live.next((frame) => frame.type === 'subscribed', 'subscribed');
    const placed = await createOrder(h, alice!, 999);
    const change = await live.next((frame) => frame.type === 'change', 'the new order');
    assert.equal(change.id, placed, 'the first change is the new order, not a row of the load');
    assert.equal(change.op, 'upsert');
  } finally {
    live.close();
  }
});
