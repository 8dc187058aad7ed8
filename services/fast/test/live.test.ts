import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { Category, Product } from '@tandem/models';
import { testDialect } from '@tandem/models/testing';
import { eventually, seedCatalog, startHarness, type Harness } from './support/fast.js';
import { get } from './support/http.js';
import { openLive, type LiveClient } from './support/ws.js';

let h: Harness;
let token: string;
const clients: LiveClient[] = [];
const live = async (options: Parameters<typeof openLive>[1]) => {
  const client = await openLive(h.fast.url, options);
  clients.push(client);
  return client;
};

before(async () => {
  h = await startHarness({}, (db) => seedCatalog(db, 2));
  token = await h.issuer.sign();
});
after(async () => {
  for (const c of clients) c.close();
  await h?.close();
});

test(`subscribers get upsert and delete frames for collections and records (${testDialect()})`, async () => {
  const all = await live({ token });
  const one = await live({ queryToken: token });
  all.send({ type: 'subscribe', topic: 'products' });
  await all.next((f) => f.type === 'subscribed' && f.topic === 'products', 'subscribed');

  const em = h.db.orm.em.fork();
  const garden = await em.findOneOrFail(Category, { slug: 'garden' });
  const chair = em.create(Product, {
    sku: 'CHAIR',
    name: 'Chair',
    priceCents: 4900,
    currency: 'EUR',
    stock: 1,
    category: garden,
    tags: [],
    published: true,
  });
  await em.flush();
  const created = await all.next((f) => f.type === 'change' && f.id === chair.id, 'insert frame');
  assert.deepEqual(
    { ...created, data: undefined },
    { type: 'change', topic: 'products', op: 'upsert', id: chair.id, data: undefined },
  );
  assert.equal(created.data.sku, 'CHAIR');

  one.send({ type: 'subscribe', topic: `products/${chair.id}` });
  await one.next((f) => f.type === 'subscribed', 'record subscribed');
  await h.sql(`update products set stock = 7 where id = ?`, [chair.id]);
  const updated = await one.next((f) => f.type === 'change', 'record frame');
  assert.equal(updated.topic, `products/${chair.id}`);
  assert.equal(updated.data.stock, 7);
  await all.next((f) => f.type === 'change' && f.data?.stock === 7, 'collection frame for the update');

  await h.sql(`delete from products where id = ?`, [chair.id]);
  const deleted = await one.next((f) => f.type === 'change' && f.op === 'delete', 'delete frame');
  assert.deepEqual(deleted, {
    type: 'change',
    topic: `products/${chair.id}`,
    op: 'delete',
    id: chair.id,
    data: null,
  });

  one.send({ type: 'unsubscribe', topic: `products/${chair.id}` });
  await one.next((f) => f.type === 'unsubscribed', 'unsubscribed');
  const metrics = await get(`${h.fast.url}/metrics`);
  assert.match(metrics.text, /tandem_fast_ws_connections [1-9]/);
});

test('scope is checked per subscription', async () => {
  const narrow = await live({ token: await h.issuer.sign({ scope: 'orders:read' }) });
  narrow.send({ type: 'subscribe', topic: 'categories' });
  const error = await narrow.next((f) => f.type === 'error', 'scope error');
  assert.equal(error.code, 'insufficient_scope');
  assert.equal(narrow.closed, undefined);
});

test('bad messages get error frames, not a crash', async () => {
  const client = await live({ token });
  const cases: [unknown, string, RegExp?][] = [
    ['not json', 'bad_message'],
    ['[]', 'bad_message'],
    ['null', 'bad_message'],
    [{ type: 'dance' }, 'unknown_type'],
    [{ type: 'subscribe', topic: 5 }, 'bad_topic'],
    [{ type: 'subscribe', topic: 'nope' }, 'unknown_topic', /^No collection for topic "nope"\.$/],
    // The collection is there: the message says the id is what is wrong.
    [
      { type: 'subscribe', topic: 'products/abc' },
      'unknown_topic',
      /^Topic "products\/abc": a record's id is a whole number from 1, as in "products\/42"\.$/,
    ],
    [{ type: 'subscribe', topic: 'products/0' }, 'unknown_topic', /a record's id is a whole number/],
    [{ type: 'subscribe', topic: 'nope/1' }, 'unknown_topic', /^No collection for topic "nope\/1"\.$/],
    [Buffer.from([0xff, 0xfe, 0x00]), 'bad_message'],
  ];
  for (const [message, code, text] of cases) {
    client.send(message);
    const frame = await client.next((f) => f.type === 'error', String(message));
    assert.equal(frame.code, code, JSON.stringify(message));
    if (text) assert.match(String(frame.message), text, JSON.stringify(message));
  }
  assert.equal(client.closed, undefined);
  assert.equal((await get(`${h.fast.url}/healthz`)).status, 200);
});

test('the upgrade needs a valid token', async () => {
  await assert.rejects(openLive(h.fast.url, {}), { status: 401 });
  await assert.rejects(openLive(h.fast.url, { token: await h.issuer.sign({}, { expiresIn: -60 }) }), {
    status: 401,
  });
});

test('a socket closes when its session is revoked or its token expires', async () => {
  const sid = randomUUID();
  await h.sql(`insert into users (email, password_hash) values ('live@example.com', 'x')`);
  const [user] = await h.sql(`select id from users where email = 'live@example.com'`);
  await h.sql(`insert into sessions (id, user_id, grant_type, expires_at) values (?, ?, 'password', ?)`, [
    sid,
    user.id,
    new Date(Date.now() + 86_400_000).toISOString(),
  ]);
  const revoked = await live({ token: await h.issuer.sign({ sid }) });
  await h.sql(`update sessions set revoked_at = ? where id = ?`, [new Date().toISOString(), sid]);
  await eventually('closed on revocation', () => revoked.closed !== undefined);
  assert.equal(revoked.closed!.code, 4403);

  const shortLived = await live({ token: await h.issuer.sign({}, { expiresIn: 1 }) });
  await eventually('closed at exp', () => shortLived.closed !== undefined);
  assert.equal(shortLived.closed!.code, 4401);
});
