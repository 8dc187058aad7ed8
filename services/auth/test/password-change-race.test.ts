/**
 * Attack: keep signing in with a password while its owner changes it. Sign-ins with the old password
 * are sent in parallel (the password grant, and the authorization page's password step), and the
 * password is changed (new hash and revokeUserSessions, one transaction, as every change path does)
 * as soon as the first one answers, while the others are between their password check and their
 * session. Whatever they answer, nothing got with the old password may outlive the change: no token
 * session, no live sign-in, no code that exchanges. Real auth service and database (SQLite, or
 * PostgreSQL with DATABASE_URL).
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { hashPassword } from '@tandem/accounts';
import { LoginSession, Session, User } from '@tandem/models';
import { testDialect, THROTTLE_OUT_OF_THE_WAY } from '@tandem/models/testing';
import { revokeUserSessions } from '@tandem/tokens';
import { createRole, createUser, postForm, startTestAuth, type TestAuth } from './support.js';
import { createCodeClient, exchange, passwordStep, type CodeClient } from './code-flow-support.js';

const OLD_PASSWORD = 'correct horse battery staple';
const NEW_PASSWORD = 'a brand new passphrase for ann';
const ATTEMPTS = 12;
const ORDERS = ['hash-first', 'revoke-first'] as const;
type ChangeOrder = (typeof ORDERS)[number];

describe(`attack: signing in with a password while it is changed (${testDialect()})`, () => {
  let auth: TestAuth;
  let client: CodeClient;

  before(async () => {
    // Room for every parallel attempt: the throttle is not what this file tests.
    auth = await startTestAuth(THROTTLE_OUT_OF_THE_WAY);
    await createRole(auth, 'reader', ['catalog:read']);
    client = await createCodeClient(auth, { isPublic: true, isFirstParty: true });
  });
  after(() => auth.close());

  const userNamed = (email: string) => auth.db.orm.em.fork().findOneOrFail(User, { email });

  /**
   * The change, in one transaction: the new hash and the revocations, in the order `tandem
   * changepassword` writes them (`hash-first`) or the admin's form (`revoke-first`: its entity change
   * is flushed at commit).
   */
  async function changePassword(email: string, order: ChangeOrder): Promise<Date> {
    const { id } = await userNamed(email);
    const passwordHash = await hashPassword(NEW_PASSWORD);
    await auth.db.orm.em.fork().transactional(async (tx) => {
      if (order === 'hash-first') await tx.nativeUpdate(User, { id }, { passwordHash });
      await revokeUserSessions(tx, id, 'password_changed');
      if (order === 'revoke-first') await tx.nativeUpdate(User, { id }, { passwordHash });
    });
    return new Date();
  }

  /** Runs `attempts`, changing the password when the first of them answers; then waits for all. */
  async function raceWithChange<T>(
    email: string,
    order: ChangeOrder,
    attempts: (() => Promise<T>)[],
  ): Promise<T[]> {
    let changed: Promise<Date> | undefined;
    const answers = await Promise.all(
      attempts.map(async (attempt) => {
        const answer = await attempt();
        changed ??= changePassword(email, order);
        return answer;
      }),
    );
    await changed;
    return answers;
  }

  for (const order of ORDERS)
    it(`the password grant: no token session got with the old password outlives the change (${order})`, async () => {
      const email = `grant-${order}@example.com`;
      await createUser(auth, email, OLD_PASSWORD, ['reader']);
      const grant = () =>
        postForm(`${auth.url}/oauth/token`, {
          grant_type: 'password',
          username: email,
          password: OLD_PASSWORD,
          scope: 'catalog:read',
        });
      const answers = await raceWithChange(
        email,
        order,
        Array.from({ length: ATTEMPTS }, () => grant),
      );
      assert.ok(
        answers.some((answer) => answer.status === 200),
        'the first attempt got tokens',
      );
      for (const answer of answers) {
        if (answer.status !== 200) {
          assert.equal(answer.body.error, 'invalid_grant', answer.text);
          continue;
        }
        const refreshed = await postForm(`${auth.url}/oauth/token`, {
          grant_type: 'refresh_token',
          refresh_token: String(answer.body.refresh_token),
        });
        assert.equal(
          refreshed.status,
          400,
          `a refresh token got with the old password still works: ${refreshed.text}`,
        );
      }
      const { id } = await userNamed(email);
      const live = await auth.db.orm.em.fork().count(Session, { user: id, revokedAt: null });
      assert.equal(live, 0, 'every session of the old password is revoked');
    });

  for (const order of ORDERS)
    it(`the authorization page: no sign-in or code got with the old password outlives the change (${order})`, async () => {
      const email = `page-${order}@example.com`;
      await createUser(auth, email, OLD_PASSWORD, ['reader']);
      const signIn = () => passwordStep(auth.url, client, email, OLD_PASSWORD);
      const results = await raceWithChange(
        email,
        order,
        Array.from({ length: ATTEMPTS }, () => signIn),
      );
      assert.ok(
        results.some(({ answer }) => answer.status === 303),
        'the first attempt signed in',
      );
      for (const { answer, verifier } of results) {
        if (answer.status !== 303) {
          // Refused (the password changed), or the login page again (its sign-in was ended by the
          // change before its code was issued): either way no code.
          assert.ok(
            [200, 400, 401].includes(answer.status),
            `${answer.status}: ${answer.html.slice(0, 300)}`,
          );
          assert.match(answer.html, /name="password"/);
          assert.equal(answer.location, undefined);
          continue;
        }
        const code = new URL(answer.location!).searchParams.get('code');
        assert.ok(code);
        const exchanged = await exchange(auth, client, code, verifier);
        assert.equal(exchanged.status, 400, `a code got with the old password exchanged: ${exchanged.text}`);
      }
      const { id } = await userNamed(email);
      const live = await auth.db.orm.em.fork().count(LoginSession, { user: id, endedAt: null });
      assert.equal(live, 0, 'no sign-in of the old password is live');
    });
});
