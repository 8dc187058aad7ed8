/**
 * RFC 6455 conformance of /v1/live at the frame level, with a raw TCP client. What uWebSockets.js
 * handles natively (before any JavaScript runs) is pinned as it is, with the reason; what the service
 * can decide is fixed.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { MAX_MESSAGE_BYTES, MAX_REFUSED_MESSAGES, NATIVE_MAX_PAYLOAD_BYTES } from '../src/live.js';
import { eventually, seedCatalog, startHarness, type Harness } from './support/fast.js';
import { RawWebSocket } from './support/raw-ws.js';

let h: Harness;
let token: string;
const sockets: RawWebSocket[] = [];
const open = async () => {
  const socket = await RawWebSocket.open(h.fast.port, token);
  sockets.push(socket);
  return socket;
};
const subscribe = Buffer.from(JSON.stringify({ type: 'subscribe', topic: 'products' }));
const json = (frame: { payload: Buffer }) => JSON.parse(frame.payload.toString('utf8'));

before(async () => {
  h = await startHarness({}, (db) => seedCatalog(db, 1));
  token = await h.issuer.sign();
});
after(async () => {
  for (const socket of sockets) socket.destroy();
  await h?.close();
});

test('a message over the limit is closed with 1009 (message too big), in a close frame', async () => {
  const ws = await open();
  ws.write(RawWebSocket.textFrame(Buffer.alloc(MAX_MESSAGE_BYTES + 1, 0x20)));
  await eventually('a close frame', () => ws.closeCode() !== undefined || ws.ended);
  assert.equal(ws.closeCode(), 1009, `frames: ${JSON.stringify(ws.frames.map((f) => f.opcode))}`);
  assert.match(ws.frames.at(-1)!.payload.subarray(2).toString(), /limited to 4096 bytes/);
});

test('a message of exactly the limit is still read', async () => {
  const ws = await open();
  const padded = Buffer.concat([subscribe, Buffer.alloc(MAX_MESSAGE_BYTES - subscribe.length, 0x20)]);
  ws.write(RawWebSocket.textFrame(padded));
  await eventually('an answer', () => ws.frames.length > 0 || ws.ended);
  assert.equal(json(ws.frames[0]!).type, 'subscribed');
});

test('pinned: a frame beyond uWebSockets.js own bound is cut natively, without a close frame', async () => {
  // uWS refuses a frame whose header announces more than maxPayloadLength as soon as it reads that
  // header, and closes the TCP connection itself (forceClose): no JavaScript runs, so no close frame
  // can be sent and the client reports 1006. Frames up to NATIVE_MAX_PAYLOAD_BYTES get the 1009 above.
  const ws = await open();
  ws.write(RawWebSocket.textFrame(Buffer.alloc(NATIVE_MAX_PAYLOAD_BYTES + 1, 0x20)));
  await eventually('the connection is closed', () => ws.ended);
  assert.deepEqual(ws.frames, [], 'nothing, not even a close frame');
});

test('pinned: an unmasked client frame is not refused with 1002; uWS reads it as masked', async () => {
  // RFC 6455 §5.1: a server MUST close the connection on an unmasked client frame (1002). The
  // uWebSockets.js parser never looks at the MASK bit: it always takes the 4 bytes after the length
  // for a masking key. This cannot be changed from JavaScript (the prebuilt binary parses frames
  // before any callback). Shown here with 4 zero bytes in front of a subscribe message, which the
  // parser takes for a zero key, so it "unmasks" the rest into a valid message and answers it.
  const ws = await open();
  const unmasked = RawWebSocket.textFrame(Buffer.concat([Buffer.alloc(4), subscribe]), false);
  unmasked[1] = subscribe.length; // the length of the message uWS will read after its "key"
  ws.write(unmasked);
  await eventually('an answer', () => ws.frames.length > 0 || ws.ended);
  assert.equal(ws.closeCode(), undefined, 'no 1002 close');
  assert.equal(json(ws.frames[0]!).type, 'subscribed');
});

test('a socket that keeps sending refused messages is closed (1008) instead of answered each time', async () => {
  const ws = await open();
  const refusedMessage = RawWebSocket.textFrame(Buffer.from('{}'));
  for (let i = 0; i < MAX_REFUSED_MESSAGES; i++) ws.write(refusedMessage);
  await eventually('every refusal answered', () => ws.frames.length >= MAX_REFUSED_MESSAGES);
  assert.ok(ws.frames.every((f) => json(f).code === 'unknown_type'));
  assert.equal(ws.closeCode(), undefined, 'a client making mistakes is not cut off early');
  // A refused message past the allowance ends the socket, with a reason.
  ws.write(refusedMessage);
  await eventually('a close frame', () => ws.closeCode() !== undefined || ws.ended);
  assert.equal(ws.closeCode(), 1008);
  assert.match(ws.frames.at(-1)!.payload.subarray(2).toString(), /more than 50 refused messages/);
  // Other sockets of the same token are not affected.
  const other = await open();
  other.write(RawWebSocket.textFrame(subscribe));
  await eventually('subscribed', () => other.frames.length > 0);
  assert.equal(json(other.frames[0]!).type, 'subscribed');
});
