/**
 * Migration20261202034730_session_authorized_client: sessions.authorized_client_id records the client a
 * code-flow session was issued to (its refresh tokens are bound to it). Existing rows: a code-flow
 * session whose code is still kept gets that code's client; one whose code is gone stays without (the
 * auth service refuses its refresh: its user signs in again); a password-grant session belongs to no
 * client. The column's foreign key works (deleting the client deletes the sessions issued to it) and
 * the session feed's triggers still capture changes.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createTestDatabase, testDialect } from '../src/test-database.js';
import { ChangeEvent, Session, migratorOf, openOrm } from '../src/index.js';

const BEFORE = 'Migration20261202034117_write_owner_key';
const BOUND = '11111111-1111-4111-8111-111111111111';
const CODE_GONE = '22222222-2222-4222-8222-222222222222';
const PASSWORD = '33333333-3333-4333-8333-333333333333';

test(`code-flow sessions get their code's client; others none (${testDialect()})`, async () => {
  const db = await createTestDatabase();
  const orm = await openOrm(db.target);
  const at = (date: Date) => (testDialect() === 'postgresql' ? date.toISOString() : date.getTime());
  try {
    await migratorOf(orm).up({ to: BEFORE });
    // eslint-disable-next-line @typescript-eslint/no-explicit-any -- raw rows in a test
    const sql = (query: string, params: unknown[] = []): Promise<any[]> =>
      orm.em.getConnection().execute(query, params);
    const now = new Date();
    const later = new Date(now.getTime() + 3_600_000);
    await sql(`insert into users (email, password_hash) values ('kept@example.com', 'x')`);
    const [user] = await sql(`select id from users where email = 'kept@example.com'`);
    await sql(`insert into clients (name, client_id, secret_hash) values ('App', 'app-client-1', ?)`, [
      '0'.repeat(64),
    ]);
    const [client] = await sql(`select id from clients where client_id = 'app-client-1'`);
    for (const [id, grant] of [
      [BOUND, 'authorization_code'],
      [CODE_GONE, 'authorization_code'],
      [PASSWORD, 'password'],
    ])
      await sql(`insert into sessions (id, user_id, grant_type, expires_at) values (?, ?, ?, ?)`, [
        id,
        user.id,
        grant,
        at(later),
      ]);
    await sql(
      `insert into authorization_codes (code_hash, client_id, user_id, redirect_uri, scope, code_challenge, auth_time,
         created_at, expires_at, used_at, session_id) values (?, ?, ?, '', 'openid', ?, ?, ?, ?, ?, ?)`,
      ['c'.repeat(64), client.id, user.id, 'x'.repeat(43), at(now), at(now), at(now), at(now), BOUND],
    );

    await migratorOf(orm).up();

    const em = orm.em.fork();
    const clientOf = async (id: string) =>
      (await em.findOneOrFail(Session, { id }, { refresh: true })).authorizedClient?.id ?? null;
    assert.equal(await clientOf(BOUND), Number(client.id));
    assert.equal(await clientOf(CODE_GONE), null);
    assert.equal(await clientOf(PASSWORD), null);

    // The session feed still captures a session's changes.
    const events = () => orm.em.fork().count(ChangeEvent, { tableName: 'sessions', recordId: PASSWORD });
    const before = await events();
    await orm.em.fork().nativeUpdate(Session, { id: PASSWORD }, { revokedAt: new Date() });
    assert.equal(await events(), before + 1);

    // Deleting the client deletes the session issued to it (its users' tokens end with it).
    await sql(`delete from clients where id = ?`, [client.id]);
    assert.equal(await orm.em.fork().count(Session, { id: BOUND }), 0);
    assert.equal(await orm.em.fork().count(Session, { id: CODE_GONE }), 1);
  } finally {
    await orm.close(true);
    await db.drop();
  }
});
