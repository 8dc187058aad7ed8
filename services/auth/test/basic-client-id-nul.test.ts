/**
 * A client id decoded from HTTP Basic is attacker-chosen text that reaches the client lookup, which
 * answers every lookup of an event-loop turn with one query: U+0000 there once made PostgreSQL refuse
 * that query, failing the token requests of other clients in the same turn with 500.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { testDialect } from '@tandem/models/testing';
import { createTestClient, postForm, startTestAuth, type TestAuth } from './support.js';

const basicRaw = (decoded: string) => ({ Authorization: `Basic ${Buffer.from(decoded).toString('base64')}` });

describe(`a client id with U+0000 in HTTP Basic (${testDialect()})`, () => {
  let auth: TestAuth;
  let client: { clientId: string; clientSecret: string };
  const grant = (headers: Record<string, string>) =>
    postForm(`${auth.url}/oauth/token`, { grant_type: 'client_credentials' }, headers);

  before(async () => {
    auth = await startTestAuth();
    client = await createTestClient(auth, 'sync', ['catalog:read']);
  });
  after(() => auth.close());

  test('is invalid_client (401), percent-encoded or raw', async () => {
    for (const id of [`${client.clientId}%00`, `tc_x\0`]) {
      const res = await grant(basicRaw(`${id}:whatever`));
      assert.equal(res.status, 401, res.text);
      assert.equal(res.body.error, 'invalid_client');
    }
  });

  test("sent alongside other clients' requests, it fails none of them", async () => {
    const legit = basicRaw(`${client.clientId}:${client.clientSecret}`);
    const answers = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        i % 2 === 0 ? grant(legit) : grant(basicRaw(`tc_${i}%00:whatever`)),
      ),
    );
    assert.deepEqual(
      answers.map((a, i) => `${i % 2 === 0 ? 'legit' : 'attack'} ${a.status}`),
      Array.from({ length: 20 }, (_, i) => (i % 2 === 0 ? 'legit 200' : 'attack 401')),
    );
  });
});
