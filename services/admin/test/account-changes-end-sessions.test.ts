/**
 * Issue 10 item 6 (security): an account change made in the admin must end the tokens already out
 * there. Before, deactivating a user (or changing their password, removing their staff flag, taking a
 * scope from their role) left their sessions live: their refresh token still worked until the next
 * refresh check and their access token kept reading at the fast service until it expired. Each test
 * makes the change as a staff member would, through the admin's HTTP API, and then reads the sessions
 * table: the user's sessions must be revoked, with the right reason, by the same transaction.
 */
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { hashPassword } from '@tandem/accounts';
import { LoginSession, Role, Session, User } from '@tandem/models';
import { testDialect } from '@tandem/models/testing';
import { startUserSession } from '@tandem/tokens';
import { Client, PASSWORD, refuseAuditEntries, startFixtureAsRoot, type Fixture } from './support.js';

interface ActionBody {
  notice?: { message: string; type: string };
}

const SETTINGS = { sessionAbsoluteTtlSeconds: 86_400 };

describe(`account changes in the admin end the user's sessions (${testDialect()})`, () => {
  let fixture: Fixture;
  let root: Client;
  let reader: Role;
  let extra: Role;
  let counter = 0;

  before(async () => {
    ({ fixture, root } = await startFixtureAsRoot());
    const em = fixture.db.orm.em.fork();
    reader = em.create(Role, { name: 'reader', scopes: ['catalog:read', 'orders:read'], permissions: [] });
    extra = em.create(Role, { name: 'orders', scopes: ['orders:read'], permissions: [] });
    await em.flush();
  });
  after(() => fixture.close());
  beforeEach(() => {
    counter += 1;
  });

  /** A user with the given roles and flags, and one live login session per scope set (via the module). */
  const userWithSessions = async (
    options: { staff?: boolean; roles?: Role[]; sessions?: string[][] } = {},
  ): Promise<{ id: number; email: string; sids: string[] }> => {
    const em = fixture.db.orm.em.fork();
    const user = em.create(User, {
      email: `person${counter}-${Math.random().toString(36).slice(2, 8)}@example.com`,
      passwordHash: await hashPassword(PASSWORD),
      isStaff: options.staff ?? false,
    });
    for (const role of options.roles ?? []) user.roles.add(em.getReference(Role, role.id));
    await em.flush();
    const sids: string[] = [];
    for (const scopes of options.sessions ?? [['catalog:read']])
      sids.push((await startUserSession(em.fork(), user.id, scopes, SETTINGS, new Date())).sid);
    return { id: user.id, email: user.email, sids };
  };

  const sessions = async (sids: string[]) => {
    const rows = await fixture.db.orm.em.fork().find(Session, { id: { $in: sids } });
    return new Map(rows.map((row) => [row.id, row]));
  };
  const reasons = async (sids: string[]) => {
    const rows = await sessions(sids);
    return sids.map((sid) => rows.get(sid)?.revokedReason ?? (rows.has(sid) ? null : 'gone'));
  };

  const edit = (id: number, form: Record<string, string>) =>
    root.api<ActionBody>(`/resources/User/records/${id}/edit`, { form });

  it('deactivating a user revokes their sessions (user_inactive), not anybody else’s', async () => {
    const victim = await userWithSessions({ sessions: [['catalog:read'], ['catalog:read']] });
    const bystander = await userWithSessions();
    const { body } = await edit(victim.id, { isActive: 'false' });
    assert.equal(body.notice?.type, 'success', JSON.stringify(body));
    assert.deepEqual(await reasons(victim.sids), ['user_inactive', 'user_inactive']);
    assert.deepEqual(await reasons(bystander.sids), [null]);
    const rows = await sessions(victim.sids);
    for (const row of rows.values()) assert.ok(row.revokedAt, 'revoked_at is set');
  });

  it("removing a user's staff flag revokes their sessions (staff_removed)", async () => {
    const staff = await userWithSessions({ staff: true });
    const { body } = await edit(staff.id, { isStaff: 'false' });
    assert.equal(body.notice?.type, 'success', JSON.stringify(body));
    assert.deepEqual(await reasons(staff.sids), ['staff_removed']);
  });

  it('making a user staff ends their sign-ins at the login page (a second factor may now be due), not their tokens', async () => {
    const user = await userWithSessions();
    const bystander = await userWithSessions();
    const em = fixture.db.orm.em.fork();
    const now = new Date();
    const signIn = (id: number, mark: string) =>
      em.create(LoginSession, {
        id: mark.repeat(64),
        user: em.getReference(User, id),
        authTime: now,
        amr: 'pwd',
        acr: null,
        createdAt: now,
        expiresAt: new Date(now.getTime() + 3_600_000),
        endedAt: null,
      });
    const [promoted, other] = [signIn(user.id, String(counter % 10)), signIn(bystander.id, 'f')];
    await em.flush();
    const { body } = await edit(user.id, { isStaff: 'true' });
    assert.equal(body.notice?.type, 'success', JSON.stringify(body));
    const ended = async (id: string) =>
      (await fixture.db.orm.em.fork().findOneOrFail(LoginSession, { id })).endedAt;
    assert.ok(await ended(promoted.id), "the promoted user's sign-in ended");
    assert.equal(await ended(other.id), null, "nobody else's");
    assert.deepEqual(await reasons(user.sids), [null], 'token sessions go on');
  });

  it("changing a user's password in the admin revokes their sessions (password_changed)", async () => {
    const user = await userWithSessions();
    const { body } = await edit(user.id, { password: 'a brand new passphrase' });
    assert.equal(body.notice?.type, 'success', JSON.stringify(body));
    assert.deepEqual(await reasons(user.sids), ['password_changed']);
  });

  it('a staff member changing their own password (the "change my password" page) ends their sessions', async () => {
    const staff = await userWithSessions({ staff: true });
    const self = new Client(fixture.origin);
    assert.equal((await self.login(staff.email)).status, 302);
    const response = await self.request('/admin/api/pages/changePassword', {
      json: {
        currentPassword: PASSWORD,
        newPassword: 'my own new passphrase',
        confirmPassword: 'my own new passphrase',
      },
    });
    assert.equal(response.status, 200);
    assert.deepEqual(await reasons(staff.sids), ['password_changed']);
  });

  it("a password change ends the user's other admin sessions (a stolen password's login too)", async () => {
    const staff = await userWithSessions({ staff: true });
    const attacker = new Client(fixture.origin);
    assert.equal((await attacker.login(staff.email)).status, 302);
    assert.equal((await attacker.request('/admin')).status, 200, 'the attacker is in');
    const owner = new Client(fixture.origin);
    assert.equal((await owner.login(staff.email)).status, 302);
    const response = await owner.request('/admin/api/pages/changePassword', {
      json: {
        currentPassword: PASSWORD,
        newPassword: 'the owner takes it back',
        confirmPassword: 'the owner takes it back',
      },
    });
    assert.equal(response.status, 200);
    assert.equal(
      (await owner.request('/admin')).status,
      200,
      'the owner stays logged in where they changed it',
    );
    assert.notEqual(
      (await owner.request('/admin/api/resources/User/actions/list')).status,
      401,
      'and the API still knows them',
    );
    const after = await attacker.request('/admin');
    assert.equal(after.status, 302, 'the session from before the change is over');
    assert.equal((await attacker.request('/admin/api/resources/User/actions/list')).status, 401);
    // The new password logs in as usual.
    const again = new Client(fixture.origin);
    assert.equal((await again.login(staff.email, 'the owner takes it back')).status, 302);
    assert.equal((await again.request('/admin')).status, 200);
  });

  it('an edit that changes nothing about access leaves the sessions alone', async () => {
    const user = await userWithSessions();
    const { body } = await edit(user.id, { email: `renamed${counter}@example.com` });
    assert.equal(body.notice?.type, 'success', JSON.stringify(body));
    assert.deepEqual(await reasons(user.sids), [null]);
  });

  it('a deactivation whose transaction fails revokes nothing (the revocation rolls back with it)', async () => {
    const user = await userWithSessions();
    // The audit entry is written after the revocation, in the same transaction: refuse it.
    const allow = await refuseAuditEntries(fixture.db);
    try {
      const { body } = await edit(user.id, { isActive: 'false' });
      assert.notEqual(body.notice?.type, 'success', JSON.stringify(body));
    } finally {
      await allow();
    }
    assert.equal((await fixture.db.orm.em.fork().findOneOrFail(User, user.id)).isActive, true);
    assert.deepEqual(await reasons(user.sids), [null]);
  });

  it('deleting a user deletes their sessions in the same transaction, and the change feed sees it', async () => {
    const user = await userWithSessions({ sessions: [['catalog:read'], ['catalog:read']] });
    const { body } = await root.api<ActionBody>(`/resources/User/records/${user.id}/delete`, {
      method: 'POST',
    });
    assert.equal(body.notice?.type, 'success', JSON.stringify(body));
    assert.deepEqual(await reasons(user.sids), ['gone', 'gone']);
    // The fast service learns of revocations from change_event; a deleted session counts as revoked.
    const events = (await fixture.db.orm.em
      .getKnex()
      .select('record_id', 'op')
      .from('change_event')
      .where('table_name', 'sessions')
      .whereIn('record_id', user.sids)
      .where('op', 'delete')) as { record_id: string }[];
    assert.deepEqual(new Set(events.map((event) => String(event.record_id))), new Set(user.sids));
  });

  it('a role losing a scope revokes the members’ sessions holding it, unless another role grants it', async () => {
    const onlyReader = await userWithSessions({
      roles: [reader],
      sessions: [['catalog:read'], ['catalog:read', 'orders:read']],
    });
    const alsoOrders = await userWithSessions({ roles: [reader, extra], sessions: [['orders:read']] });
    const { body } = await root.api<ActionBody>(`/resources/Role/records/${reader.id}/edit`, {
      form: { 'scopes.0': 'catalog:read' },
    });
    assert.equal(body.notice?.type, 'success', JSON.stringify(body));
    assert.deepEqual(await reasons(onlyReader.sids), [null, 'role_changed']);
    assert.deepEqual(await reasons(alsoOrders.sids), [null]);
    // Put the scope back for the other tests.
    await fixture.db.orm.em
      .fork()
      .nativeUpdate(Role, { id: reader.id }, { scopes: ['catalog:read', 'orders:read'] });
  });

  it('a user losing a role revokes the sessions holding a scope only that role granted', async () => {
    const user = await userWithSessions({
      roles: [reader, extra],
      sessions: [['orders:read'], ['catalog:read']],
    });
    const { body } = await edit(user.id, { 'roles.0': String(reader.id) });
    assert.equal(body.notice?.type, 'success', JSON.stringify(body));
    assert.deepEqual(await reasons(user.sids), [null, null], 'reader still grants both');
    const { body: second } = await edit(user.id, { 'roles.0': String(extra.id) });
    assert.equal(second.notice?.type, 'success', JSON.stringify(second));
    assert.deepEqual(await reasons(user.sids), [null, 'role_changed']);
  });
});
