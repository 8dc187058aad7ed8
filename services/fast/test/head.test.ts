/**
 * HEAD is answered like GET without the body (RFC 9110 §9.3.2), on every path: the reads, the write
 * outcomes, /healthz, /openapi.json, /metrics, and the 404 of an unknown path. A body after a HEAD
 * answer would be read, on a kept-alive connection, as the start of the next answer.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { request, Agent } from 'node:http';
import { testDialect } from '@tandem/models/testing';
import { seedCatalog, startHarness, type Harness } from './support/fast.js';
import { bearer, get, raw } from './support/http.js';

let h: Harness;
let token: string;

before(async () => {
  h = await startHarness({}, (db) => seedCatalog(db, 3));
  token = await h.issuer.sign();
  // Verified once here, so that later reads answer in the same tick: uWebSockets.js closes a
  // connection whose next request arrives while an answer is still pending (pipelining), GET or HEAD.
  await get(`${h.fast.url}/v1/products/1`, bearer(token));
});
after(() => h?.close());

/** The answers on one connection to a HEAD then a GET of /healthz, sent together (pipelined). */
async function headThenGet(path: string): Promise<string> {
  return raw(
    h.fast.port,
    `HEAD ${path} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${token}\r\n\r\n` +
      'GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n',
    800,
  );
}

test(`a HEAD then a GET on one connection: the GET's answer follows the HEAD's headers (${testDialect()})`, async () => {
  for (const path of ['/v1/products/1', '/v1/products', '/healthz', '/openapi.json', '/nope']) {
    const answers = await headThenGet(path);
    const [head, rest] = [
      answers.slice(0, answers.indexOf('\r\n\r\n')),
      answers.slice(answers.indexOf('\r\n\r\n') + 4),
    ];
    assert.match(head, /^HTTP\/1\.1 \d{3} /, path);
    assert.ok(
      rest.startsWith('HTTP/1.1 200 OK\r\n'),
      `${path}: after the HEAD's headers comes the GET's answer, not ${JSON.stringify(rest.slice(0, 40))}`,
    );
    assert.match(rest, /"status":"ok"/, path);
  }
});

test('HEAD carries what GET carries, without the body', async () => {
  const paths = [
    '/v1/products/1',
    '/v1/products?limit=2',
    '/healthz',
    '/openapi.json',
    '/nope',
    '/v1/nope/1',
  ];
  for (const path of [...paths, '/v1/writes/1']) {
    const got = await get(`${h.fast.url}${path}`, bearer(token));
    const head = await get(`${h.fast.url}${path}`, bearer(token), 'HEAD');
    assert.equal(head.status, got.status, path);
    assert.equal(head.text, '', path);
    assert.equal(
      head.headers['content-length'],
      String(Buffer.byteLength(got.text)),
      `${path}: the GET's length`,
    );
    assert.equal(head.headers['content-type'], got.headers['content-type'], path);
    assert.equal(head.headers.etag, got.headers.etag, path);
  }
  // /metrics counts the requests themselves, so its length changes from one answer to the next.
  const metrics = await get(`${h.fast.url}/metrics`, {}, 'HEAD');
  assert.equal(metrics.status, 200);
  assert.equal(metrics.text, '');
  assert.ok(Number(metrics.headers['content-length']) > 0);
  // Refusals too: no token, an unknown record.
  const refused = await get(`${h.fast.url}/v1/products/1`, {}, 'HEAD');
  assert.equal(refused.status, 401);
  assert.ok(refused.headers['www-authenticate']);
  assert.equal(refused.text, '');
  const etag = (await get(`${h.fast.url}/v1/products/1`, bearer(token))).headers.etag as string;
  const unchanged = await get(
    `${h.fast.url}/v1/products/1`,
    { ...bearer(token), 'if-none-match': etag },
    'HEAD',
  );
  assert.equal(unchanged.status, 304);
  assert.equal(unchanged.headers.etag, etag);
});

test("Node's client reads a GET after a HEAD on a kept-alive connection", async () => {
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  const once = (method: string, path: string) =>
    new Promise<number>((resolve, reject) => {
      const req = request(`${h.fast.url}${path}`, { method, agent, headers: bearer(token) }, (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      });
      req.on('error', reject);
      req.end();
    });
  try {
    for (const path of ['/v1/products/1', '/nope']) {
      await once('HEAD', path);
      assert.equal(await once('GET', '/healthz'), 200, `after HEAD ${path}`);
    }
  } finally {
    agent.destroy();
  }
});
