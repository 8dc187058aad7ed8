/**
 * What the exchange checks again after the authorization page decided: the user's roles (a role that
 * lost a scope since the code was issued takes effect), and, in the claim itself, that the client and
 * user are still active (the exchange reads the code, then claims it in one atomic step: the store's
 * redeemCode is driven directly with a deactivation between the two). Real auth service and database
 * (SQLite, or PostgreSQL with DATABASE_URL).
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Client, Role, Session, User } from '@tandem/models';
import { hashRefreshToken, newRefreshToken, newSession } from '@tandem/tokens';
import { hashCode } from '../src/authorize/grant.js';
import { createRole, createUser, jwtPayload, startTestAuth, type TestAuth } from './support.js';
import { codeFor, createCodeClient, exchange, type CodeClient } from './code-flow-support.js';

const EMAIL = 'claimer@example.com';
const PASSWORD = 'correct horse battery staple';

describe('what the code exchange checks again', () => {
  let auth: TestAuth;
  let userId: number;

  before(async () => {
    auth = await startTestAuth();
    await createRole(auth, 'reader', ['catalog:read']);
    userId = await createUser(auth, EMAIL, PASSWORD, ['reader']);
  });
  after(() => auth.close());

  const codeOf = (client: CodeClient, scope = 'openid') => codeFor(auth, client, EMAIL, PASSWORD, scope);
  /** The claim as the exchange makes it after its read. */
  const claim = (code: string, client: CodeClient) =>
    auth.server.deps.store.redeemCode({
      codeHash: hashCode(code),
      session: newSession(
        { userId, via: 'authorization_code', issuedTo: client.id },
        ['openid'],
        auth.config.tokens,
        new Date(),
      ),
      refreshTokenHash: hashRefreshToken(newRefreshToken()),
    });
  const sessions = () => auth.db.orm.em.fork().count(Session, { user: userId });

  it('a client deactivated after the read: the claim wins nothing and starts no session', async () => {
    const client = await createCodeClient(auth, { isPublic: true, isFirstParty: true });
    const { code, verifier } = await codeOf(client);
    const before = await sessions();
    await auth.db.orm.em.fork().nativeUpdate(Client, { id: client.id }, { isActive: false });
    assert.equal(await claim(code, client), 0);
    assert.equal(await sessions(), before);
    // At the token endpoint the read refuses it already.
    assert.equal((await exchange(auth, client, code, verifier)).body.error, 'invalid_grant');
  });

  it('a user deactivated after the read: the same', async () => {
    const client = await createCodeClient(auth, { isPublic: true, isFirstParty: true });
    const { code } = await codeOf(client);
    const before = await sessions();
    await auth.db.orm.em.fork().nativeUpdate(User, { id: userId }, { isActive: false });
    try {
      assert.equal(await claim(code, client), 0);
      assert.equal(await sessions(), before);
    } finally {
      await auth.db.orm.em.fork().nativeUpdate(User, { id: userId }, { isActive: true });
    }
  });

  it("a scope the user's roles lost after the code was issued is not in the tokens", async () => {
    const client = await createCodeClient(auth, { isPublic: true, isFirstParty: true });
    const { code, verifier } = await codeOf(client, 'openid catalog:read');
    await auth.db.orm.em.fork().nativeUpdate(Role, { name: 'reader' }, { scopes: [] });
    try {
      const tokens = await exchange(auth, client, code, verifier);
      assert.equal(tokens.status, 200, tokens.text);
      assert.equal(tokens.body.scope, 'openid');
      assert.equal(jwtPayload(String(tokens.body.access_token)).scope, 'openid');
      const session = await auth.db.orm.em
        .fork()
        .findOneOrFail(Session, { id: String(jwtPayload(String(tokens.body.access_token)).sid) });
      assert.equal(session.scope, 'openid');
    } finally {
      await auth.db.orm.em.fork().nativeUpdate(Role, { name: 'reader' }, { scopes: ['catalog:read'] });
    }
    // With the role's scope back, a new code carries it again.
    const again = await codeOf(client, 'openid catalog:read');
    const tokens = await exchange(auth, client, again.code, again.verifier);
    assert.equal(tokens.body.scope, 'openid catalog:read');
  });

  it('with both active the claim wins once', async () => {
    const client = await createCodeClient(auth, { isPublic: true, isFirstParty: true });
    const { code } = await codeOf(client);
    assert.equal(await claim(code, client), 1);
    assert.equal(await claim(code, client), 0);
  });
});
