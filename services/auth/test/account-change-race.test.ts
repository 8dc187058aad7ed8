/**
 * Attack: keep asking for tokens with the password grant while the account changes under it: the
 * account deactivated, a second factor turned on, a role taken away. Grants are sent in parallel, and
 * the change is made (in one transaction, with the revocation the admin makes with it) as soon as the
 * first grant answers, while the others are between their checks and their session. Whatever they
 * answered, no session may outlive the change: none live after a deactivation or a second factor,
 * none holding a scope the account no longer has. Real auth and database (SQLite, or PostgreSQL with
 * DATABASE_URL).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Role, Session, User, UserTotp, type Orm } from '@tandem/models';
import { testDialect, THROTTLE_OUT_OF_THE_WAY } from '@tandem/models/testing';
import { revokeSessionsBeyondRoleScopes, revokeUserSessions } from '@tandem/tokens';
import { createRole, createUser, postForm, startTestAuth, type TestAuth } from './support.js';

const PASSWORD = 'correct horse battery staple';
const ATTEMPTS = 16;

describe(`attack: password grants while the account changes (${testDialect()})`, () => {
  let auth: TestAuth;
  before(async () => {
    // Room for every parallel grant: the throttle is not what this file tests.
    auth = await startTestAuth(THROTTLE_OUT_OF_THE_WAY);
    await createRole(auth, 'reader', ['catalog:read']);
    await createRole(auth, 'writer', ['orders:write']);
  });
  after(() => auth.close());

  /** Parallel password grants for `email`; `change` runs as soon as the first one answers. */
  async function grantsDuring(email: string, change: (tx: Orm['em'], id: number) => Promise<void>) {
    const { id } = await auth.db.orm.em.fork().findOneOrFail(User, { email });
    let changed: Promise<void> | undefined;
    const answers = await Promise.all(
      Array.from({ length: ATTEMPTS }, async () => {
        const answer = await postForm(`${auth.url}/oauth/token`, {
          grant_type: 'password',
          username: email,
          password: PASSWORD,
        });
        changed ??= auth.db.orm.em.fork().transactional((tx) => change(tx, id));
        return answer;
      }),
    );
    await changed;
    assert.ok(
      answers.some((answer) => answer.status === 200),
      'the first grant got in before the change',
    );
    const live = await auth.db.orm.em.fork().find(Session, { user: id, revokedAt: null });
    return { answers, live };
  }

  it('deactivated: no session stays live', async () => {
    await createUser(auth, 'leaving@example.com', PASSWORD, ['reader']);
    const { live } = await grantsDuring('leaving@example.com', async (tx, id) => {
      await tx.nativeUpdate(User, { id }, { isActive: false });
      await revokeUserSessions(tx, id, 'user_inactive');
    });
    assert.deepEqual(live, [], 'a session of a deactivated account is live');
  });

  it('a second factor turned on: no session got with the password alone stays live or refreshes', async () => {
    await createUser(auth, 'securing@example.com', PASSWORD, ['reader']);
    const { answers, live } = await grantsDuring('securing@example.com', async (tx, id) => {
      tx.create(UserTotp, { user: id, secretEncrypted: 'v1.iv.sealed.tag', confirmedAt: new Date() });
      await tx.flush();
      await revokeUserSessions(tx, id, 'two_factor_enabled');
    });
    assert.deepEqual(live, [], 'a password-only session outlives the second factor');
    for (const answer of answers.filter((each) => each.status === 200)) {
      const refreshed = await postForm(`${auth.url}/oauth/token`, {
        grant_type: 'refresh_token',
        refresh_token: String(answer.body.refresh_token),
      });
      assert.equal(refreshed.status, 400, 'its refresh token still works');
    }
  });

  it('a role taken away: no live session holds its scope', async () => {
    await createUser(auth, 'demoted@example.com', PASSWORD, ['reader', 'writer']);
    const { live } = await grantsDuring('demoted@example.com', async (tx, id) => {
      const user = await tx.findOneOrFail(User, id, { populate: ['roles'] });
      user.roles.remove(await tx.findOneOrFail(Role, { name: 'writer' }));
      await tx.flush();
      await revokeSessionsBeyondRoleScopes(tx, [id], 'role_changed');
    });
    const holding = live.filter((session) => session.scope.split(' ').includes('orders:write'));
    assert.deepEqual(holding, [], 'a live session holds the scope of the role taken away');
  });
});
