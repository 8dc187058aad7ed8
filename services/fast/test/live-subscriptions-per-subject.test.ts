/**
 * One account cannot hold unbounded subscriptions: each costs memory in uWebSockets.js's topic tree and
 * in the socket's set, and the per-connection cap times the sockets an account may open let one account
 * hold ~50 MB for as long as it answered pings. Attacked as a client would: many sockets of one
 * subject, each filled to the per-connection cap, then one more subscription anywhere.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { eventually, seedCatalog, startHarness, type Harness } from './support/fast.js';
import { openLive, type LiveClient } from './support/ws.js';
import { MAX_TOPICS_PER_SOCKET, MAX_TOPICS_PER_SUBJECT } from '../src/live.js';

let h: Harness;
const clients: LiveClient[] = [];

before(async () => {
  h = await startHarness({}, (db) => seedCatalog(db, 1));
});
after(async () => {
  for (const client of clients) client.close();
  await h?.close();
});

async function open(token: string): Promise<LiveClient> {
  const client = await openLive(h.fast.url, { token });
  clients.push(client);
  return client;
}

/** Subscribes to `products/{id}` for each id, all sent at once, and returns the answers in order of id. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- frames under test
async function subscribe(client: LiveClient, ids: readonly number[]): Promise<any[]> {
  const start = client.frames.length;
  for (const id of ids) client.send({ type: 'subscribe', topic: `products/${id}` });
  await eventually(`${ids.length} answers`, () => client.frames.length >= start + ids.length, 30_000);
  return client.frames.splice(start, ids.length);
}

const range = (from: number, count: number) => Array.from({ length: count }, (_, i) => from + i);
const sockets = MAX_TOPICS_PER_SUBJECT / MAX_TOPICS_PER_SOCKET;

test('an account holds at most MAX_TOPICS_PER_SUBJECT subscriptions over all its sockets', async () => {
  const token = await h.issuer.sign({ sub: '9' });
  const full: LiveClient[] = [];
  for (let s = 0; s < sockets; s++) {
    const client = await open(token);
    // One over the per-connection cap on the first socket: that one is refused per connection.
    const answers = await subscribe(client, range(1, MAX_TOPICS_PER_SOCKET + (s === 0 ? 1 : 0)));
    assert.equal(answers.filter((a) => a.type === 'subscribed').length, MAX_TOPICS_PER_SOCKET);
    if (s === 0) {
      const refused = answers.at(-1);
      assert.equal(refused.code, 'too_many_subscriptions');
      assert.match(refused.message, /per connection/);
    }
    full.push(client);
  }
  // Another socket of the same account (another session too): refused, whatever the topic.
  const extra = await open(await h.issuer.sign({ sub: '9' }));
  const [refused] = await subscribe(extra, [5]);
  assert.equal(refused.type, 'error');
  assert.equal(refused.code, 'too_many_subscriptions');
  assert.match(refused.message, /per account/);
  // A topic the socket already holds is not a new subscription.
  const [again] = await subscribe(full[1]!, [7]);
  assert.equal(again.type, 'subscribed');
  // Another account is not affected.
  const other = await open(await h.issuer.sign({ sub: '10' }));
  assert.equal((await subscribe(other, [5]))[0].type, 'subscribed');

  // Unsubscribing gives one back (once: a second unsubscribe of the same topic gives nothing).
  for (let i = 0; i < 2; i++) full[1]!.send({ type: 'unsubscribe', topic: 'products/7' });
  await eventually('two unsubscribed answers', () => full[1]!.frames.length >= 2);
  full[1]!.frames.splice(0);
  const [one, two] = await subscribe(extra, [5, 6]);
  assert.equal(one.type, 'subscribed');
  assert.equal(two.code, 'too_many_subscriptions');

  // Closing a socket gives back all of its subscriptions.
  full[2]!.close();
  await eventually('the closed socket is counted out', async () => {
    const [answer] = await subscribe(extra, [6]);
    return answer.type === 'subscribed';
  });
  const answers = await subscribe(extra, range(100, MAX_TOPICS_PER_SOCKET - 2));
  assert.ok(answers.every((a) => a.type === 'subscribed'));
});
