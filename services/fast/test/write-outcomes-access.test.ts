/**
 * A write's outcome (the `writes` collection, issue 15) is its writer's alone: the row's subject is
 * compared with the token's `sub` verbatim (row claim `subject`), so a user and a machine client each
 * read and list their own writes, another writer's write is the missing-record 404, and a token
 * without writes:read is refused.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Write } from '@tandem/models';
import { testDialect } from '@tandem/models/testing';
import { eventually, startHarness, type Harness } from './support/fast.js';
import { bearer, get, type HttpReply } from './support/http.js';

let h: Harness;
/** Write ids by subject. */
const ids: Record<string, number[]> = { '7': [], '8': [], 'client:sync': [] };

const writesUrl = (path = '') => `${h.fast.url}/v1/writes${path}`;
const listed = (reply: HttpReply) => reply.json.items.map((write: { id: number }) => write.id);
const token = (sub: string, scope = 'writes:read') => h.issuer.sign({ sub, scope });

before(async () => {
  h = await startHarness();
  const em = h.db.orm.em.fork();
  const writes = ['7', '8', 'client:sync', '7', 'client:sync', '8'].map((subject, i) =>
    em.create(Write, {
      subject,
      collection: 'orders',
      op: 'create',
      status: i % 2 === 0 ? 'applied' : 'rejected',
      httpStatus: i % 2 === 0 ? 201 : 422,
      ...(i % 2 === 0 ? { recordId: String(100 + i) } : { errors: { lines: 'Out of stock.' } }),
      body: { lines: [{ productId: 1, quantity: 1 }] },
      bodyHash: 'a'.repeat(64),
      partition: i % 4,
      acceptedAt: new Date(),
      appliedAt: new Date(),
    }),
  );
  await em.flush();
  for (const write of writes) ids[write.subject]!.push(write.id);
  await eventually('the writes are served', () => h.fast.store.get('writes')?.size === writes.length);
});
after(() => h?.close());

test(`a user reads and lists their own writes only (${testDialect()})`, async () => {
  const mine = await token('7');
  const one = await get(writesUrl(`/${ids['7']![1]}`), bearer(mine));
  assert.equal(one.status, 200);
  assert.deepEqual(
    {
      status: one.json.status,
      httpStatus: one.json.httpStatus,
      errors: one.json.errors,
      subject: one.json.subject,
    },
    { status: 'rejected', httpStatus: 422, errors: { lines: 'Out of stock.' }, subject: '7' },
  );
  assert.equal(one.json.body, undefined, 'the body is not served');
  assert.deepEqual(listed(await get(writesUrl(), bearer(mine))), ids['7']);
  // Another writer's write, user or machine client, is a missing one.
  for (const id of [...ids['8']!, ...ids['client:sync']!]) {
    const theirs = await get(writesUrl(`/${id}`), bearer(mine));
    assert.equal(theirs.status, 404, String(id));
    assert.equal(theirs.json.error, 'not_found');
    assert.doesNotMatch(theirs.text, /Out of stock|client:sync/);
  }
});

test('a machine client reads its own writes too (its subject names no user)', async () => {
  const client = await token('client:sync');
  assert.deepEqual(listed(await get(writesUrl(), bearer(client))), ids['client:sync']);
  assert.equal((await get(writesUrl(`/${ids['client:sync']![0]}`), bearer(client))).status, 200);
  assert.equal((await get(writesUrl(`/${ids['7']![0]}`), bearer(client))).status, 404);
});

test('a token without writes:read, or with a subject of another shape, reads no writes', async () => {
  const noScope = await get(writesUrl(), bearer(await token('7', 'orders:read orders:write')));
  assert.equal(noScope.status, 403);
  assert.equal(noScope.json.error, 'insufficient_scope');
  for (const sub of ['client:', 'user:7', '07'])
    assert.equal((await get(writesUrl(), bearer(await token(sub)))).status, 403, sub);
});
