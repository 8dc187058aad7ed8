/**
 * Attack: keep logging in to the admin with a password while its owner changes it. Logins with the old
 * password are sent in parallel, and the password is changed (new hash and revokeUserSessions in one
 * transaction, in the admin form's order: the revocations, then the hash) as soon as the first one
 * answers, while the others are between their password check and their session. Whatever they
 * answered, no session got with the old password may work after the change. Real admin and database
 * (SQLite, or PostgreSQL with DATABASE_URL).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { hashPassword } from '@tandem/accounts';
import { User } from '@tandem/models';
import { testDialect, THROTTLE_OUT_OF_THE_WAY } from '@tandem/models/testing';
import { revokeUserSessions } from '@tandem/tokens';
import { Client, createStaff, startFixture, type Fixture } from './support.js';

const EMAIL = 'changing@example.com';
const ATTEMPTS = 10;

describe(`attack: logging in with a password while it is changed (${testDialect()})`, () => {
  let fixture: Fixture;

  before(async () => {
    // Room for every parallel attempt: the throttle is not what this file tests.
    fixture = await startFixture(THROTTLE_OUT_OF_THE_WAY);
    await createStaff(fixture, EMAIL, ['view_product']);
  });
  after(() => fixture.close());

  async function changePassword(): Promise<void> {
    const em = fixture.db.orm.em.fork();
    const { id } = await em.findOneOrFail(User, { email: EMAIL });
    const passwordHash = await hashPassword('a brand new passphrase for them');
    await em.transactional(async (tx) => {
      await revokeUserSessions(tx, id, 'password_changed');
      await tx.nativeUpdate(User, { id }, { passwordHash });
    });
  }

  it('no admin session got with the old password works after the change', async () => {
    let changed: Promise<void> | undefined;
    const clients = await Promise.all(
      Array.from({ length: ATTEMPTS }, async () => {
        const client = new Client(fixture.origin);
        const login = await client.login(EMAIL);
        changed ??= changePassword();
        return { client, login };
      }),
    );
    await changed;
    const admitted = clients.filter(({ login }) => login.headers.get('location') === '/admin');
    assert.ok(admitted.length > 0, 'the first login got in before the change');
    for (const { client, login } of clients) {
      assert.equal(login.status === 302 || login.status === 401, true, `login answered ${login.status}`);
      const page = await client.request('/admin/api/resources/Product/actions/list');
      assert.notEqual(page.status, 200, 'a session of the old password still reads the admin');
    }
  });
});
