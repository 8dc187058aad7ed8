/**
 * A browser's live connection offers its access token as a WebSocket subprotocol (`tandem.bearer` and
 * `tandem.bearer.<token>`, src/http/live-protocol.ts) instead of in the URL, whose request line
 * proxies log. The server selects `tandem.bearer` and never sends the token back; the query parameter
 * still works. A real socket per case, with `ws` checking the handshake as a browser does (an answer
 * that selects none of the offered protocols fails the connection).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { IncomingMessage } from 'node:http';
import WebSocket from 'ws';
import { testDialect } from '@tandem/models/testing';
import { seedCatalog, startHarness, type Harness } from './support/fast.js';
import { openLive } from './support/ws.js';

let h: Harness;
let token: string;
before(async () => {
  h = await startHarness({}, (db) => seedCatalog(db, 1));
  token = await h.issuer.sign();
});
after(() => h?.close());

interface Opened {
  readonly socket: WebSocket;
  /** The server's Sec-WebSocket-Protocol answer, as sent. */
  readonly answered: string | undefined;
}

/** Opens /v1/live offering `protocols`, no Authorization header; rejects with the status on a refusal. */
function openWithProtocols(protocols: string[]): Promise<Opened> {
  const socket = new WebSocket(`${h.fast.url.replace(/^http/, 'ws')}/v1/live`, protocols);
  let answered: string | undefined;
  socket.once('upgrade', (res: IncomingMessage) => {
    answered = res.headers['sec-websocket-protocol'] as string | undefined;
  });
  return new Promise((resolve, reject) => {
    socket.once('open', () => resolve({ socket, answered }));
    socket.once('unexpected-response', (_req, res) => {
      socket.terminate();
      reject(Object.assign(new Error(`upgrade refused: ${res.statusCode}`), { status: res.statusCode }));
    });
    socket.once('error', reject);
  });
}

async function subscribed(socket: WebSocket): Promise<unknown> {
  const frame = new Promise((resolve) => socket.once('message', (data) => resolve(JSON.parse(String(data)))));
  socket.send(JSON.stringify({ type: 'subscribe', topic: 'products' }));
  return frame;
}

test(`the token offered as a subprotocol opens a live connection; only tandem.bearer is answered (${testDialect()})`, async () => {
  // In either order: uWebSockets.js alone would answer with the first offer, the token when it comes first.
  for (const offers of [
    ['tandem.bearer', `tandem.bearer.${token}`],
    [`tandem.bearer.${token}`, 'tandem.bearer'],
  ]) {
    const { socket, answered } = await openWithProtocols(offers);
    try {
      assert.equal(answered, 'tandem.bearer');
      assert.equal(socket.protocol, 'tandem.bearer');
      assert.deepEqual(await subscribed(socket), { type: 'subscribed', topic: 'products' });
    } finally {
      socket.terminate();
    }
  }
});

test('a bad token offered as a subprotocol is refused like any other; the query parameter still works', async () => {
  await assert.rejects(openWithProtocols(['tandem.bearer', 'tandem.bearer.not-a-token']), { status: 401 });
  await assert.rejects(openWithProtocols(['tandem.bearer', 'tandem.bearer.']), { status: 401 });
  const byQuery = await openLive(h.fast.url, { queryToken: token });
  try {
    byQuery.send({ type: 'subscribe', topic: 'products' });
    await byQuery.next((frame) => frame.type === 'subscribed', 'subscribed with ?access_token=');
  } finally {
    byQuery.close();
  }
});
