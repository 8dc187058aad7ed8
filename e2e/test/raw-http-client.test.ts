/**
 * The writes latency client's HTTP/1.1 connections (bench/raw-http-client.ts), against a real
 * node:http server on loopback: what it reads of an answer, that it keeps connections alive, and that
 * it refuses what it does not read instead of guessing.
 */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { after, before, test } from 'node:test';
import { RawHttpPool, parseAnswer } from '../bench/raw-http-client.js';

let server: Server;
let port: number;
let connections = 0;

before(async () => {
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      if (req.url === '/chunked') {
        res.writeHead(200, { 'content-type': 'text/plain' });
        res.write('a');
        res.end('b');
      } else if (req.url === '/hang-up') {
        req.socket.destroy();
      } else {
        // Head and body in separate writes, the body in two: the client must wait for all of it.
        const answer = Buffer.from(`{"echo":${JSON.stringify(body)},"auth":"${req.headers.authorization}"}`);
        res.writeHead(201, { location: '/v1/orders/42', 'content-length': answer.length });
        res.write(answer.subarray(0, 5));
        setTimeout(() => res.end(answer.subarray(5)), 5);
      }
    });
  });
  server.on('connection', (_socket: Socket) => (connections += 1));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
});
after(() => new Promise<void>((resolve) => server.close(() => resolve())));

const post = (path: string, body: string) =>
  `POST ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer t0\r\nContent-Type: application/json\r\n` +
  `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;

test('an answer: status, Location and the whole Content-Length body, however it arrives; connections are kept alive', async () => {
  const pool = new RawHttpPool('127.0.0.1', port);
  const before = connections;
  try {
    for (const body of ['{"n":1}', '{"n":"ünïcode"}']) {
      const answer = await pool.request(post('/v1/orders', body));
      assert.equal(answer.status, 201);
      assert.equal(answer.location, '/v1/orders/42');
      assert.deepEqual(JSON.parse(answer.body.toString('utf8')), { echo: body, auth: 'Bearer t0' });
    }
    assert.equal(connections - before, 1, 'the second request reused the first connection');
    const parallel = await Promise.all([1, 2, 3].map((n) => pool.request(post('/v1/orders', `{"n":${n}}`))));
    assert.deepEqual(
      parallel.map((a) => a.status),
      [201, 201, 201],
    );
    assert.equal(connections - before, 3, 'one request per connection at a time: two more opened');
  } finally {
    pool.close();
  }
});

test('a chunked answer is refused, not misread; a connection the server closes rejects its request', async () => {
  const pool = new RawHttpPool('127.0.0.1', port);
  try {
    await assert.rejects(pool.request(post('/chunked', '{}')), { code: 'EBADANSWER' });
    await assert.rejects(pool.request(post('/hang-up', '{}')), { code: 'ECONNRESET' });
    assert.equal((await pool.request(post('/v1/orders', '{}'))).status, 201, 'a fresh connection after them');
  } finally {
    pool.close();
  }
});

test('parseAnswer: incomplete until the body is whole; a malformed status line is an error', () => {
  const whole = Buffer.from('HTTP/1.1 202 Accepted\r\nContent-Length: 2\r\nLocation: /v1/writes/7\r\n\r\nok');
  for (let cut = 0; cut < whole.length; cut++) assert.equal(parseAnswer(whole.subarray(0, cut)), undefined);
  const parsed = parseAnswer(whole);
  assert.deepEqual(
    [parsed?.answer.status, parsed?.answer.location, parsed?.answer.body.toString(), parsed?.length],
    [202, '/v1/writes/7', 'ok', whole.length],
  );
  assert.throws(() => parseAnswer(Buffer.from('HTTP/1.0 200 OK\r\n\r\n')), { code: 'EBADANSWER' });
});
