/**
 * With a platform (or injected) WebSocket, which cannot send headers, the live client offers its
 * access token as a subprotocol beside `tandem.bearer` instead of putting it in the URL, whose
 * request line proxies log. (e2e/test/client-browser.test.ts opens such a socket from Chromium to the
 * real fast service; services/fast/test/live-protocol-token.test.ts checks the server's side.)
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { socketFactory, type SocketLike } from '../src/websocket.js';

const JWT = 'eyJhbGciOiJFZERTQSJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl-_x';
const opened: { url: string; protocols: string | string[] | undefined }[] = [];

class FakeSocket implements SocketLike {
  onopen = null;
  onmessage = null;
  onclose = null;
  onerror = null;
  constructor(url: string, protocols?: string | string[]) {
    opened.push({ url, protocols });
  }
  send(): void {}
  close(): void {}
}

test('the token is offered as a subprotocol, not put in the URL', async () => {
  opened.length = 0;
  const open = await socketFactory(FakeSocket);
  open('wss://fast.example/v1/live', JWT);
  assert.deepEqual(opened, [
    { url: 'wss://fast.example/v1/live', protocols: ['tandem.bearer', `tandem.bearer.${JWT}`] },
  ]);
});

test('a token a subprotocol name cannot hold goes in the query, as before', async () => {
  opened.length = 0;
  const open = await socketFactory(FakeSocket);
  open('wss://fast.example/v1/live', 'opaque token/with=spaces');
  assert.deepEqual(opened, [
    { url: 'wss://fast.example/v1/live?access_token=opaque+token%2Fwith%3Dspaces', protocols: undefined },
  ]);
});
