/**
 * @tandem/client's live subscriptions against the real services: a change written to the database
 * reaches the handler; when the fast service restarts, the client backs off while it is down, then
 * reconnects and subscribes again by itself; a refused topic and a revoked session end in typed errors,
 * also when the session was revoked while the socket was down (fast then refuses the upgrade with 401).
 */
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  createTandemClient,
  LiveError,
  type ChangeOf,
  type LiveEvent,
  type TandemClient,
} from '@tandem/client';
import { Product } from '@tandem/models';
import { eventually, sqlitePassOnly, testDialect } from '@tandem/models/testing';
import { READER_EMAIL, READER_PASSWORD } from '../support/catalog.js';
import { useClientServices } from '../support/client-services.js';
import { startTcpRelay, type TcpRelay } from '../support/tcp-relay.js';
import { withServiceLogs } from '../support/token-services.js';

const skip = sqlitePassOnly(
  'reconnecting, backing off, resubscribing and the typed errors are the client’s code against the ' +
    'fast service’s WebSocket; the changes and the revocation it receives come through the change feed ' +
    'as in admin-to-fast and revocation-end-to-end, which run on both databases',
);
const BACKOFF = { initialMs: 100, maxMs: 800 };

const services = useClientServices({ products: 3, skip });
/** Clients reach fast through it, so that a restarted fast (on a new port) keeps the clients' address. */
let relay: TcpRelay;

before(async () => {
  if (skip) return;
  await services.ready;
  relay = await startTcpRelay(Number(new URL(services.fast.url).port));
  services.closeAtEnd(() => relay.close());
});

async function signedInClient(fetchFn?: typeof fetch): Promise<TandemClient> {
  const client = createTandemClient({
    authUrl: services.auth.url,
    fastUrl: relay.url,
    liveBackoff: BACKOFF,
    ...(fetchFn ? { fetch: fetchFn } : {}),
  });
  services.closeAtEnd(() => client.close());
  await client.tokens.password({ username: READER_EMAIL, password: READER_PASSWORD });
  return client;
}

const rename = (id: number, name: string) =>
  services.db.orm.em.fork().nativeUpdate(Product, { id }, { name, updatedAt: new Date() });

/** `client` subscribed to products (confirmed), with the live events and subscription errors it gets. */
async function watchingProducts(client: TandemClient) {
  const events: LiveEvent[] = [];
  client.live.onEvent((event) => events.push(event));
  const errors: LiveError[] = [];
  const subscription = client.live.subscribe('products', () => undefined, {
    onError: (error) => errors.push(error),
  });
  await subscription.ready;
  return { client, events, errors, subscription };
}

test(
  `subscribe: a change written to the database reaches the handler (${testDialect()})`,
  { skip },
  async () => {
    await withServiceLogs(services.processes, async () => {
      const client = await signedInClient();
      const collection: ChangeOf<'products'>[] = [];
      const record: ChangeOf<'products/2'>[] = [];
      const all = client.live.subscribe('products', (change) => collection.push(change));
      const one = client.live.subscribe('products/2', (change) => record.push(change));
      await Promise.all([all.ready, one.ready]);

      await rename(2, 'Live tool');
      await eventually(
        'the change reaches both subscriptions',
        () => collection.length > 0 && record.length > 0,
      );
      for (const change of [collection[0]!, record[0]!]) {
        assert.equal(change.op, 'upsert');
        assert.equal(change.id, 2);
        assert.equal(change.op === 'upsert' && change.data.name, 'Live tool');
      }
      assert.equal(record[0]!.topic, 'products/2');

      // Unpublishing hides the product from readers: subscribers see it go.
      await services.db.orm.em.fork().nativeUpdate(Product, { id: 2 }, { published: false });
      await eventually('the delete is pushed', () => record.some((change) => change.op === 'delete'));
      assert.equal(record.find((change) => change.op === 'delete')!.data, null);

      one.unsubscribe();
      const seen = collection.length;
      await rename(1, 'After unsubscribe');
      await eventually('the collection subscription still gets changes', () => collection.length > seen);
      assert.ok(!record.some((change) => change.id === 1), 'an ended subscription gets nothing more');
      all.unsubscribe();
    });
  },
);

test(
  'after the fast service restarts, the client backs off, reconnects and resubscribes',
  { skip },
  async () => {
    await withServiceLogs(services.processes, async () => {
      const client = await signedInClient();
      const events: LiveEvent[] = [];
      client.live.onEvent((event) => events.push(event));
      const changes: ChangeOf<'products/3'>[] = [];
      const subscription = client.live.subscribe('products/3', (change) => changes.push(change));
      await subscription.ready;

      await services.fast.stop();
      await eventually('a few reconnect attempts fail while fast is down', () =>
        events.some((event) => event.type === 'reconnect-scheduled' && event.attempt >= 3),
      );
      const scheduled = events.filter((event) => event.type === 'reconnect-scheduled');
      scheduled.forEach((event, index) => {
        assert.equal(event.attempt, index + 1, 'attempts are counted one by one');
        // Doubling from initialMs up to maxMs, jittered to between half and all of that.
        const ceiling = Math.min(BACKOFF.maxMs, BACKOFF.initialMs * 2 ** index);
        assert.ok(event.delayMs <= ceiling && event.delayMs >= ceiling / 2, JSON.stringify(event));
      });

      const restarted = await services.startFastAgain();
      relay.retarget(Number(new URL(restarted.url).port));
      await eventually('the client subscribed again by itself', () =>
        events.some((event) => event.type === 'resubscribed'),
      );
      const resubscribed = events.find((event) => event.type === 'resubscribed');
      assert.deepEqual(resubscribed, { type: 'resubscribed', topics: ['products/3'] });

      await rename(3, 'After restart');
      await eventually('a change after the restart is received', () =>
        changes.some((change) => change.op === 'upsert' && change.data.name === 'After restart'),
      );
      subscription.unsubscribe();
    });
  },
);

test('a topic the service refuses rejects `ready` and calls onError with the code', { skip }, async () => {
  const client = await signedInClient();
  const errors: LiveError[] = [];
  // Not a hot collection: the type system refuses it too, hence the cast (as from untyped input).
  const refused = client.live.subscribe('nothing' as 'products', () => undefined, {
    onError: (error) => errors.push(error),
  });
  await assert.rejects(
    refused.ready,
    (error: unknown) => error instanceof LiveError && error.code === 'unknown_topic',
  );
  assert.equal(errors.length, 1);
  assert.equal(errors[0]!.topic, 'nothing');
});

test(
  'a revoked session closes the socket; the client cannot renew and reports it instead of retrying',
  { skip },
  async () => {
    const { client, events, errors } = await watchingProducts(await signedInClient());
    const response = await fetch(`${services.auth.url}/oauth/revoke`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token: client.tokens.current!.refreshToken! }),
    });
    assert.equal(response.status, 200);
    await eventually('the live client gives up with an error', () => errors.length > 0);
    assert.equal(errors[0]!.code, 'unauthorized');
    assert.ok(events.some((event) => event.type === 'disconnected' && event.code === 4403));
    assert.ok(events.some((event) => event.type === 'failed'));
    assert.ok(
      !events.some((event) => event.type === 'reconnect-scheduled'),
      'no retry loop on a dead session',
    );
  },
);

test(
  'a topic longer than the service echoes in its errors is refused, not left waiting forever',
  { skip },
  async () => {
    const client = await signedInClient();
    const errors: LiveError[] = [];
    // Fast quotes at most 100 characters of a refused topic; this one is refused before it is sent.
    const long = `products/${'4'.repeat(120)}`;
    const refused = client.live.subscribe(long as 'products', () => undefined, {
      onError: (error) => errors.push(error),
    });
    const accepted = client.live.subscribe('products', () => undefined);
    await eventually('onError is called', () => errors.length > 0, 5_000);
    await assert.rejects(
      refused.ready,
      (error: unknown) => error instanceof LiveError && error.code === 'unknown_topic',
    );
    assert.equal(errors.length, 1);
    assert.equal(errors[0]!.topic, long);
    await accepted.ready;
    accepted.unsubscribe();
  },
);

test(
  'a session revoked while the socket is down: fast refuses the reconnect (401), the client tries to ' +
    'renew once and reports it, instead of reconnecting until the token expires',
  { skip },
  async () => {
    await withServiceLogs(services.processes, async () => {
      let refreshes = 0;
      const counting: typeof fetch = (input, init) => {
        if (String(init?.body ?? '').includes('grant_type=refresh_token')) refreshes += 1;
        return fetch(input, init);
      };
      const { client, events, errors } = await watchingProducts(await signedInClient(counting));

      await services.fast.stop();
      await eventually('a few reconnect attempts fail while fast is down', () =>
        events.some((event) => event.type === 'reconnect-scheduled' && event.attempt >= 3),
      );
      assert.equal(refreshes, 0, 'no renewal for attempts that got no answer');
      const response = await fetch(`${services.auth.url}/oauth/revoke`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ token: client.tokens.current!.refreshToken! }),
      });
      assert.equal(response.status, 200);

      const restarted = await services.startFastAgain();
      const attemptsBefore = events.filter((event) => event.type === 'connecting').length;
      relay.retarget(Number(new URL(restarted.url).port));
      await eventually('the live client gives up with an error', () => errors.length > 0);
      assert.equal(errors[0]!.code, 'unauthorized');
      assert.ok(events.some((event) => event.type === 'failed'));
      assert.equal(refreshes, 1, 'one renewal, refused: the session is gone');
      const failedAt = events.findIndex((event) => event.type === 'failed');
      assert.ok(
        !events.slice(failedAt).some((event) => event.type === 'connecting'),
        'no attempt after the failure',
      );
      // At most the attempt in flight when the relay was pointed at the new fast, then the refused one.
      assert.ok(events.filter((event) => event.type === 'connecting').length - attemptsBefore <= 2);
    });
  },
);
