import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { clientAddressReader } from '../src/index.js';

/** Sends one real request from 127.0.0.1 with these headers and returns what the reader made of it. */
async function readAddress(trustedProxies: string[], headers: Record<string, string>): Promise<string> {
  const read = clientAddressReader(trustedProxies);
  let seen = '';
  const server = createServer((req: IncomingMessage, res) => {
    seen = read(req);
    res.end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    const { port } = server.address() as AddressInfo;
    await (await fetch(`http://127.0.0.1:${port}/`, { headers })).arrayBuffer();
  } finally {
    server.close();
    server.closeAllConnections();
  }
  return seen;
}

test('without trusted proxies the peer is the client and X-Forwarded-For is ignored', async () => {
  assert.equal(await readAddress([], { 'X-Forwarded-For': '203.0.113.9' }), '127.0.0.1');
});

test('from an untrusted peer X-Forwarded-For is ignored', async () => {
  assert.equal(
    await readAddress(['10.0.0.1', '10.1.0.0/16'], { 'X-Forwarded-For': '203.0.113.9' }),
    '127.0.0.1',
  );
});

test('from a trusted peer the address the proxy appended counts, not what the client wrote first', async () => {
  assert.equal(await readAddress(['127.0.0.1'], { 'X-Forwarded-For': '203.0.113.9' }), '203.0.113.9');
  assert.equal(
    await readAddress(['127.0.0.0/8'], { 'X-Forwarded-For': '198.51.100.1, 203.0.113.9' }),
    '203.0.113.9',
  );
  // A chain of trusted proxies is walked until the first untrusted hop.
  assert.equal(
    await readAddress(['loopback', '10.0.0.0/8'], {
      'X-Forwarded-For': '198.51.100.1, 203.0.113.9, 10.2.3.4',
    }),
    '203.0.113.9',
  );
  assert.equal(await readAddress(['127.0.0.1'], {}), '127.0.0.1', 'no header: the peer');
});
