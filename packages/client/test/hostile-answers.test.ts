/**
 * What a hostile or broken server can make the client do: a misconfigured authUrl, a proxy's error page
 * or a compromised host answering the token endpoint (or the fast service) with huge bodies and absurd
 * expiries. The client reads at most 64 KiB of such an answer, keeps at most 500 characters of it in an
 * error, and refuses an expiry that would refresh on every call or never. A list whose `next` cursor
 * comes back again (forever, or in a cycle) ends `iterate` with an ApiError instead of a loop without end.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { ApiError, InvalidGrantError, createTandemClient } from '../src/index.js';

const HUGE = 5 * 1024 * 1024;

/** The token endpoint's answer, chosen by the client id the test logs in with. */
const answers: Record<string, (res: http.ServerResponse) => void> = {
  'huge-declared': (res) => {
    res.writeHead(400, { 'content-type': 'application/json', 'content-length': String(HUGE + 40) });
    res.end(`{"error":"invalid_grant","error_description":"${'x'.repeat(HUGE)}"}`);
  },
  'huge-streamed': (res) => {
    res.writeHead(400, { 'content-type': 'application/json' });
    res.write('{"error":"invalid_grant","error_description":"');
    const chunk = 'y'.repeat(64 * 1024);
    let left = HUGE / chunk.length;
    const more = () => {
      while (left > 0) {
        left--;
        if (!res.write(chunk)) return void res.once('drain', more);
      }
      res.end('"}');
    };
    res.on('error', () => undefined);
    more();
  },
  'long-description': (res) => {
    res.writeHead(400, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ error: 'invalid_grant', error_description: 'z'.repeat(2000) }));
  },
  'negative-expiry': (res) => token(res, '-100'),
  'infinite-expiry': (res) => token(res, '1e400'),
  'fractional-expiry': (res) => token(res, '0.5'),
  good: (res) => token(res, '600'),
};

function token(res: http.ServerResponse, expiresIn: string) {
  res.writeHead(200, { 'content-type': 'application/json' });
  res.end(`{"access_token":"a.b.c","token_type":"Bearer","expires_in":${expiresIn}}`);
}

/** The `next` cursor a page of /v1/products answers, by the cursor it was asked for ("" for the first). */
let nextCursor: (after: string) => string | null = () => null;
const pagesServed: string[] = [];

const server = http.createServer((req, res) => {
  const list = new URL(req.url ?? '/', 'http://x');
  if (list.pathname === '/v1/products') {
    const after = list.searchParams.get('after') ?? '';
    pagesServed.push(after);
    res.writeHead(200, { 'content-type': 'application/json' });
    return void res.end(JSON.stringify({ items: [{ id: pagesServed.length }], next: nextCursor(after) }));
  }
  if (req.url?.startsWith('/v1/')) {
    // The fast service's error answer: a 404 with a megabyte of message.
    res.writeHead(404, { 'content-type': 'application/json' });
    return void res.end(JSON.stringify({ error: 'not_found', message: 'm'.repeat(1024 * 1024) }));
  }
  const basic = Buffer.from((req.headers.authorization ?? '').slice(6), 'base64').toString();
  req.resume();
  req.on('end', () => answers[decodeURIComponent(basic.split(':')[0]!)]!(res));
});
let url = '';

before(async () => {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
after(() => server.close());

const login = (clientId: string) =>
  createTandemClient({ authUrl: url, fastUrl: url }).tokens.clientCredentials({
    clientId,
    clientSecret: 'secret',
  });

const tooLarge = (error: unknown) => {
  assert.ok(error instanceof ApiError, String(error));
  assert.equal(error.code, 'response_too_large');
  assert.equal(error.status, 400);
  assert.ok(error.message.length < 200);
  return true;
};

test('an answer declaring more than 64 KiB is refused before its body is read', async () => {
  await assert.rejects(login('huge-declared'), tooLarge);
});

test('an answer streaming more than 64 KiB (no length declared) is refused once it passes that', async () => {
  await assert.rejects(login('huge-streamed'), tooLarge);
});

test('an error description is kept to 500 characters', async () => {
  await assert.rejects(login('long-description'), (error: unknown) => {
    assert.ok(error instanceof InvalidGrantError);
    assert.equal(error.description.length, 501);
    assert.ok(error.description.endsWith('…'));
    return true;
  });
});

test('an expiry that would refresh on every call, or never, is refused', async () => {
  for (const clientId of ['negative-expiry', 'infinite-expiry', 'fractional-expiry'])
    await assert.rejects(login(clientId), (error: unknown) => {
      assert.ok(error instanceof ApiError, clientId);
      assert.equal(error.code, 'unexpected_response', clientId);
      return true;
    });
  const tokens = await login('good');
  assert.equal(tokens.accessToken, 'a.b.c');
  assert.ok(tokens.expiresAt > Date.now() + 590_000 && tokens.expiresAt <= Date.now() + 600_000);
});

test("the fast service's error answers are bounded the same way", async () => {
  const tandem = createTandemClient({ authUrl: url, fastUrl: url });
  await tandem.tokens.clientCredentials({ clientId: 'good', clientSecret: 'secret' });
  await assert.rejects(tandem.collections.products.get(1), (error: unknown) => {
    assert.ok(error instanceof ApiError);
    assert.equal(error.code, 'response_too_large');
    assert.equal(error.status, 404);
    return true;
  });
});

test('a list answering a cursor already followed ends iterate with an ApiError, not a loop', async () => {
  const tandem = createTandemClient({ authUrl: url, fastUrl: url });
  await tandem.tokens.clientCredentials({ clientId: 'good', clientSecret: 'secret' });
  const cases: [string, (after: string) => string | null, string[]][] = [
    ['the same cursor forever', () => 'c1', ['', 'c1']],
    ['a cycle', (after) => ({ '': 'a', a: 'b', b: 'a' })[after] ?? null, ['', 'a', 'b']],
  ];
  for (const [what, cursor, served] of cases) {
    nextCursor = cursor;
    pagesServed.length = 0;
    const seen: unknown[] = [];
    await assert.rejects(
      (async () => {
        for await (const product of tandem.collections.products.iterate()) {
          seen.push(product);
          // Without the check the loop would not end: stop it, and fail, after far more pages.
          if (seen.length > 1000) return;
        }
      })(),
      (error: unknown) => {
        assert.ok(error instanceof ApiError, `${what}: ${String(error)}`);
        assert.equal(error.code, 'unexpected_response', what);
        assert.match(error.message, /repeated the cursor/, what);
        return true;
      },
      what,
    );
    assert.deepEqual(pagesServed, served, what);
    assert.equal(seen.length, served.length, `${what}: every page served was yielded`);
  }
  // A cursor that moves on is followed to its end as before.
  nextCursor = (after) => ({ '': 'p2', p2: 'p3' })[after] ?? null;
  pagesServed.length = 0;
  const all = [];
  for await (const product of tandem.collections.products.iterate()) all.push(product);
  assert.equal(all.length, 3);
  assert.deepEqual(pagesServed, ['', 'p2', 'p3']);
});
