import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ClientLookups } from '../src/client-lookups.js';
import type { ClientRow } from '../src/store.js';

const row = (clientId: string): ClientRow => ({
  id: clientId.length,
  clientId,
  secretHash: '0'.repeat(64),
  scopes: [],
  isActive: true,
  grantTypes: ['client_credentials'],
  isPublic: false,
  liveSession: undefined,
});

test('the lookups of one event-loop turn are one query of their distinct ids; each gets its own row', async () => {
  const queries: (readonly string[])[] = [];
  const lookups = new ClientLookups(async (ids) => {
    queries.push(ids);
    return new Map(ids.filter((id) => id !== 'missing').map((id) => [id, row(id)]));
  });
  const found = await Promise.all(['a', 'b', 'a', 'missing', 'c'].map((id) => lookups.find(id)));
  assert.deepEqual(queries, [['a', 'b', 'missing', 'c']]);
  assert.deepEqual(
    found.map((r) => r?.clientId),
    ['a', 'b', 'a', undefined, 'c'],
  );
  // The next turn asks again: nothing is kept between turns (a deactivated client is seen at once).
  assert.equal((await lookups.find('a'))?.clientId, 'a');
  assert.deepEqual(queries, [['a', 'b', 'missing', 'c'], ['a']]);
});

test('a failed query fails every lookup of its turn, and only those', async () => {
  let fail = true;
  const lookups = new ClientLookups(async (ids) => {
    if (fail) throw new Error('database away');
    return new Map(ids.map((id) => [id, row(id)]));
  });
  const results = await Promise.allSettled([lookups.find('a'), lookups.find('b'), lookups.find('a')]);
  assert.ok(results.every((r) => r.status === 'rejected' && /database away/.test(String(r.reason))));
  fail = false;
  assert.equal((await lookups.find('b'))?.clientId, 'b');
});

test("a query the database refused for one id's sake fails that id's lookup only", async () => {
  const queries: (readonly string[])[] = [];
  const lookups = new ClientLookups(async (ids) => {
    queries.push(ids);
    // What node-postgres rejects with when the server refuses a statement (severity and SQLSTATE).
    if (ids.includes('poison'))
      throw Object.assign(new Error('invalid byte sequence'), { severity: 'ERROR', code: '22021' });
    return new Map(ids.map((id) => [id, row(id)]));
  });
  const results = await Promise.allSettled(['a', 'poison', 'b'].map((id) => lookups.find(id)));
  assert.deepEqual(
    results.map((r) => (r.status === 'fulfilled' ? r.value?.clientId : 'rejected')),
    ['a', 'rejected', 'b'],
  );
  assert.deepEqual(queries, [['a', 'poison', 'b'], ['a'], ['poison'], ['b']]);
});
