/**
 * One account cannot hold unbounded live connections: each socket costs the server memory and a
 * timer, and tokens are cheap to get. Attacked as a client would: many upgrades at once with one
 * token, with many tokens (sessions) of the same subject, and under a different subject meanwhile.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createConnection } from 'node:net';
import { eventually, seedCatalog, startHarness, type Harness } from './support/fast.js';
import { openLive, type LiveClient } from './support/ws.js';

const MAX = 5;
let h: Harness;
const clients: LiveClient[] = [];

before(async () => {
  h = await startHarness({ FAST_WS_MAX_SOCKETS_PER_SUBJECT: String(MAX) }, (db) => seedCatalog(db, 1));
});
after(async () => {
  for (const client of clients) client.close();
  await h?.close();
});

/** Opens `count` sockets at once; the opened ones are kept (closed after), the refusals' statuses returned. */
async function openAtOnce(tokens: readonly string[]): Promise<{ opened: LiveClient[]; refused: number[] }> {
  const results = await Promise.allSettled(tokens.map((token) => openLive(h.fast.url, { token })));
  const opened: LiveClient[] = [];
  const refused: number[] = [];
  for (const result of results) {
    if (result.status === 'fulfilled') opened.push(result.value);
    else refused.push((result.reason as { status?: number }).status ?? 0);
  }
  clients.push(...opened);
  return { opened, refused };
}

test('parallel upgrades of one subject, one token or many sessions: exactly the limit opens, the rest get 429', async () => {
  const token = await h.issuer.sign({ sub: '7' });
  const first = await openAtOnce(Array.from({ length: 12 }, () => token));
  assert.equal(first.opened.length, MAX);
  assert.deepEqual(first.refused, Array(12 - MAX).fill(429));

  // Fresh sessions of the same user count against the same limit.
  const sessions = await Promise.all(Array.from({ length: 4 }, () => h.issuer.sign({ sub: '7' })));
  const more = await openAtOnce(sessions);
  assert.equal(more.opened.length, 0);
  assert.deepEqual(more.refused, [429, 429, 429, 429]);

  // Another subject is not affected.
  const someoneElse = await openAtOnce(
    await Promise.all(Array.from({ length: MAX }, () => h.issuer.sign({ sub: '8' }))),
  );
  assert.equal(someoneElse.opened.length, MAX);

  // Closing one gives one back; the sockets that are open keep working.
  first.opened[0]!.close();
  await eventually('the closed socket is counted out', async () => {
    const again = await openAtOnce([token]);
    return again.opened.length === 1;
  });
  const live = first.opened[1]!;
  live.send({ type: 'subscribe', topic: 'products' });
  assert.equal((await live.next((frame) => frame.type === 'subscribed', 'subscribed')).topic, 'products');
});

test('the refusal says what happened and what to do, in JSON', async () => {
  const token = await h.issuer.sign({ sub: '9' });
  await openAtOnce(Array.from({ length: MAX }, () => token));
  const socket = createConnection({ host: '127.0.0.1', port: h.fast.port });
  const answer = await new Promise<string>((resolve, reject) => {
    let text = '';
    socket.on('data', (chunk) => {
      text += String(chunk);
      // A whole JSON body, or an upgrade (101: no body follows, the assertion below reports it).
      if (text.includes('}') || (text.startsWith('HTTP/1.1 101') && text.includes('\r\n\r\n'))) resolve(text);
    });
    socket.on('error', reject);
    socket.write(
      'GET /v1/live HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n' +
        'Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n' +
        `Authorization: Bearer ${token}\r\n\r\n`,
    );
  });
  socket.destroy();
  assert.match(answer, /^HTTP\/1\.1 429 Too Many Requests\r\n/);
  const body = JSON.parse(answer.slice(answer.indexOf('\r\n\r\n') + 4)) as { error: string; message: string };
  assert.equal(body.error, 'too_many_connections');
  assert.match(body.message, /already has 5 live connections open/);
});
