/**
 * The write path on /metrics (issue 16 item 8: the admin's dashboard plots them): the queue's depth
 * (`tandem_fast_write_queue_depth`, read from the real queue at each scrape) and every write request
 * counted once by how it ended (`tandem_fast_writes_total{outcome}`: accepted, replayed, or the code of
 * the refusal). A real fast service and a real queue (the `writes` table, and Redis Streams when
 * REDIS_URL is set); no applier until the test starts one, so accepted writes stay queued.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { connect } from 'node:net';
import { WRITE_ERROR_CODES } from '@tandem/models/openapi';
import { testDialect } from '@tandem/models/testing';
import { WRITE_OUTCOMES, refusalOutcome } from '../src/observability/write-outcomes.js';
import { eventually } from './support/fast.js';
import { get, type HttpReply } from './support/http.js';
import { createUsers } from './support/orders.js';
import {
  REDIS_SKIP,
  productIds,
  send,
  startWriteHarness,
  writerToken,
  type QueueKind,
  type WriteHarness,
} from './support/writes.js';

/** The samples of fast's /metrics text: `name{labels}` → value. */
async function scrape(url: string): Promise<Map<string, number>> {
  const reply = await get(`${url}/metrics`);
  assert.equal(reply.status, 200);
  const samples = new Map<string, number>();
  for (const line of reply.text.split('\n')) {
    const match = /^(\S+) (\S+)$/.exec(line);
    if (match && !line.startsWith('#')) samples.set(match[1]!, Number(match[2]));
  }
  return samples;
}

const DEPTH = 'tandem_fast_write_queue_depth';
const written = (outcome: string) => `tandem_fast_writes_total{outcome="${outcome}"}`;

/** How fast answered a write, as the counter should have counted it. */
function outcomeOf(reply: HttpReply): string {
  if (reply.status === 202) return reply.headers['idempotent-replayed'] === 'true' ? 'replayed' : 'accepted';
  return String(reply.json.error);
}

describe('write outcomes on /metrics', () => {
  test('every refusal code the write endpoints answer has its own outcome (none is counted as other)', () => {
    // Codes of an applied write (a waited answer is counted as accepted or replayed, not by its outcome).
    const applierOnly = new Set(['conflict', 'rejected', 'session_revoked']);
    const codes = Object.values(WRITE_ERROR_CODES)
      .flat()
      .filter((code) => !applierOnly.has(code));
    const edge = [
      'invalid_token',
      'insufficient_scope',
      'method_not_allowed',
      'uri_too_long',
      'headers_too_large',
    ];
    for (const code of [...codes, ...edge, 'internal_error']) {
      assert.ok((WRITE_OUTCOMES as readonly string[]).includes(code), code);
      const reply = { body: JSON.stringify({ error: code, message: 'm', errors: { a: '"x"' } }) };
      assert.equal(refusalOutcome(reply), code);
    }
    // A code that only starts like a known one, a body that is not an error, bytes: not guessed.
    assert.equal(refusalOutcome({ body: '{"error":"not_found_at_all","message":"m"}' }), 'other');
    assert.equal(refusalOutcome({ body: '{"id":1,"status":"queued"}' }), 'other');
    assert.equal(refusalOutcome({ body: Buffer.from('{"error":"not_found"}') }), 'other');
  });
});

for (const queue of ['table', 'redis'] as const satisfies readonly QueueKind[]) {
  describe(
    `write metrics over the ${queue} queue (${testDialect()})`,
    { skip: queue === 'redis' && REDIS_SKIP },
    () => {
      let h: WriteHarness;
      let product: number;
      const orders = () => `${h.fast.url}/v1/orders`;
      const order = { lines: [{ productId: 0, quantity: 1 }] };

      before(async () => {
        h = await startWriteHarness({
          queue,
          applier: false,
          env: {
            WRITE_QUEUE_MAX_DEPTH: '3',
            WRITE_RATE_PER_SECOND: '1',
            WRITE_RATE_BURST: '4',
            WRITE_MAX_BODY_BYTES: '256',
          },
        });
        [product] = (await productIds(h)) as [number];
        order.lines[0]!.productId = product;
      });
      after(() => h?.close());

      test('the counter moves by one per write request, by outcome; the depth follows the real queue', async () => {
        const before = await scrape(h.fast.url);
        assert.equal(before.get(DEPTH), 0, 'an empty queue reads 0');
        assert.equal(before.get(written('accepted')), 0, 'listed before the first write');
        assert.equal(before.get(written('replayed')), 0);
        assert.equal(before.has(written('validation_failed')), false, 'refusals are listed once seen');

        const [alice, bob, carol, dave] = (await createUsers(h, `metrics-${queue}`, 4)) as number[];
        const replies: HttpReply[] = [];
        const write = async (method: string, url: string, call: Parameters<typeof send>[2]) => {
          const reply = await send(method, url, call);
          replies.push(reply);
          return reply;
        };

        // Accepted, replayed with the same key and body, refused with the key and another body.
        const aliceToken = await writerToken(h, alice!);
        const key = { 'idempotency-key': `metrics-${queue}-1` };
        assert.equal(
          (await write('POST', orders(), { token: aliceToken, body: order, headers: key })).status,
          202,
        );
        const replay = await write('POST', orders(), { token: aliceToken, body: order, headers: key });
        assert.equal(replay.headers['idempotent-replayed'], 'true', replay.text);
        const reused = { lines: [{ productId: product, quantity: 2 }] };
        assert.equal(
          (await write('POST', orders(), { token: aliceToken, body: reused, headers: key })).status,
          422,
        );

        // Refused at the edge: schema, size, media type, no token, a collection without writes.
        const bobToken = await writerToken(h, bob!);
        assert.equal((await write('POST', orders(), { token: bobToken, body: { lines: [] } })).status, 422);
        const big = { lines: [{ productId: product, quantity: 1, note: 'x'.repeat(300) }] };
        assert.equal((await write('POST', orders(), { token: bobToken, body: big })).status, 413);
        const text = { token: bobToken, body: '{}', headers: { 'content-type': 'text/plain' } };
        assert.equal((await write('POST', orders(), text)).status, 415);
        assert.equal((await write('POST', orders(), { body: order })).status, 401);
        const categories = `${h.fast.url}/v1/categories`;
        assert.equal((await write('POST', categories, { token: bobToken, body: {} })).status, 405);

        // In parallel, beyond the per-subject burst (4): the rest are rate limited.
        const carolToken = await writerToken(h, carol!);
        const burst = await Promise.all(
          Array.from({ length: 7 }, () =>
            write('POST', orders(), { token: carolToken, body: { lines: [] } }),
          ),
        );
        assert.ok(
          burst.some((r) => r.status === 429),
          burst.map((r) => r.status).join(),
        );

        // The queue holds at most 3: alice's write and two of dave's, then queue_full.
        const daveToken = await writerToken(h, dave!);
        for (let i = 0; i < 3; i++) await write('POST', orders(), { token: daveToken, body: order });
        assert.deepEqual(
          replies.slice(-3).map((r) => r.status),
          [202, 202, 503],
        );

        const expected = new Map<string, number>();
        for (const reply of replies)
          expected.set(outcomeOf(reply), (expected.get(outcomeOf(reply)) ?? 0) + 1);
        assert.deepEqual([...expected.keys()].sort(), [
          'accepted',
          'body_too_large',
          'idempotency_key_reused',
          'invalid_token',
          'method_not_allowed',
          'queue_full',
          'rate_limited',
          'replayed',
          'unsupported_media_type',
          'validation_failed',
        ]);
        const now = await scrape(h.fast.url);
        let counted = 0;
        for (const outcome of WRITE_OUTCOMES) {
          const increase = (now.get(written(outcome)) ?? 0) - (before.get(written(outcome)) ?? 0);
          assert.equal(increase, expected.get(outcome) ?? 0, outcome);
          counted += increase;
        }
        assert.equal(counted, replies.length, 'one count per write request');
        assert.equal(h.fast.metrics.writeOutcomes.get('accepted'), 3);

        // Three writes wait in the queue (no applier yet); the scrape asks the queue itself.
        await eventually('the depth reads 3', async () => (await scrape(h.fast.url)).get(DEPTH) === 3);
        await h.startApplier();
        await eventually(
          'the depth reads 0 once applied',
          async () => (await scrape(h.fast.url)).get(DEPTH) === 0,
          30_000,
        );
      });

      test('a client that leaves mid-body is counted aborted, once, and nothing is queued', async () => {
        const [erin] = (await createUsers(h, `aborting-${queue}`, 1)) as number[];
        const token = await writerToken(h, erin!);
        const before = await scrape(h.fast.url);
        const depth = before.get(DEPTH);
        const socket = connect(h.fast.port, '127.0.0.1');
        await once(socket, 'connect');
        socket.write(
          `POST /v1/orders HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${token}\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"lines":`,
        );
        // Let fast start waiting for the rest, then hang up.
        await new Promise((resolve) => setTimeout(resolve, 200));
        socket.destroy();
        await eventually(
          'the write counted aborted',
          async () =>
            (await scrape(h.fast.url)).get(written('aborted')) === (before.get(written('aborted')) ?? 0) + 1,
        );
        assert.equal((await scrape(h.fast.url)).get(DEPTH), depth, 'nothing queued');
      });
    },
  );
}
