/**
 * The write endpoints under attack (issue 15), on a real fast service and the table queue: bodies that
 * try to write what they may not (the owner, flattened or nested keys, prototype keys), bad media types,
 * broken JSON, bodies too large (refused before they are read), another user's order, missing scopes,
 * cross-site requests, and clients racing the rate limit and the queue bound. Nothing refused is queued.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { randomUUID } from 'node:crypto';
import { testDialect } from '@tandem/models/testing';
import { eventually } from './support/fast.js';
import { bearer, get } from './support/http.js';
import { createOrder, createUsers } from './support/orders.js';
import {
  productIds,
  send,
  startWriteHarness,
  writeRows,
  writerToken,
  type WriteHarness,
} from './support/writes.js';

const SHOP = 'https://shop.example';

/** Sends `head` then `body` on one socket; what came back, and whether the server closed the connection. */
function rawExchange(
  port: number,
  head: string,
  body: Buffer,
  ms = 3000,
): Promise<{ text: string; closed: boolean }> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    let settled = false;
    const done = (closed: boolean) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      resolve({ text: Buffer.concat(chunks).toString('latin1'), closed });
    };
    const timer = setTimeout(() => done(false), ms);
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.on('end', () => done(true));
    socket.on('close', () => done(true));
    socket.on('error', () => done(true));
    socket.write(head);
    socket.write(body);
  });
}

describe(`the write endpoints refuse bad writes at the edge (${testDialect()})`, () => {
  let h: WriteHarness;
  let alice: number;
  let bob: number;
  let aliceToken: string;
  let product: number;
  let bobsOrder: number;
  const url = (path: string) => `${h.fast.url}${path}`;
  const post = (body: unknown, headers: Record<string, string> = {}, token = aliceToken) =>
    send('POST', url('/v1/orders'), { token, body, headers });

  before(async () => {
    // No hold limit: the amounts test orders thousands of units (the limit has its own test below).
    h = await startWriteHarness({
      env: { CORS_ALLOWED_ORIGINS: SHOP, WRITE_MAX_BODY_BYTES: '4096', ORDER_HOLD_MAX_UNITS: '0' },
    });
    [alice, bob] = (await createUsers(h, 'attacked', 2)) as [number, number];
    aliceToken = await writerToken(h, alice);
    [product] = (await productIds(h)) as [number];
    bobsOrder = await createOrder(h, bob);
    await eventually(
      'the catalog and the order are served',
      () => h.fast.store.get('orders')!.get(bobsOrder) !== undefined,
    );
  });
  after(() => h?.close());

  /** Asserts a 422 validation_failed naming `field`, and that nothing was queued. */
  async function refused(
    body: unknown,
    field: string,
    pattern: RegExp,
    method = 'POST',
    path = '/v1/orders',
    token = aliceToken,
  ) {
    const rows = await writeRows(h);
    const reply = await send(method, url(path), { token, body });
    assert.equal(reply.status, 422, `${JSON.stringify(body)} → ${reply.text}`);
    assert.equal(reply.json.error, 'validation_failed');
    assert.equal(reply.headers['content-type'], 'application/json');
    assert.ok(Object.hasOwn(reply.json.errors, field), `${field} in ${reply.text}`);
    assert.match(reply.json.errors[field], pattern);
    assert.equal(await writeRows(h), rows, 'nothing queued');
    return reply;
  }

  test('the owner cannot be written: userId in the body is an unknown field, flattened or nested', async () => {
    const lines = [{ productId: product, quantity: 1 }];
    await refused({ lines, userId: bob }, 'userId', /Unknown field/);
    await refused({ lines, user: bob }, 'user', /Unknown field/);
    await refused({ lines, 'lines.0.productId': 1 }, 'lines.0.productId', /Unknown field/);
    await refused(
      { lines: [{ productId: product, quantity: 1, userId: bob }] },
      'lines.0.userId',
      /Unknown field/,
    );
    await refused(
      { lines: [{ productId: product, quantity: 1, unitPriceCents: 0 }] },
      'lines.0.unitPriceCents',
      /Unknown field/,
    );
    await refused({ lines, totalCents: 1, status: 'paid' }, 'totalCents', /Unknown field/);
    await refused(
      { status: 'cancelled', userId: bob },
      'userId',
      /Unknown field/,
      'PATCH',
      `/v1/orders/${bobsOrder}`,
    );
  });

  test('prototype keys are fields like any other: refused, and no object is polluted', async () => {
    const lines = [{ productId: product, quantity: 1 }];
    const proto = await refused(
      `{"lines":${JSON.stringify(lines)},"__proto__":{"admin":true}}`,
      '__proto__',
      /Unknown field/,
    );
    assert.equal(({} as Record<string, unknown>).admin, undefined);
    assert.equal(proto.json.errors.admin, undefined);
    await refused(
      `{"lines":${JSON.stringify(lines)},"constructor":{"prototype":{"x":1}}}`,
      'constructor',
      /Unknown field/,
    );
    await refused(
      `{"lines":[{"productId":${product},"quantity":1,"__proto__":{"quantity":0}}]}`,
      'lines.0.__proto__',
      /Unknown field/,
    );
  });

  test('types, ranges, required fields and enums are checked before anything is queued', async () => {
    await refused({}, 'lines', /required/);
    await refused({ lines: [] }, 'lines', /fewer than 1|at least|NOT have fewer/i);
    await refused(
      { lines: Array.from({ length: 101 }, () => ({ productId: product, quantity: 1 })) },
      'lines',
      /more than 100/,
    );
    await refused({ lines: [{ productId: product, quantity: 0 }] }, 'lines.0.quantity', />= 1/);
    await refused({ lines: [{ productId: product, quantity: 10_001 }] }, 'lines.0.quantity', /<= 10000/);
    await refused({ lines: [{ productId: '1', quantity: 1 }] }, 'lines.0.productId', /integer/);
    await refused({ lines: [{ productId: 1.5, quantity: 1 }] }, 'lines.0.productId', /integer/);
    await refused({ lines: [{ quantity: 1 }] }, 'lines.0.productId', /required/);
    await refused([{ productId: product, quantity: 1 }], '_', /JSON object/);
    await refused(null, '_', /JSON object/);
    await refused('"lines"', '_', /JSON object/);
    // A merge patch changes something, and an order's status only to "cancelled".
    const path = `/v1/orders/${await createOrder(h, alice)}`;
    await eventually(
      'the order is served',
      async () => (await get(url(path), bearer(aliceToken))).status === 200,
    );
    await refused({}, '_', /at least one field/, 'PATCH', path);
    await refused({ status: 'paid' }, 'status', /one of "cancelled"/, 'PATCH', path);
    await refused({ status: null }, 'status', /must be string|one of "cancelled"/i, 'PATCH', path);
    await refused({ lines: [] }, 'lines', /Unknown field/, 'PATCH', path);
  });

  test('an order that comes to more than orders.total_cents holds, at the served prices, is 422 at the edge and never queued', async () => {
    // The attack: an ordinary user reads the catalog and orders what costs more than 2^31 - 1 cents in
    // all. Queued, each such order failed its batch on PostgreSQL (22003) and stalled everyone's writes.
    const [, dear, other] = (await productIds(h)) as [number, number, number];
    await h.sql(`update products set price_cents = 250000, stock = 10000 where id = ?`, [dear]);
    await eventually('the new price is served', () => {
      const record = h.fast.store.get('products')!.get(dear);
      return record !== undefined && JSON.parse(record.bytes.toString('utf8')).priceCents === 250_000;
    });
    const overflowing = await refused(
      { lines: [{ productId: dear, quantity: 9000 }] },
      'lines',
      /^Line 1 \(9000 × 250000 cents\) comes to more than an order may total \(2147483647 cents\); order fewer\.$/,
    );
    assert.deepEqual(Object.keys(overflowing.json.errors), ['lines'], 'one machine-readable field');
    // Each line fits; the total does not. A product not served (the applier's to refuse) counts nothing.
    await refused(
      {
        lines: [
          { productId: dear, quantity: 5000 },
          { productId: 2_000_000_000, quantity: 10_000 },
          { productId: other, quantity: 1 },
          { productId: dear, quantity: 4000 },
        ],
      },
      'lines',
      /^The lines add up to 2250000300 cents, more than an order may total \(2147483647 cents\); split the order\.$/,
    );
    // Up to the limit an order is accepted as before.
    const rows = await writeRows(h);
    const fits = await post({ lines: [{ productId: dear, quantity: 8589 }] }); // 2,147,250,000 cents
    assert.equal(fits.status, 202, fits.text);
    assert.equal(await writeRows(h), rows + 1);
  });

  test('script in strings is data: refused by the schema, answered as JSON, never echoed as markup', async () => {
    const path = `/v1/orders/${await createOrder(h, alice)}`;
    await eventually(
      'the order is served',
      async () => (await get(url(path), bearer(aliceToken))).status === 200,
    );
    const script = '<script>alert(document.cookie)</script>';
    const reply = await refused({ status: script }, 'status', /one of/, 'PATCH', path);
    assert.ok(!reply.text.includes('<script>'), 'the value is not reflected');
    const key = await refused({ lines: [], [script]: 1 }, script, /Unknown field/);
    assert.equal(key.headers['content-type'], 'application/json', 'a reflected key is JSON-escaped data');
  });

  test('a NUL in a tag is 422 at the edge, never queued: PostgreSQL cannot store it in JSON', async () => {
    // Queued, it passed the applier's checks and PostgreSQL refused the change's jsonb audit entry
    // (22P05): the writer got "database cannot store a value" where every other bad field gets a 422.
    const catalog = await h.issuer.sign({ sub: 'client:catalog-sync', scope: 'products:write' });
    const [category] = await h.sql('select id from categories order by id limit 1');
    const body = {
      sku: 'NUL-TAG',
      name: 'Tagged',
      priceCents: 100,
      currency: 'EUR',
      categoryId: Number(category.id),
      tags: ['garden', 'a\u0000b'],
    };
    const mustMatch = /must match pattern/i;
    await refused(body, 'tags.1', mustMatch, 'POST', '/v1/products', catalog);
    await refused({ tags: ['\u0000'] }, 'tags.0', mustMatch, 'PATCH', `/v1/products/${product}`, catalog);
  });

  test('media types: POST takes application/json, PATCH also merge-patch+json; others are 415', async () => {
    const body = { lines: [{ productId: product, quantity: 1 }] };
    const rows = await writeRows(h);
    for (const type of [
      'text/plain',
      'application/x-www-form-urlencoded',
      'multipart/form-data; boundary=x',
      'application/json; charset=latin1',
      '',
    ]) {
      const reply = await post(body, { 'content-type': type });
      assert.equal(reply.status, 415, `${JSON.stringify(type)}: ${reply.text}`);
      assert.equal(reply.json.error, 'unsupported_media_type');
      assert.equal(reply.headers['accept-post'], 'application/json');
    }
    const patch = await send('PATCH', url(`/v1/orders/${bobsOrder}`), {
      token: aliceToken,
      body: [{ op: 'replace', path: '/status', value: 'cancelled' }],
      headers: { 'content-type': 'application/json-patch+json' },
    });
    assert.equal(patch.status, 415);
    assert.equal(patch.headers['accept-patch'], 'application/merge-patch+json, application/json');
    assert.equal(await writeRows(h), rows);
    const charset = await post(body, {
      'content-type': 'Application/JSON; charset="UTF-8"',
      prefer: 'wait=30',
    });
    assert.equal(charset.status, 201, charset.text);
  });

  test('a key sent twice, at any depth or spelled with escapes, is 400 duplicate_key, nothing queued', async () => {
    const rows = await writeRows(h);
    const line = `{"productId":${product},"quantity":1}`;
    const cases: [string, string, RegExp][] = [
      // A proxy that reads the first "lines" sees an empty order; JSON.parse would keep the second.
      [`{"lines":[],"lines":[${line}]}`, 'lines', /in the body:/],
      [`{"lines":[${line}],"\\u006cines":[]}`, 'lines', /in the body:/],
      [
        `{"lines":[${line},{"productId":${product},"quantity":1,"quantity":500}]}`,
        'quantity',
        /at \/lines\/1:/,
      ],
      [`{"lines":[${line}],"x":{"a/b":{"k":1,"k":2}}}`, 'k', /at \/x\/a~1b:/],
    ];
    for (const [body, key, where] of cases) {
      const reply = await post(body);
      assert.equal(reply.status, 400, `${body}: ${reply.text}`);
      assert.equal(reply.json.error, 'duplicate_key');
      assert.match(reply.json.message, new RegExp(`"${key}" appears twice`));
      assert.match(reply.json.message, where);
    }
    // The same key in two different objects is no repeat.
    const twoLines = await post(`{"lines":[${line},${line}]}`, { prefer: 'wait=30' });
    assert.notEqual(twoLines.json?.error, 'duplicate_key', twoLines.text);
    assert.equal(await writeRows(h), rows + (twoLines.status < 300 ? 1 : 0));
  });

  test('a body that is not JSON (or not UTF-8), or a bad Idempotency-Key, is 400 with a code', async () => {
    const rows = await writeRows(h);
    for (const body of [
      '{"lines":',
      "{'lines':[]}",
      '',
      Buffer.from([0x7b, 0x22, 0xff, 0x22, 0x3a, 0x31, 0x7d]),
    ]) {
      const reply = await post(body);
      assert.equal(reply.status, 400, `${JSON.stringify(String(body))}: ${reply.text}`);
      assert.equal(reply.json.error, 'invalid_json');
    }
    // Nesting deeper than any parser's stack: refused, not a crash.
    const deep = await post(`{"lines":${'['.repeat(2000)}${']'.repeat(2000)}}`);
    assert.ok([400, 422].includes(deep.status), deep.text);
    const valid = { lines: [{ productId: product, quantity: 1 }] };
    // (Bytes above 0x7f never arrive: uWebSockets.js cuts a header value at the first one.)
    for (const key of ['a b', 'x'.repeat(256), 'tab\there', '"quoted key"', '']) {
      const reply = await post(valid, { 'idempotency-key': key });
      assert.equal(reply.status, 400, `${JSON.stringify(key)}: ${reply.text}`);
      assert.equal(reply.json.error, 'invalid_idempotency_key');
    }
    assert.equal(await writeRows(h), rows);
  });

  test('a body larger than WRITE_MAX_BODY_BYTES is 413 before it is read, and the connection closes', async () => {
    const rows = await writeRows(h);
    const head = (framing: string) =>
      `POST /v1/orders HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${aliceToken}\r\nContent-Type: application/json\r\n${framing}\r\n`;
    // Declared 10 MB, 1 KB sent: the answer comes without waiting for the rest.
    const declared = await rawExchange(
      h.fast.port,
      head('Content-Length: 10485760\r\n'),
      Buffer.alloc(1024, 0x20),
    );
    assert.match(declared.text, /^HTTP\/1\.1 413 /);
    assert.match(declared.text, /"error":"body_too_large"/);
    assert.ok(declared.closed, 'the connection is closed instead of reading 10 MB');
    // Chunked, no length: refused once past the limit.
    const chunk = (n: number) => `${n.toString(16)}\r\n${' '.repeat(n)}\r\n`;
    const chunked = await rawExchange(
      h.fast.port,
      head('Transfer-Encoding: chunked\r\n'),
      Buffer.from(chunk(3000) + chunk(3000) + chunk(3000)),
    );
    assert.match(chunked.text, /^HTTP\/1\.1 413 /);
    assert.ok(chunked.closed);
    assert.equal(await writeRows(h), rows);
    // The limit is the body's, not the request's: just under it goes on to the schema.
    const under = await post(`{"lines":[{"productId":${product},"quantity":1}]}${' '.repeat(4000)}`, {
      prefer: 'wait=30',
    });
    assert.equal(under.status, 201, under.text);
  });

  test('two Content-Length headers that disagree are 400 and close the connection; nothing is queued', async () => {
    const rows = await writeRows(h);
    const body = `{"lines":[{"productId":${product},"quantity":1}]}`;
    const head = (lengths: number[]) =>
      `POST /v1/orders HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${aliceToken}\r\n` +
      `Content-Type: application/json\r\n${lengths.map((n) => `Content-Length: ${n}\r\n`).join('')}\r\n`;
    // Either order: a proxy in front that took the other value would cut the body elsewhere.
    for (const lengths of [
      [body.length, 2],
      [2, body.length],
    ]) {
      const answer = await rawExchange(h.fast.port, head(lengths), Buffer.from(body));
      assert.match(answer.text, /^HTTP\/1\.1 400 /, `${lengths.join(', ')}: ${answer.text}`);
      assert.match(answer.text, /"error":"conflicting_content_length"/);
      assert.ok(answer.closed, 'the connection is closed');
    }
    assert.equal(await writeRows(h), rows, 'nothing queued');
    // The same value twice frames the body one way only: taken like one header.
    const same = await rawExchange(h.fast.port, head([body.length, body.length]), Buffer.from(body));
    assert.match(same.text, /^HTTP\/1\.1 202 /, same.text);
    assert.equal(await writeRows(h), rows + 1);
  });

  test('a body that arrives after its session was revoked is 401, and nothing is queued', async () => {
    const sid = randomUUID();
    await h.sql(`insert into sessions (id, user_id, grant_type, expires_at) values (?, ?, 'password', ?)`, [
      sid,
      alice,
      new Date(Date.now() + 86_400_000).toISOString(),
    ]);
    const token = await h.issuer.sign({ sub: String(alice), scope: 'orders:read orders:write', sid });
    const rows = await writeRows(h);
    const body = Buffer.from(`{"lines":[{"productId":${product},"quantity":1}]}`);
    const socket = connect(h.fast.port, '127.0.0.1');
    const answer = new Promise<string>((resolve) => {
      const chunks: Buffer[] = [];
      socket.on('data', (c: Buffer) => {
        chunks.push(c);
        if (/\r\n\r\n[\s\S]*\}/.test(Buffer.concat(chunks).toString('latin1')))
          resolve(Buffer.concat(chunks).toString('latin1'));
      });
      socket.on('close', () => resolve(Buffer.concat(chunks).toString('latin1')));
    });
    try {
      // Verified and cached first, so the POST's token check is done as its headers arrive.
      assert.equal((await get(url('/v1/orders'), bearer(token))).status, 200);
      // Headers and the first byte while the session is live: the token passes the first check.
      socket.write(
        `POST /v1/orders HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${token}\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n`,
      );
      socket.write(body.subarray(0, 1));
      // Let fast read them before the revocation is committed (the head is checked on arrival).
      await new Promise((resolve) => setTimeout(resolve, 200));
      await h.sql(`update sessions set revoked_at = ? where id = ?`, [new Date().toISOString(), sid]);
      await eventually(
        'fast has the revocation',
        async () => (await get(url('/v1/orders'), bearer(token))).status === 401,
      );
      socket.write(body.subarray(1));
      const text = await answer;
      assert.match(text, /^HTTP\/1\.1 401 /);
      assert.match(text, /"error":"invalid_token"/);
      assert.match(text, /revoked/);
    } finally {
      socket.destroy();
    }
    assert.equal(await writeRows(h), rows, 'nothing queued for the revoked session');
  });

  test("another user's order, a missing one and a malformed id all answer GET's 404, byte for byte", async () => {
    const rows = await writeRows(h);
    const read = await get(url('/v1/orders/999999999'), bearer(aliceToken));
    const missing = (id: string) => read.text.replace('999999999', id);
    for (const [method, path, id] of [
      ['PATCH', `/v1/orders/${bobsOrder}`, String(bobsOrder)],
      ['PATCH', '/v1/orders/999999999', '999999999'],
      ['PATCH', '/v1/orders/0012', '0012'],
      ['PATCH', '/v1/orders/abc', 'abc'],
    ] as const) {
      const reply = await send(method, url(path), { token: aliceToken, body: { status: 'cancelled' } });
      assert.equal(reply.status, 404, path);
      assert.equal(reply.text, missing(id), path);
    }
    assert.equal(await writeRows(h), rows);
    const [row] = await h.sql('select status from orders where id = ?', [bobsOrder]);
    assert.equal(row.status, 'pending');
  });

  test('scopes and owners: 401 without a token, 403 without orders:write or a user behind the token', async () => {
    const body = { lines: [{ productId: product, quantity: 1 }] };
    const anonymous = await send('POST', url('/v1/orders'), {
      body,
      headers: { 'content-type': 'text/plain' },
    });
    assert.equal(anonymous.status, 401, 'the token is checked first');
    const reader = await h.issuer.sign({ sub: String(alice), scope: 'orders:read writes:read' });
    const readOnly = await post(body, { 'content-type': 'text/plain' }, reader);
    assert.equal(readOnly.status, 403);
    assert.equal(readOnly.json.error, 'insufficient_scope');
    assert.match(String(readOnly.headers['www-authenticate']), /scope="orders:write"/);
    const machine = await h.issuer.sign({
      sub: 'client:reporting',
      scope: 'orders:write orders:read orders:read:any',
    });
    const noOwner = await post(body, {}, machine);
    assert.equal(noOwner.status, 403);
    assert.match(noOwner.json.message, /belongs to its writer/);
    const catalogOnly = await h.issuer.sign({ sub: 'client:sync', scope: 'catalog:read' });
    const products = await send('POST', url('/v1/products'), { token: catalogOnly, body: { name: 'x' } });
    assert.equal(products.status, 403);
    assert.match(String(products.headers['www-authenticate']), /scope="products:write"/);
  });

  test('a write-only token reads no order through its write: Prefer: wait answers with the outcome', async () => {
    const writeOnly = await h.issuer.sign({ sub: String(alice), scope: 'orders:write' });
    const created = await post(
      { lines: [{ productId: product, quantity: 1 }] },
      { prefer: 'wait=30', 'idempotency-key': `write-only-${randomUUID()}` },
      writeOnly,
    );
    assert.equal(created.status, 201, created.text);
    const id = /\/v1\/orders\/(\d+)$/.exec(String(created.headers.location))?.[1];
    assert.ok(id, String(created.headers.location));
    assert.equal(created.json.status, 'applied');
    for (const field of ['lines', 'totalCents', 'userId', 'currency'])
      assert.equal(field in created.json, false, `${field} in ${created.text}`);
    assert.equal(created.headers.etag, undefined);
    // GET says the same: no orders:read, no order.
    assert.equal((await get(url(`/v1/orders/${id}`), bearer(writeOnly))).status, 403);
    // With the scope, the same order is the record.
    const read = await get(url(`/v1/orders/${id}`), bearer(aliceToken));
    assert.equal(read.status, 200);
    assert.ok(Array.isArray(read.json.lines));
  });

  test('methods a collection does not take are 405 with Allow', async () => {
    const cases = [
      ['DELETE', `/v1/orders/${bobsOrder}`, 'GET, HEAD, PATCH'],
      ['PUT', `/v1/orders/${bobsOrder}`, 'GET, HEAD, PATCH'],
      ['PUT', '/v1/orders', 'GET, HEAD, POST'],
      ['PATCH', '/v1/orders', 'GET, HEAD, POST'],
      ['POST', '/v1/categories', 'GET, HEAD'],
      ['DELETE', '/v1/categories/1', 'GET, HEAD'],
      ['POST', '/v1/writes', 'GET, HEAD'],
      ['PATCH', '/v1/writes/1', 'GET, HEAD'],
      ['POST', '/v1/no-such-collection', 'GET, HEAD'],
      ['PUT', '/v1/products/1', 'GET, HEAD, PATCH, DELETE'],
    ] as const;
    for (const [method, path, allow] of cases) {
      const reply = await send(method, url(path), { token: aliceToken, body: {} });
      assert.equal(reply.status, 405, `${method} ${path}`);
      assert.equal(reply.headers.allow, allow, `${method} ${path}`);
      assert.equal(reply.json.error, 'method_not_allowed');
      // One wording per path, whether the write endpoint or the read routes answer it.
      const named = path.replace(/\/(?:\d+)$/, '/{id}');
      assert.equal(reply.json.message, `${named} supports ${allow} only.`, `${method} ${path}`);
    }
  });

  test('cross-site: an allowed origin may write and read the answer; another origin is told nothing', async () => {
    const body = { lines: [{ productId: product, quantity: 1 }] };
    const ask = (origin: string) =>
      get(url('/v1/orders'), { origin, 'access-control-request-method': 'POST' }, 'OPTIONS');
    // Allowed origins are read in the background (start-up does not wait for the database).
    await eventually('the allowed origins are read', async () => (await ask(SHOP)).status === 204);
    const preflight = await ask(SHOP);
    assert.match(String(preflight.headers['access-control-allow-methods']), /POST/);
    const allowed = await post(body, { origin: SHOP });
    assert.equal(allowed.status, 202);
    assert.equal(allowed.headers['access-control-allow-origin'], SHOP);
    assert.match(String(allowed.headers['access-control-expose-headers']), /Location/);
    // A page elsewhere cannot make a browser send a token (bearer only, no cookies), and its simple
    // cross-site form post (text/plain, no Authorization) gets no CORS headers and changes nothing.
    const rows = await writeRows(h);
    const evil = await send('POST', url('/v1/orders'), {
      body: 'lines=1',
      headers: { origin: 'https://evil.example', 'content-type': 'application/x-www-form-urlencoded' },
    });
    assert.equal(evil.status, 401);
    assert.equal(evil.headers['access-control-allow-origin'], undefined);
    assert.equal((await ask('https://evil.example')).status, 403);
    assert.equal(await writeRows(h), rows);
  });
});

describe('the per-subject rate limits hold under parallel requests (writes, and lookups of writes in the queue)', () => {
  let h: WriteHarness;
  before(async () => {
    h = await startWriteHarness({
      env: { WRITE_RATE_PER_SECOND: '1', WRITE_RATE_BURST: '5' },
      applier: false,
    });
  });
  after(() => h?.close());

  test('a burst of 20 parallel writes: exactly the burst is accepted, the rest 429 with Retry-After', async () => {
    const [carol, dave] = (await createUsers(h, 'rate', 2)) as [number, number];
    const [product] = (await productIds(h)) as [number];
    const token = await writerToken(h, carol);
    const body = { lines: [{ productId: product, quantity: 1 }] };
    const replies = await Promise.all(
      Array.from({ length: 20 }, () => send('POST', `${h.fast.url}/v1/orders`, { token, body })),
    );
    const statuses = replies.map((r) => r.status).sort();
    assert.deepEqual(statuses, [...Array(5).fill(202), ...Array(15).fill(429)]);
    for (const reply of replies.filter((r) => r.status === 429)) {
      assert.equal(reply.json.error, 'rate_limited');
      assert.ok(Number(reply.headers['retry-after']) >= 1);
    }
    // Another subject has a bucket of its own; a refused request did not spend one of carol's.
    const other = await send('POST', `${h.fast.url}/v1/orders`, { token: await writerToken(h, dave), body });
    assert.equal(other.status, 202);
    await new Promise((resolve) => setTimeout(resolve, 1100));
    const later = await send('POST', `${h.fast.url}/v1/orders`, { token, body });
    assert.equal(later.status, 202, 'the bucket refills at WRITE_RATE_PER_SECOND');
  });

  test('a burst of 20 parallel lookups of unknown ids: the burst is answered 404, the rest 429; a stored outcome is never limited', async () => {
    const [frank, grace] = (await createUsers(h, 'lookup', 2)) as [number, number];
    const [product] = (await productIds(h)) as [number];
    const token = await writerToken(h, frank);
    // One write queued (the table queue's row is in the store once the feed brings it).
    const queued = await send('POST', `${h.fast.url}/v1/orders`, {
      token,
      body: { lines: [{ productId: product, quantity: 1 }] },
    });
    assert.equal(queued.status, 202);
    await eventually(
      'the queued write is in the store',
      () => h.fast.store.get('writes')!.get(queued.json.id) !== undefined,
    );
    const replies = await Promise.all(
      Array.from({ length: 20 }, (_, i) => get(`${h.fast.url}/v1/writes/${900_000 + i}`, bearer(token))),
    );
    const statuses = replies.map((r) => r.status).sort();
    assert.deepEqual(statuses, [...Array(5).fill(404), ...Array(15).fill(429)]);
    for (const reply of replies.filter((r) => r.status === 429)) {
      assert.equal(reply.json.error, 'rate_limited');
      assert.match(reply.json.message, /lookups of writes/);
      assert.ok(Number(reply.headers['retry-after']) >= 1);
    }
    // The writer's own stored write still answers; writes have a bucket of their own.
    for (let i = 0; i < 10; i++)
      assert.equal((await get(`${h.fast.url}/v1/writes/${queued.json.id}`, bearer(token))).status, 200);
    const more = await send('POST', `${h.fast.url}/v1/orders`, {
      token,
      body: { lines: [{ productId: product, quantity: 1 }] },
    });
    assert.equal(more.status, 202, 'lookups did not spend the write bucket');
    // Another subject has its own lookups; malformed ids never reach the queue and are not counted.
    const other = await writerToken(h, grace);
    assert.equal((await get(`${h.fast.url}/v1/writes/900000`, bearer(other))).status, 404);
    assert.equal((await get(`${h.fast.url}/v1/writes/abc`, bearer(token))).status, 404);
  });
});

describe('the queue bound: above WRITE_QUEUE_MAX_DEPTH writes are refused with 503', () => {
  let h: WriteHarness;
  before(async () => {
    h = await startWriteHarness({ env: { WRITE_QUEUE_MAX_DEPTH: '3' }, applier: false });
  });
  after(() => h?.close());

  test('3 writes are queued, the next are 503 queue_full with Retry-After, and accepted again once applied', async () => {
    const [erin] = (await createUsers(h, 'depth', 1)) as [number];
    const [, product] = (await productIds(h)) as [number, number];
    const token = await writerToken(h, erin);
    const body = { lines: [{ productId: product, quantity: 1 }] };
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) {
      const reply = await send('POST', `${h.fast.url}/v1/orders`, { token, body });
      statuses.push(reply.status);
      if (reply.status === 503) {
        assert.equal(reply.json.error, 'queue_full');
        assert.equal(reply.headers['retry-after'], '1');
      }
    }
    assert.deepEqual(statuses, [202, 202, 202, 503, 503, 503]);
    await h.startApplier();
    await eventually('writes are accepted again', async () => {
      const reply = await send('POST', `${h.fast.url}/v1/orders`, { token, body });
      return reply.status === 202;
    });
  });
});

describe('ORDER_HOLD_MAX_UNITS: an order larger than a buyer may hold is refused at the edge', () => {
  let h: WriteHarness;
  before(async () => {
    h = await startWriteHarness({ env: { ORDER_HOLD_MAX_UNITS: '5' }, applier: false });
  });
  after(() => h?.close());

  test('6 units in one order (over two lines) is 422 with the applier’s message, never queued; 5 is queued', async () => {
    const [buyer] = (await createUsers(h, 'hold-edge', 1)) as [number];
    const [, product, other] = (await productIds(h)) as [number, number, number];
    const token = await writerToken(h, buyer);
    const rows = await writeRows(h);
    const tooMany = await send('POST', `${h.fast.url}/v1/orders`, {
      token,
      body: {
        lines: [
          { productId: product, quantity: 4 },
          { productId: other, quantity: 2 },
        ],
      },
    });
    assert.equal(tooMany.status, 422, tooMany.text);
    assert.equal(tooMany.json.error, 'validation_failed');
    assert.deepEqual(tooMany.json.errors, {
      lines: "This order takes 6 units of stock; one buyer's unpaid orders may hold 5 at most. Order fewer.",
    });
    assert.equal(await writeRows(h), rows, 'nothing queued');
    const fits = await send('POST', `${h.fast.url}/v1/orders`, {
      token,
      body: { lines: [{ productId: product, quantity: 5 }] },
    });
    assert.equal(fits.status, 202, fits.text);
    assert.equal(await writeRows(h), rows + 1);
  });
});
