/**
 * Per-user orders end to end (issue 14) with the real auth service: users seeded by `tandem seed
 * --users --orders` sign in by the password grant and read, at the real fast service, their own orders
 * and nothing else; another user's order answers the same 404 as a missing one; a machine client's
 * client_credentials token (no user, no lifting scope) is refused with 403 insufficient_scope. Runs on
 * the dialect of DATABASE_URL (SQLite by default, PostgreSQL in the PG run).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { testDialect, type MigratedTestDatabase } from '@tandem/models/testing';
import { tandem } from '../bench/catalog.js';
import { E2E_SECRET_KEY } from '../support/admin-process.js';
import { useClientServices } from '../support/client-services.js';

const USERS = 3;
const ORDERS = 30;
const PASSWORD = 'orders e2e password';
const userEmail = (n: number) => `seed-user-${String(n).padStart(6, '0')}@example.com`;

async function seedOrders(db: MigratedTestDatabase): Promise<void> {
  const env = { DATABASE_URL: db.url, TANDEM_SECRET_KEY: E2E_SECRET_KEY };
  await tandem(['seed', '--users', String(USERS), '--orders', String(ORDERS)], {
    ...env,
    TANDEM_PASSWORD: PASSWORD,
  });
  // A machine client allowed orders:read: its token has the scope but no user to own rows.
  machineClient = await tandem(['createclient', 'orders e2e client', '--scope', 'orders:read'], env);
}

let machineClient = '';
const services = useClientServices({ products: 1, seed: seedOrders });

async function token(body: Record<string, string>, basic?: string): Promise<string> {
  const response = await fetch(`${services.auth.url}/oauth/token`, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      ...(basic && { authorization: `Basic ${basic}` }),
    },
    body: new URLSearchParams(body),
  });
  const json = (await response.json()) as { access_token?: string };
  assert.equal(response.status, 200, JSON.stringify(json));
  return json.access_token!;
}

const userToken = (n: number) =>
  token({ grant_type: 'password', username: userEmail(n), password: PASSWORD, scope: 'orders:read' });

const get = (path: string, accessToken: string) =>
  fetch(`${services.fast.url}${path}`, { headers: { authorization: `Bearer ${accessToken}` } });

/** The user's id and their order ids, from the database. */
async function ordersOf(n: number): Promise<{ userId: string; ids: number[] }> {
  const connection = services.db.orm.em.getConnection();
  const [user] = (await connection.execute('select id from users where email = ?', [userEmail(n)])) as {
    id: number | string;
  }[];
  const rows = (await connection.execute('select id from orders where user_id = ? order by id', [
    user!.id,
  ])) as { id: number | string }[];
  return { userId: String(user!.id), ids: rows.map((row) => Number(row.id)) };
}

/** Every page of GET /v1/orders, following the keyset cursor. */
async function listAll(accessToken: string): Promise<{ id: number; userId: unknown }[]> {
  const items: { id: number; userId: unknown }[] = [];
  let path = '/v1/orders?limit=5';
  for (;;) {
    const response = await get(path, accessToken);
    const page = (await response.json()) as {
      items: { id: number; userId: unknown }[];
      next: string | null;
    };
    assert.equal(response.status, 200, JSON.stringify(page));
    items.push(...page.items);
    if (page.next === null) return items;
    path = `/v1/orders?limit=5&after=${encodeURIComponent(page.next)}`;
  }
}

test(`a user signed in by the password grant reads exactly their own orders (${testDialect()})`, async () => {
  await services.ready;
  for (const n of [1, 2]) {
    const mine = await ordersOf(n);
    assert.ok(mine.ids.length > 0, `seed-user ${n} has orders`);
    const accessToken = await userToken(n);
    const listed = await listAll(accessToken);
    assert.deepEqual(
      listed.map((order) => order.id),
      mine.ids,
      `user ${n}'s list is their orders, every one, in id order`,
    );
    for (const order of listed) assert.equal(String(order.userId), mine.userId);
    const record = await get(`/v1/orders/${mine.ids[0]}`, accessToken);
    const body = (await record.json()) as { id: number; userId: unknown };
    assert.equal(record.status, 200);
    assert.equal(body.id, mine.ids[0]);
    assert.equal(String(body.userId), mine.userId);
  }
});

test("another user's order answers the same 404 as a missing one", async () => {
  await services.ready;
  const accessToken = await userToken(1);
  const theirs = await ordersOf(2);
  const missing = await get('/v1/orders/987654321', accessToken);
  const missingBody = await missing.text();
  assert.equal(missing.status, 404);
  for (const id of theirs.ids) {
    const response = await get(`/v1/orders/${id}`, accessToken);
    assert.equal(response.status, 404, `order ${id} of user 2`);
    assert.equal(
      (await response.text()).replaceAll(String(id), 'ID'),
      missingBody.replaceAll('987654321', 'ID'),
    );
  }
});

test('a client_credentials token without orders:read:any is refused with 403 insufficient_scope', async () => {
  await services.ready;
  const clientId = /client_id:\s+(\S+)/.exec(machineClient)?.[1];
  const clientSecret = /client_secret:\s+(\S+)/.exec(machineClient)?.[1];
  assert.ok(clientId && clientSecret, machineClient);
  const accessToken = await token(
    { grant_type: 'client_credentials', scope: 'orders:read' },
    Buffer.from(`${clientId}:${clientSecret}`).toString('base64'),
  );
  const theirs = await ordersOf(1);
  for (const path of ['/v1/orders', `/v1/orders/${theirs.ids[0]}`]) {
    const response = await get(path, accessToken);
    const body = (await response.json()) as { error?: string; message?: string };
    assert.equal(response.status, 403, `${path}: ${JSON.stringify(body)}`);
    assert.equal(body.error, 'insufficient_scope');
    assert.match(body.message ?? '', /owner/);
  }
});
