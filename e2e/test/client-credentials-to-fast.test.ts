/**
 * A machine client's tokens (client_credentials, RFC 6749 §4.4) from the real auth service work at the
 * fast service, an RFC 7009 revocation reaches fast through the change feed, and tokens signed with
 * keys fast already holds keep verifying while auth is down (verification is local). Auth and fast run
 * compiled as child processes on one database.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { eventually, testDialect } from '@tandem/models/testing';
import { useClientServices } from '../support/client-services.js';

const services = useClientServices({ products: 2, machineClient: 'fast test client' });
const basic = () =>
  Buffer.from(`${services.machine.clientId}:${services.machine.clientSecret}`).toString('base64');

async function clientToken(): Promise<string> {
  const res = await fetch(`${services.auth.url}/oauth/token`, {
    method: 'POST',
    headers: { authorization: `Basic ${basic()}`, 'content-type': 'application/x-www-form-urlencoded' },
    body: 'grant_type=client_credentials&scope=catalog:read',
  });
  const body = (await res.json()) as { access_token?: string };
  assert.equal(res.status, 200, JSON.stringify(body));
  return body.access_token!;
}

const read = (path: string, token: string) =>
  fetch(`${services.fast.url}${path}`, { headers: { authorization: `Bearer ${token}` } });

test(`real tokens from the auth service are accepted; revocation reaches the fast service (${testDialect()})`, async () => {
  const access = await clientToken();
  const list = await read('/v1/products', access);
  const body = (await list.json()) as { items: unknown[] };
  assert.equal(list.status, 200, JSON.stringify(body));
  assert.equal(body.items.length, 2);

  const revoke = await fetch(`${services.auth.url}/oauth/revoke`, {
    method: 'POST',
    headers: { authorization: `Basic ${basic()}`, 'content-type': 'application/x-www-form-urlencoded' },
    body: `token=${access}&token_type_hint=access_token`,
  });
  assert.equal(revoke.status, 200);
  await eventually('revoked through the change feed', async () => {
    const refused = await read('/v1/products', access);
    await refused.arrayBuffer();
    return refused.status === 401;
  });
});

test('with the auth service down, tokens signed by known keys still verify', async () => {
  const access = await clientToken();
  await services.auth.stop();
  const res = await read('/v1/categories', access);
  await res.arrayBuffer();
  assert.equal(res.status, 200);
});
