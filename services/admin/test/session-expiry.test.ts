/**
 * Admin sessions end ADMIN_SESSION_MAX_AGE_SECONDS after login, on the server: a cookie kept (or stolen)
 * beyond that is refused (401 on the API, the login page otherwise) and its row leaves the store.
 * Using the admin does not push the end further out, so a stolen cookie cannot be kept alive by
 * replaying it. No sleeping for the max age: the test moves the stored expiry, as the clock would.
 */
import assert from 'node:assert/strict';
import { setTimeout as delay } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import { testDialect } from '@tandem/models/testing';
import { Client, startFixture, type Fixture } from './support.js';

const MAX_AGE_SECONDS = 3600;

describe(`admin sessions expire ADMIN_SESSION_MAX_AGE_SECONDS after login (${testDialect()})`, () => {
  let fixture: Fixture;

  before(async () => {
    fixture = await startFixture({ ADMIN_SESSION_MAX_AGE_SECONDS: String(MAX_AGE_SECONDS) });
  });
  after(() => fixture.close());

  const knex = () => fixture.db.orm.em.getKnex();
  const rows = async () =>
    (
      (await knex()('admin_sessions').select('sid', 'expires_at')) as Array<{
        sid: string;
        expires_at: unknown;
      }>
    ).map((row) => ({ sid: row.sid, expiresAt: Number(row.expires_at) }));
  /** Logs in a fresh client; returns it with its session's row (the only new one). */
  const login = async () => {
    const known = new Set((await rows()).map((row) => row.sid));
    const client = new Client(fixture.origin);
    const started = Date.now();
    assert.equal((await client.login('root@example.com')).status, 302);
    const ended = Date.now();
    const fresh = (await rows()).filter((row) => !known.has(row.sid));
    assert.equal(fresh.length, 1, 'one session row per login');
    return { client, row: fresh[0]!, started, ended };
  };
  const products = (client: Client) => client.request('/admin/api/resources/Product/actions/list');

  it('the stored expiry is the login time plus ADMIN_SESSION_MAX_AGE_SECONDS', async () => {
    const { row, started, ended } = await login();
    assert.ok(row.expiresAt >= started + MAX_AGE_SECONDS * 1000, `${row.expiresAt} vs ${started}`);
    assert.ok(row.expiresAt <= ended + MAX_AGE_SECONDS * 1000, `${row.expiresAt} vs ${ended}`);
  });

  it('using the admin does not extend the session (the lifetime counts from login)', async () => {
    const { client, row } = await login();
    // Let the clock move on, so an extension would show as a later expiry.
    await delay(20);
    assert.equal((await products(client)).status, 200);
    assert.equal((await client.request('/admin')).status, 200);
    const [now] = (await rows()).filter((other) => other.sid === row.sid);
    assert.equal(now?.expiresAt, row.expiresAt);
  });

  it('a session past its expiry is refused on the API (401) and the pages, and leaves the store', async () => {
    const { client, row } = await login();
    assert.equal((await products(client)).status, 200);
    // As if ADMIN_SESSION_MAX_AGE_SECONDS had passed since the login.
    await knex()('admin_sessions')
      .where({ sid: row.sid })
      .update({ expires_at: Date.now() - 1000 });
    const api = await products(client);
    assert.equal(api.status, 401);
    assert.deepEqual(((await api.json()) as { error: string }).error, 'not_authenticated');
    assert.equal((await rows()).filter((other) => other.sid === row.sid).length, 0, 'the row is deleted');
    const page = await client.request('/admin');
    assert.equal(page.status, 302);
    assert.match(page.headers.get('location') ?? '', /\/admin\/login$/);
  });

  it('a page request with an expired session is sent to the login page', async () => {
    const { client, row } = await login();
    await knex()('admin_sessions')
      .where({ sid: row.sid })
      .update({ expires_at: Date.now() - 1000 });
    const page = await client.request('/admin/resources/Product');
    assert.equal(page.status, 302);
    assert.match(page.headers.get('location') ?? '', /\/admin\/login$/);
    assert.equal((await rows()).filter((other) => other.sid === row.sid).length, 0, 'the row is deleted');
  });
});
