/**
 * A live socket that never opens: the service refused the upgrade with 401 (the token was revoked, or
 * signed with a key it does not know, while the client was away), or nothing answered (the service
 * down). A local server stands in for the fast service and the auth service's token endpoint, so that
 * each refusal can be chosen; e2e/test/client-live.test.ts revokes a session against the real ones.
 *
 * With `ws` (Node 20) the client sees the upgrade's status: a 401 renews the token, a failure without
 * one never does. With a platform WebSocket (a browser's, here `ws`'s class injected, whose status the
 * client cannot read) the token is renewed once per stretch without an open socket.
 */
import { after, afterEach, before, beforeEach, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocket, WebSocketServer } from 'ws';
import {
  createTandemClient,
  LiveError,
  type LiveEvent,
  type TandemClient,
  type WebSocketConstructor,
} from '../src/index.js';

type Upgrade = 'accept' | 'refuse-401' | 'drop';

let upgrade: (token: string) => Upgrade = () => 'accept';
let refreshWorks = true;
/** The token each upgrade presented, in order. */
const presented: string[] = [];
let refreshes = 0;
let issued = 0;

const sockets = new WebSocketServer({ noServer: true });
sockets.on('connection', (socket) =>
  socket.on('message', (data) => {
    const frame = JSON.parse(String(data)) as { type: string; topic: string };
    if (frame.type === 'subscribe') socket.send(JSON.stringify({ type: 'subscribed', topic: frame.topic }));
  }),
);

const server = http.createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (chunk: Buffer) => chunks.push(chunk));
  req.on('end', () => {
    const grant = new URLSearchParams(Buffer.concat(chunks).toString()).get('grant_type');
    if (grant === 'refresh_token') refreshes += 1;
    res.setHeader('content-type', 'application/json');
    if (grant === 'refresh_token' && !refreshWorks) {
      res.statusCode = 400;
      return void res.end('{"error":"invalid_grant","error_description":"session revoked"}');
    }
    issued += 1;
    res.end(JSON.stringify({ access_token: `t${issued}`, refresh_token: `r${issued}`, expires_in: 900 }));
  });
});

server.on('upgrade', (req, socket, head) => {
  const bearer = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
  const offered = /tandem\.bearer\.([^,\s]+)/.exec(req.headers['sec-websocket-protocol'] ?? '')?.[1];
  const token = bearer ?? offered ?? '';
  presented.push(token);
  const decision = upgrade(token);
  if (decision === 'drop') return void socket.destroy();
  if (decision === 'refuse-401')
    return void socket.end(
      'HTTP/1.1 401 Unauthorized\r\ncontent-type: application/json\r\nconnection: close\r\n\r\n' +
        '{"error":"invalid_token","message":"The session of this access token was revoked."}',
    );
  sockets.handleUpgrade(req, socket, head, (ws) => sockets.emit('connection', ws, req));
});

let url = '';
const clients: TandemClient[] = [];

before(async () => {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
beforeEach(() => {
  presented.length = 0;
  refreshes = 0;
  refreshWorks = true;
  upgrade = () => 'accept';
});
afterEach(() => {
  for (const client of clients.splice(0)) client.close();
  for (const socket of sockets.clients) socket.terminate();
});
after(async () => {
  await new Promise((resolve) => server.close(resolve));
});

async function signedIn(options: { browserLike?: boolean } = {}) {
  const client = createTandemClient({
    authUrl: url,
    fastUrl: url,
    liveBackoff: { initialMs: 10, maxMs: 40 },
    // ws's class handed over as a platform WebSocket: the client cannot read the upgrade's status then.
    ...(options.browserLike ? { WebSocket: WebSocket as unknown as WebSocketConstructor } : {}),
  });
  clients.push(client);
  await client.tokens.password({ username: 'reader@example.com', password: 'pw' });
  const events: LiveEvent[] = [];
  client.live.onEvent((event) => events.push(event));
  return { client, events, token: client.tokens.current!.accessToken };
}

/** `promise`, or a rejection naming `what` after 5 s (a client looping without end never settles). */
function within<T>(promise: Promise<T>, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: not within 5 s`)), 5_000);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** Waits for `condition`, polling; fails after 5 s (and stops polling then). */
async function until(what: string, condition: () => boolean): Promise<void> {
  const deadline = Date.now() + 5_000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`${what}: not within 5 s`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

test('ws: an upgrade refused with 401 renews the token, and the socket opens with the new one', async () => {
  const { client, token } = await signedIn();
  upgrade = (presentedToken) => (presentedToken === token ? 'refuse-401' : 'accept');
  const subscription = client.live.subscribe('products', () => undefined);
  await within(subscription.ready, 'the subscription is confirmed');
  assert.equal(refreshes, 1);
  assert.deepEqual(presented, [token, client.tokens.current!.accessToken]);
  assert.notEqual(presented[1], token);
});

test('ws: a 401 whose renewal is refused ends in `failed` and onError, without a retry loop', async () => {
  const { client, events } = await signedIn();
  upgrade = () => 'refuse-401';
  refreshWorks = false;
  const errors: LiveError[] = [];
  const subscription = client.live.subscribe('products', () => undefined, {
    onError: (error) => errors.push(error),
  });
  await within(
    assert.rejects(subscription.ready, (error: unknown) => {
      assert.ok(error instanceof LiveError);
      assert.equal(error.code, 'unauthorized');
      return true;
    }),
    'the subscription fails',
  );
  assert.equal(errors.length, 1);
  assert.ok(events.some((event) => event.type === 'failed'));
  assert.ok(!events.some((event) => event.type === 'reconnect-scheduled'), 'no retry with a dead session');
  assert.equal(presented.length, 1);
  assert.equal(refreshes, 1);
});

test('ws: attempts that get no answer (the service down) renew nothing', async () => {
  const { client, events, token } = await signedIn();
  upgrade = () => 'drop';
  const subscription = client.live.subscribe('products', () => undefined);
  await until('four attempts failed', () =>
    events.some((event) => event.type === 'reconnect-scheduled' && event.attempt >= 4),
  );
  assert.equal(refreshes, 0);
  upgrade = () => 'accept';
  await within(subscription.ready, 'the subscription is confirmed once the service answers');
  assert.ok(presented.every((presentedToken) => presentedToken === token));
});

test('platform WebSocket: a refused upgrade cannot be told from a network failure; one renewal per outage', async () => {
  const { client, events, token } = await signedIn({ browserLike: true });
  upgrade = () => 'drop';
  const subscription = client.live.subscribe('products', () => undefined);
  await until('five attempts failed', () =>
    events.some((event) => event.type === 'reconnect-scheduled' && event.attempt >= 5),
  );
  assert.equal(refreshes, 1, 'the token is renewed once, not after every failed attempt');
  upgrade = (presentedToken) => (presentedToken === token ? 'refuse-401' : 'accept');
  await within(subscription.ready, 'the subscription is confirmed');
  assert.equal(presented[0], token);
  assert.equal(presented.at(-1), client.tokens.current!.accessToken);
});

test('platform WebSocket: a revoked session (401, renewal refused) ends in `failed`', async () => {
  const { client, events } = await signedIn({ browserLike: true });
  upgrade = () => 'refuse-401';
  refreshWorks = false;
  const errors: LiveError[] = [];
  client.live.subscribe('products', () => undefined, { onError: (error) => errors.push(error) });
  await until('onError is called', () => errors.length > 0);
  assert.equal(errors[0]!.code, 'unauthorized');
  assert.ok(events.some((event) => event.type === 'failed'));
  assert.equal(presented.length, 1);
});
