/**
 * Orders are served and pushed to their owner only (issue 14): another user's order is a missing one,
 * "my list" lists mine, a token that names no user is refused, the lifting scope sees every row. The
 * attacks: another user's id, a cursor taken from another user's list, another user's record topic, a
 * sub of the wrong shape, a client-credentials token.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { SignJWT } from 'jose';
import { testDialect } from '@tandem/models/testing';
import { eventually, startHarness, type Harness } from './support/fast.js';
import { bearer, get, type HttpReply } from './support/http.js';
import { AUDIENCE } from './support/issuer.js';
import { openLive, type LiveClient } from './support/ws.js';
import { createOrder, createUsers, deleteOrder, updateOrder, userToken } from './support/orders.js';

let h: Harness;
let alice: number;
let bob: number;
let aliceToken: string;
let bobToken: string;
/** Alice's orders and Bob's, by id. */
let mine: number[];
let theirs: number[];
const clients: LiveClient[] = [];

const live = async (token: string) => {
  const client = await openLive(h.fast.url, { token });
  clients.push(client);
  return client;
};
const ordersUrl = (path = '') => `${h.fast.url}/v1/orders${path}`;
const ids = (reply: HttpReply) => reply.json.items.map((o: { id: number }) => o.id);
/** What a client is told about an order that does not exist. */
const missing = (id: string) =>
  JSON.stringify({ error: 'not_found', message: `No orders record with id ${JSON.stringify(id)}.` });
/** The response headers a client could compare, without the ones that differ per response. */
const comparable = (reply: HttpReply) => ({
  status: reply.status,
  ...reply.headers,
  date: undefined,
  'content-length': undefined,
});

before(async () => {
  h = await startHarness();
  [alice, bob] = (await createUsers(h, 'owner', 2)) as [number, number];
  mine = [];
  theirs = [];
  // Interleaved ids: Alice's and Bob's orders are neighbours in the collection.
  for (let i = 0; i < 4; i++) {
    mine.push(await createOrder(h, alice, 100 + i));
    theirs.push(await createOrder(h, bob, 200 + i));
  }
  aliceToken = await userToken(h.issuer, alice);
  bobToken = await userToken(h.issuer, bob);
  await eventually('the orders are served', () => h.fast.store.get('orders')!.size === 8);
});
after(async () => {
  for (const c of clients) c.close();
  await h?.close();
});

test(`a user reads their own orders and lists only them, with the same cursor (${testDialect()})`, async () => {
  const one = await get(ordersUrl(`/${mine[0]}`), bearer(aliceToken));
  assert.equal(one.status, 200);
  assert.equal(one.json.userId, alice);
  assert.ok(one.headers.etag);
  const notModified = await get(ordersUrl(`/${mine[0]}`), {
    ...bearer(aliceToken),
    'if-none-match': String(one.headers.etag),
  });
  assert.equal(notModified.status, 304);

  const all = await get(ordersUrl(), bearer(aliceToken));
  assert.deepEqual(ids(all), mine);
  assert.equal(all.json.next, null);
  // Keyset pages over Alice's rows only: the cursor is an id, as in every collection.
  const first = await get(ordersUrl('?limit=3'), bearer(aliceToken));
  assert.deepEqual(ids(first), mine.slice(0, 3));
  assert.equal(first.json.next, String(mine[2]));
  const second = await get(ordersUrl(`?limit=3&after=${first.json.next}`), bearer(aliceToken));
  assert.deepEqual(ids(second), mine.slice(3));
  assert.equal(second.json.next, null);
  assert.deepEqual(ids(await get(ordersUrl(), bearer(bobToken))), theirs);
});

test("another user's order answers exactly what a missing one does", async () => {
  const other = await get(ordersUrl(`/${theirs[0]}`), bearer(aliceToken));
  assert.equal(other.status, 404);
  assert.equal(other.text, missing(String(theirs[0])));
  const absentId = String(theirs[0]! + 1000);
  const absent = await get(ordersUrl(`/${absentId}`), bearer(aliceToken));
  assert.equal(absent.text, missing(absentId));
  assert.deepEqual(comparable(other), comparable(absent), 'the same status and headers');
  // Also when the client claims to hold its ETag: no 304 that would confirm it exists.
  const owned = await get(ordersUrl(`/${theirs[0]}`), bearer(bobToken));
  const probing = await get(ordersUrl(`/${theirs[0]}`), {
    ...bearer(aliceToken),
    'if-none-match': String(owned.headers.etag),
  });
  assert.equal(probing.status, 404);
  assert.equal(probing.text, other.text);
  // HEAD (the GET without its body) must not tell them apart either: same status, same headers, the
  // same Content-Length, and no ETag that a 200 would carry.
  const headOther = await get(ordersUrl(`/${theirs[0]}`), bearer(aliceToken), 'HEAD');
  const headAbsent = await get(ordersUrl(`/${absentId}`), bearer(aliceToken), 'HEAD');
  assert.equal(headOther.status, 404);
  assert.equal(headOther.text, '');
  assert.equal(headOther.headers.etag, undefined);
  assert.deepEqual(comparable(headOther), comparable(headAbsent), 'the same status and headers');
  // Each the length of its GET's 404 body, which names the id asked for and nothing else.
  assert.equal(Number(headOther.headers['content-length']), Buffer.byteLength(other.text));
  assert.equal(Number(headAbsent.headers['content-length']), Buffer.byteLength(absent.text));
  const headProbing = await get(
    ordersUrl(`/${theirs[0]}`),
    { ...bearer(aliceToken), 'if-none-match': String(owned.headers.etag) },
    'HEAD',
  );
  assert.equal(headProbing.status, 404);
  assert.equal(headProbing.headers.etag, undefined);
});

test("a cursor from another user's list only positions the caller in their own list", async () => {
  const bobsPage = await get(ordersUrl('?limit=1'), bearer(bobToken));
  const forged = await get(ordersUrl(`?after=${bobsPage.json.next}`), bearer(aliceToken));
  assert.equal(forged.status, 200);
  assert.deepEqual(
    ids(forged),
    mine.filter((id) => id > Number(bobsPage.json.next)),
  );
  const past = await get(ordersUrl(`?after=${theirs.at(-1)}`), bearer(aliceToken));
  assert.deepEqual(
    ids(past),
    mine.filter((id) => id > theirs.at(-1)!),
  );
  // A filter narrows the caller's rows, never widens them.
  await updateOrder(h, theirs[1]!, { status: 'paid' });
  await updateOrder(h, mine[1]!, { status: 'paid' });
  await eventually(
    'both updates served',
    async () =>
      (await get(ordersUrl(`/${mine[1]}`), bearer(aliceToken))).json.status === 'paid' &&
      (await get(ordersUrl(`/${theirs[1]}`), bearer(bobToken))).json.status === 'paid',
  );
  assert.deepEqual(ids(await get(ordersUrl('?status=paid'), bearer(aliceToken))), [mine[1]]);
  const bad = await get(ordersUrl('?after=abc'), bearer(aliceToken));
  assert.equal(bad.status, 400);
  assert.equal(bad.json.error, 'invalid_cursor');
  // status is a plain column whose values the declaration's schema states: a value outside them could
  // never match, and is refused like an ORM enum's.
  const unknown = await get(ordersUrl('?status=bogus'), bearer(aliceToken));
  assert.equal(unknown.status, 400);
  assert.equal(unknown.json.error, 'invalid_filter');
  assert.match(unknown.json.message, /status is one of pending, paid, shipped, cancelled/);
});

test('a token that names no user is refused with 403 insufficient_scope, saying why', async () => {
  const machine = await h.issuer.sign({ sub: 'client:reporting', scope: 'orders:read' });
  for (const path of ['', `/${mine[0]}`, '/999999']) {
    const reply = await get(ordersUrl(path), bearer(machine));
    assert.equal(reply.status, 403, path);
    assert.equal(reply.json.error, 'insufficient_scope');
    assert.match(reply.json.message, /visible to its owner only/);
    assert.match(reply.json.message, /orders:read:any/);
    assert.match(
      String(reply.headers['www-authenticate']),
      /error="insufficient_scope", scope="orders:read:any"/,
    );
  }
  // A sub that is not a user id as the issuer writes it (leading zero, text, a decimal): no owner.
  for (const sub of [`0${alice}`, 'alice', `${alice}.0`, ` ${alice}`, `client:${alice}`]) {
    const token = await h.issuer.sign({ sub, scope: 'orders:read' });
    const reply = await get(ordersUrl(), bearer(token));
    assert.equal(reply.status, 403, JSON.stringify(sub));
    assert.equal((await get(ordersUrl(`/${mine[0]}`), bearer(token))).status, 403, JSON.stringify(sub));
  }
  // A sub of the wrong JSON type (the number, not the string) is not a valid access token at all.
  const key = h.issuer.keys.at(-1)!;
  const now = Math.floor(Date.now() / 1000);
  // The claims object is typed loosely on purpose: jose's types (rightly) want a string sub.
  const claims: Record<string, unknown> = {
    sub: alice,
    scope: 'orders:read',
    sid: randomUUID(),
    jti: randomUUID(),
  };
  const numeric = await new SignJWT(claims)
    .setProtectedHeader({ alg: 'EdDSA', kid: key.kid, typ: 'at+jwt' })
    .setIssuer(h.issuer.url)
    .setAudience(AUDIENCE)
    .setIssuedAt(now)
    .setExpirationTime(now + 600)
    .sign(key.privateKey);
  const wrongType = await get(ordersUrl(`/${mine[0]}`), bearer(numeric));
  assert.equal(wrongType.status, 401);
  assert.equal(wrongType.json.error, 'invalid_token');
  // The collection's scope is still required first.
  const noScope = await h.issuer.sign({ sub: String(alice), scope: 'catalog:read' });
  const refused = await get(ordersUrl(), bearer(noScope));
  assert.equal(refused.status, 403);
  assert.match(refused.json.message, /orders:read scope/);
});

test('the lifting scope reads every order, like a shared collection', async () => {
  const ops = await h.issuer.sign({ sub: 'client:ops', scope: 'orders:read orders:read:any' });
  const all = await get(ordersUrl(), bearer(ops));
  assert.deepEqual(
    ids(all),
    [...mine, ...theirs].sort((a, b) => a - b),
  );
  assert.equal((await get(ordersUrl(`/${theirs[0]}`), bearer(ops))).status, 200);
  // Without orders:read, orders:read:any alone does not open the collection.
  const liftOnly = await h.issuer.sign({ sub: 'client:ops', scope: 'orders:read:any' });
  assert.equal((await get(ordersUrl(), bearer(liftOnly))).status, 403);
});

test('live: each owner hears of their rows only; a row changing hands moves between them', async () => {
  const a = await live(aliceToken);
  const b = await live(bobToken);
  const ops = await live(await h.issuer.sign({ sub: 'client:ops', scope: 'orders:read orders:read:any' }));
  const moving = theirs[2]!;
  for (const [client, topics] of [
    [a, ['orders', `orders/${moving}`]],
    [b, ['orders']],
    [ops, ['orders']],
  ] as const) {
    for (const topic of topics) {
      client.send({ type: 'subscribe', topic });
      await client.next((f) => f.type === 'subscribed' && f.topic === topic, `subscribed to ${topic}`);
    }
  }
  // Bob's row changes: Bob and ops hear of it, Alice (subscribed to its record topic too) does not.
  await updateOrder(h, moving, { status: 'shipped' });
  await b.next((f) => f.op === 'upsert' && f.id === moving && f.data.status === 'shipped', 'bob: upsert');
  await ops.next((f) => f.op === 'upsert' && f.id === moving, 'ops: upsert');
  // It becomes Alice's: she gets an upsert on both topics, Bob a delete.
  await updateOrder(h, moving, { userId: alice });
  const upsert = await a.next((f) => f.topic === 'orders' && f.op === 'upsert' && f.id === moving, 'alice');
  assert.equal(upsert.data.userId, alice);
  await a.next((f) => f.topic === `orders/${moving}` && f.op === 'upsert', 'alice: record topic');
  const gone = await b.next((f) => f.topic === 'orders' && f.id === moving, 'bob: delete');
  assert.deepEqual([gone.op, gone.data], ['delete', null]);
  // And back: Alice is told it is gone, on both topics.
  await updateOrder(h, moving, { userId: bob });
  await a.next((f) => f.topic === 'orders' && f.op === 'delete' && f.id === moving, 'alice: delete');
  await a.next((f) => f.topic === `orders/${moving}` && f.op === 'delete', 'alice: record delete');
  await b.next((f) => f.op === 'upsert' && f.id === moving && f.data.userId === bob, 'bob: back');
  // A deleted order of Bob's: Bob and ops hear of it; nothing else ever reached Alice.
  await deleteOrder(h, theirs[3]!);
  await b.next((f) => f.op === 'delete' && f.id === theirs[3], 'bob: deleted');
  await ops.next((f) => f.op === 'delete' && f.id === theirs[3], 'ops: deleted');
  await updateOrder(h, mine[3]!, { status: 'cancelled' });
  await a.next((f) => f.op === 'upsert' && f.id === mine[3], 'alice: her own change, after the others');
  const leaked = a.frames.filter((f) => f.type === 'change');
  assert.deepEqual(leaked, [], 'Alice received no change of a row that was not hers');
});

test("live: refusals are those of today (another's record is a missing one, no claim is 403)", async () => {
  const a = await live(aliceToken);
  // Another user's record topic is accepted exactly like a missing record's: nothing leaks either way.
  for (const topic of [`orders/${theirs[0]}`, 'orders/999999']) {
    a.send({ type: 'subscribe', topic });
    assert.deepEqual(await a.next((f) => f.topic === topic, topic), { type: 'subscribed', topic });
  }
  // Internal owner topics cannot be named by clients.
  a.send({ type: 'subscribe', topic: `orders#${bob}` });
  assert.equal((await a.next((f) => f.type === 'error', 'refused')).code, 'unknown_topic');
  const machine = await live(await h.issuer.sign({ sub: 'client:reporting', scope: 'orders:read' }));
  machine.send({ type: 'subscribe', topic: 'orders' });
  const refused = await machine.next((f) => f.type === 'error', 'no claim');
  assert.equal(refused.code, 'insufficient_scope');
  assert.match(refused.message, /visible to its owner only/);
  await updateOrder(h, theirs[0]!, { status: 'cancelled' });
  await createOrder(h, bob, 5);
  await eventually(
    "bob's changes are served",
    async () => (await get(ordersUrl(`/${theirs[0]}`), bearer(bobToken))).json.status === 'cancelled',
  );
  a.send({ type: 'unsubscribe', topic: `orders/${theirs[0]}` });
  await a.next((f) => f.type === 'unsubscribed', 'unsubscribed');
  assert.deepEqual(
    a.frames.filter((f) => f.type === 'change'),
    [],
  );
});

test('live: a revoked session stops receiving its orders at once', async () => {
  const sid = randomUUID();
  await h.sql(`insert into sessions (id, user_id, grant_type, expires_at) values (?, ?, 'password', ?)`, [
    sid,
    alice,
    new Date(Date.now() + 86_400_000).toISOString(),
  ]);
  const a = await live(await userToken(h.issuer, alice, sid));
  a.send({ type: 'subscribe', topic: 'orders' });
  await a.next((f) => f.type === 'subscribed', 'subscribed');
  await h.sql(`update sessions set revoked_at = ? where id = ?`, [new Date().toISOString(), sid]);
  await eventually('closed on revocation', () => a.closed !== undefined);
  assert.equal(a.closed!.code, 4403);
});
