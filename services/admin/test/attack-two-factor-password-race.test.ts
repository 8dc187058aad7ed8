/**
 * Attack: a stolen admin session turns two-factor sign-in on or off while the account's owner changes
 * the password to shut it out. The factor change ends the user's other sessions and re-stamps its own
 * session; a re-stamp read after the password change would carry the new password's stamp, and the
 * stolen session would outlive the change.
 *
 * Turning it off: the password is changed while the request waits for the authenticator's row, held
 * by another writer (so the change lands between the request's session check and its re-stamp); real
 * admin and PostgreSQL (SQLite has no row locks to wait on). Turning it on cannot be paused that way (the
 * password change deletes the pending authenticator the enrolment confirms, so the two wait on each
 * other): the re-stamp itself is checked after a password change, on both databases.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { hashPassword } from '@tandem/accounts';
import type { Request } from 'express';
import { credentialStamp } from '@tandem/accounts';
import { User, UserTotp } from '@tandem/models';
import { testDialect, whileAnotherWriterHolds } from '@tandem/models/testing';
import { revokeUserSessions } from '@tandem/tokens';
import { totpCodeAt } from '@tandem/two-factor';
import { stampAfterFactorChange } from '../src/staff-session.js';
import { Client, startFixture, type Fixture } from './support.js';

const STEP_MS = 30_000;
const secretOf = (html: string) => /id="totp-secret">([A-Z2-7]+)</.exec(html)?.[1];

describe(`a session's stamp after its second factor changed (${testDialect()})`, () => {
  let fixture: Fixture;
  before(async () => {
    fixture = await startFixture();
  });
  after(() => fixture.close());

  /** A request whose session holds the stamp of the user's password as it is, without a factor. */
  async function sessionOf(email: string): Promise<{ id: number; req: Request }> {
    const em = fixture.db.orm.em.fork();
    const user = em.create(User, {
      email,
      passwordHash: await hashPassword('first password here'),
      isStaff: true,
    });
    await em.flush();
    const req = {
      session: { credentialStamp: credentialStamp(user.passwordHash, null) },
    } as unknown as Request;
    return { id: user.id, req };
  }

  async function confirmFactor(id: number): Promise<Date> {
    const confirmedAt = new Date();
    const em = fixture.db.orm.em.fork();
    em.create(UserTotp, { user: id, secretEncrypted: 'v1.iv.sealed.tag', confirmedAt });
    await em.flush();
    return confirmedAt;
  }

  it('takes the stamp of the password and the new factor', async () => {
    const { id, req } = await sessionOf('keeps@example.com');
    const confirmedAt = await confirmFactor(id);
    const { passwordHash } = await fixture.db.orm.em
      .fork()
      .findOneOrFail(User, id, { populate: ['passwordHash'] });
    const stamp = await stampAfterFactorChange(fixture.db.orm.em.fork(), req, id, null);
    assert.equal(stamp, credentialStamp(passwordHash, confirmedAt));
  });

  it('is none when the password changed meanwhile (the session ends)', async () => {
    const { id, req } = await sessionOf('changed@example.com');
    await confirmFactor(id);
    await fixture.db.orm.em
      .fork()
      .nativeUpdate(User, { id }, { passwordHash: await hashPassword('taken back') });
    assert.equal(await stampAfterFactorChange(fixture.db.orm.em.fork(), req, id, null), null);
  });
});

describe(
  `attack: a session turning its second factor off while the password is changed (${testDialect()})`,
  { skip: testDialect() !== 'postgresql' && 'SQLite has one writer at a time (no row locks to wait on)' },
  () => {
    let fixture: Fixture;
    before(async () => {
      fixture = await startFixture();
      const em = fixture.db.orm.em.fork();
      const passwordHash = await hashPassword('the first password of them all');
      em.create(User, { email: 'disables@example.com', passwordHash, isStaff: true });
      await em.flush();
    });
    after(() => fixture.close());

    async function changePassword(email: string): Promise<void> {
      const em = fixture.db.orm.em.fork();
      const { id } = await em.findOneOrFail(User, { email });
      const passwordHash = await hashPassword('the owner takes the account back');
      await em.transactional(async (tx) => {
        await revokeUserSessions(tx, id, 'password_changed');
        await tx.nativeUpdate(User, { id }, { passwordHash });
      });
    }

    /** A session of `email` on the account page, with the secret it shows for enrolment. */
    async function stolenSession(email: string): Promise<{ session: Client; secret: string }> {
      const session = new Client(fixture.origin);
      const login = await session.login(email, 'the first password of them all');
      assert.equal(login.headers.get('location'), '/admin');
      const secret = secretOf(await (await session.request('/admin/account/two-factor')).text());
      assert.ok(secret, 'the account page shows a secret');
      return { session, secret };
    }

    /** Runs `post` while the user's authenticator row is held, and changes the password meanwhile. */
    const withPasswordChangedMeanwhile = async (email: string, post: () => Promise<Response>) => {
      const { id } = await fixture.db.orm.em.fork().findOneOrFail(User, { email });
      return whileAnotherWriterHolds(
        fixture.db.url,
        (writer) => writer.query('select 1 from user_totp where user_id = $1 for update', [id]),
        post,
        () => changePassword(email),
      );
    };

    it('turning it off: the session ends with the password', async () => {
      const { session, secret } = await stolenSession('disables@example.com');
      const on = await session.request('/admin/account/two-factor/enrol', {
        form: { code: totpCodeAt(secret) },
      });
      assert.equal(on.status, 200);
      assert.equal((await session.request('/admin')).status, 200, 'enrolling kept this session');
      const off = await withPasswordChangedMeanwhile('disables@example.com', () =>
        session.request('/admin/account/two-factor/disable', {
          form: { code: totpCodeAt(secret, Date.now() + STEP_MS) },
        }),
      );
      assert.equal(off.status, 303);
      assert.equal(off.headers.get('location'), '/admin/login');
      const after = await session.request('/admin/api/resources/Product/actions/list');
      assert.equal(after.status, 401, 'the session outlived the password change');
    });
  },
);
