/**
 * The repository's nginx config in front of one fast replica: a request with more header fields than
 * uWebSockets.js can parse (48) gets a real answer through nginx, because nginx forwards only the
 * headers the service reads. Straight to the replica, the same request is closed unanswered (pinned in
 * services/fast/test/serving.test.ts). ETags, tokens and the WebSocket upgrade still pass through, and
 * so does what a browser sends for CORS (Origin, and the preflight's questions). nginx lets go of an
 * idle upstream connection before the replica would close it.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { request } from 'node:http';
import { connect } from 'node:net';
import WebSocket from 'ws';
import { createMigratedDatabase, type MigratedTestDatabase } from '@tandem/models/testing';
import { NGINX_BINARY, startNginx } from '../support/nginx.js';
import { ENTRY_POINTS, startServiceProcess, type ServiceProcess } from '../support/service-process.js';
import { readerToken, seedReaderCatalog } from '../support/catalog.js';

const skip = !existsSync(NGINX_BINARY) ? 'nginx is not installed (apt-get install nginx-light)' : false;

let db: MigratedTestDatabase;
const processes: ServiceProcess[] = [];
let nginx: ChildProcess | undefined;
let nginxUrl = '';
let fastUrl = '';
let token = '';
/** The page origin fast is told to allow (CORS_ALLOWED_ORIGINS); any other is refused. */
const PAGE = 'https://shop.example';

/** A GET with `extra` header fields besides Host and Authorization; node:http sends them as given. */
function getWithHeaders(
  base: string,
  pathname: string,
  extra: number,
  headers: Record<string, string> = {},
): Promise<{ status: number; etag: string | undefined; body: string }> {
  const many: Record<string, string> = { authorization: `Bearer ${token}`, ...headers };
  for (let i = 0; i < extra; i++) many[`x-extra-${i}`] = 'v';
  return new Promise((resolve, reject) => {
    const req = request(`${base}${pathname}`, { headers: many, agent: false }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, etag: res.headers.etag, body }));
    });
    req.setTimeout(3000, () => req.destroy(new Error('no answer within 3 s')));
    req.on('error', reject);
    req.end();
  });
}

before(async () => {
  if (skip) return;
  db = await createMigratedDatabase();
  await seedReaderCatalog(db, 3);
  const base = {
    DATABASE_URL: db.url,
    HOST: '127.0.0.1',
    TANDEM_SECRET_KEY: randomBytes(32).toString('hex'),
  };
  const auth = await startServiceProcess('auth', ENTRY_POINTS.auth, { env: { ...base, AUTH_PORT: '0' } });
  processes.push(auth);
  token = await readerToken(auth.url);
  const fast = await startServiceProcess('fast', ENTRY_POINTS.fast, {
    env: { ...base, FAST_PORT: '0', TOKEN_ISSUER: auth.url, FEED_POLL_MS: '5', CORS_ALLOWED_ORIGINS: PAGE },
  });
  processes.push(fast);
  fastUrl = fast.url;

  const started = await startNginx([new URL(fast.url).host]);
  nginx = started.process;
  nginxUrl = started.url;
});

after(async () => {
  nginx?.kill('SIGQUIT');
  for (const service of processes.reverse()) await service.stop();
  await db?.close();
});

test('a request with 60 header fields is answered through nginx', { skip }, async () => {
  const list = await getWithHeaders(nginxUrl, '/v1/products', 60);
  assert.equal(list.status, 200, list.body);
  const id = JSON.parse(list.body).items[0].id as number;
  const record = await getWithHeaders(nginxUrl, `/v1/products/${id}`, 60);
  assert.equal(record.status, 200);
  assert.ok(record.etag);
  const again = await getWithHeaders(nginxUrl, `/v1/products/${id}`, 60, { 'if-none-match': record.etag });
  assert.equal(again.status, 304, 'If-None-Match is forwarded');
});

test('nginx keeps /metrics off the public port; the replica answers it on its own', { skip }, async () => {
  const through = await fetch(`${nginxUrl}/metrics`);
  assert.equal(through.status, 404);
  assert.doesNotMatch(await through.text(), /tandem_/, 'no figure of the replica');
  const direct = await fetch(`${fastUrl}/metrics`);
  assert.equal(direct.status, 200, 'no METRICS_TOKEN here: open on the private network');
  assert.match(await direct.text(), /tandem_/);
});

test('straight to the replica, the same request is not answered', { skip }, async () => {
  await assert.rejects(getWithHeaders(fastUrl, '/v1/products', 60));
});

test('the WebSocket upgrade and its token still pass through nginx', { skip }, async () => {
  const socket = new WebSocket(`${nginxUrl.replace('http', 'ws')}/v1/live`, {
    headers: { authorization: `Bearer ${token}` },
  });
  try {
    await new Promise<void>((resolve, reject) => {
      socket.once('open', () => resolve());
      socket.once('error', reject);
    });
    const answer = new Promise<string>((resolve) => socket.once('message', (data) => resolve(String(data))));
    socket.send(JSON.stringify({ type: 'subscribe', topic: 'products' }));
    assert.equal(JSON.parse(await answer).type, 'subscribed');
  } finally {
    socket.terminate();
  }
});

/** A browser's request through nginx: `method` with exactly `headers` (besides Host). */
async function browserRequest(
  method: string,
  pathname: string,
  headers: Record<string, string>,
): Promise<{ status: number; headers: Headers; body: string }> {
  const res = await fetch(`${nginxUrl}${pathname}`, { method, headers });
  return { status: res.status, headers: res.headers, body: await res.text() };
}

const preflightFrom = (origin: string, method: string) =>
  browserRequest('OPTIONS', '/v1/products', {
    origin,
    'access-control-request-method': method,
    'access-control-request-headers': 'authorization',
  });

test(
  'a page of an allowed origin passes its preflight and reads the answer through nginx',
  { skip },
  async () => {
    const preflight = await preflightFrom(PAGE, 'GET');
    assert.equal(preflight.status, 204, preflight.body);
    assert.equal(preflight.headers.get('access-control-allow-origin'), PAGE);
    assert.match(preflight.headers.get('access-control-allow-headers') ?? '', /Authorization/);

    const read = await browserRequest('GET', '/v1/products', {
      authorization: `Bearer ${token}`,
      origin: PAGE,
    });
    assert.equal(read.status, 200, read.body);
    assert.equal(read.headers.get('access-control-allow-origin'), PAGE, 'Origin reaches fast on a read');
    assert.match(read.headers.get('access-control-expose-headers') ?? '', /ETag/);

    // A write goes through its own location (@write): the page reads its answer there too (here a 403:
    // the reader's token has no products:write).
    const write = await browserRequest('POST', '/v1/products', {
      authorization: `Bearer ${token}`,
      origin: PAGE,
      'content-type': 'application/json',
    });
    assert.equal(write.status, 403, write.body);
    assert.equal(write.headers.get('access-control-allow-origin'), PAGE, 'Origin reaches fast on a write');
  },
);

test('through nginx, another origin and a method fast does not take are refused', { skip }, async () => {
  const other = await preflightFrom('https://evil.example', 'GET');
  assert.equal(other.status, 403);
  assert.equal(JSON.parse(other.body).error, 'cors_refused');
  assert.equal(other.headers.get('access-control-allow-origin'), null);
  // The requested method reaches fast: PUT is not one it takes, even from the allowed origin.
  const put = await preflightFrom(PAGE, 'PUT');
  assert.equal(put.status, 403, 'Access-Control-Request-Method is forwarded');

  const read = await browserRequest('GET', '/v1/products', {
    authorization: `Bearer ${token}`,
    origin: 'https://evil.example',
  });
  assert.equal(read.status, 200);
  assert.equal(read.headers.get('access-control-allow-origin'), null);
});

/** Seconds from an answer on a kept-alive connection to fast until fast closes the idle connection. */
async function fastIdleCloseSeconds(): Promise<number> {
  const { hostname, port } = new URL(fastUrl);
  const socket = connect(Number(port), hostname);
  let answeredAt = 0;
  return new Promise<number>((resolve, reject) => {
    socket.setTimeout(30_000, () => socket.destroy(new Error('fast kept an idle connection 30 s')));
    socket.once('error', reject);
    socket.on('data', (chunk: Buffer) => {
      if (answeredAt === 0 && chunk.includes('\r\n\r\n')) answeredAt = performance.now();
    });
    socket.once('close', () =>
      answeredAt === 0
        ? reject(new Error('closed before answering'))
        : resolve((performance.now() - answeredAt) / 1000),
    );
    socket.write(`GET /healthz HTTP/1.1\r\nHost: ${hostname}\r\n\r\n`);
  });
}

test('nginx drops an idle connection to fast before fast closes it', { skip }, async () => {
  // Else nginx could send a request down a connection fast is closing: a GET is retried on another
  // replica, a POST (never resent) is answered 502.
  const conf = readFileSync(new URL('../../../infra/nginx/tandem-fast.conf', import.meta.url), 'utf8');
  const upstream = /upstream tandem_fast \{([^}]*)\}/.exec(conf)?.[1] ?? '';
  const keptIdle = Number(/keepalive_timeout (\d+)s;/.exec(upstream)?.[1]);
  assert.ok(keptIdle > 0, 'the upstream block sets keepalive_timeout in seconds');
  const closedAfter = await fastIdleCloseSeconds();
  assert.ok(
    keptIdle + 1 < closedAfter,
    `nginx keeps an idle upstream connection ${keptIdle} s; fast closed one after ${closedAfter.toFixed(1)} s`,
  );
});
