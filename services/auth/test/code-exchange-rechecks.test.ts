/**
 * What the exchange checks again after the authorization page decided: the user's roles (a role that
 * lost a scope since the code was issued takes effect), and, in the claim itself, that the client and
 * user are still active. On SQLite the exchange reads the code, then claims it in a transaction: the
 * store's redeemCode is driven directly with a deactivation between the two. On PostgreSQL the read
 * and the claim are one statement (readAndRedeemMany), whose claim repeats every check of the read: it is
 * driven directly too, with one thing wrong at a time. Real auth service and database (SQLite, or
 * PostgreSQL with DATABASE_URL).
 */
import { after, before, describe, it } from 'node:test';
import { createHash } from 'node:crypto';
import assert from 'node:assert/strict';
import { AuthorizationCode, Client, RefreshToken, Role, Session, User } from '@tandem/models';
import { testDialect } from '@tandem/models/testing';
import { hashRefreshToken, newRefreshToken, newSession, sessionStart } from '@tandem/tokens';
import { hashCode } from '../src/authorize/grant.js';
import type { CodeAttempt } from '../src/store.js';
import { createRole, createUser, jwtPayload, startTestAuth, type TestAuth } from './support.js';
import { REDIRECT_URI, codeFor, createCodeClient, exchange, type CodeClient } from './code-flow-support.js';

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
  /** What the public `client` presents with `code` and `verifier`, as the exchange builds it on PostgreSQL. */
  const attemptOf = (code: string, verifier: string, client: CodeClient): CodeAttempt => ({
    codeHash: hashCode(code),
    challenge: createHash('sha256').update(verifier).digest('base64url'),
    redirectUri: REDIRECT_URI,
    authenticatedClientPk: null,
    namedClientId: client.clientId,
    session: sessionStart(auth.config.tokens, new Date()),
    refreshTokenHash: hashRefreshToken(newRefreshToken()),
  });
  /** The one statement (PostgreSQL): whether it claimed the code, and what it read. */
  const readAndRedeem = (attempt: CodeAttempt) => {
    const redemptions = auth.server.deps.codeRedemptions;
    assert.ok(redemptions, 'PostgreSQL exchanges in one statement');
    return redemptions.redeem(attempt);
  };
  /** The claim as the exchange makes it: after its read (SQLite), or as the read (PostgreSQL). */
  const claim = async (code: string, verifier: string, client: CodeClient) => {
    if (testDialect() === 'postgresql')
      return (await readAndRedeem(attemptOf(code, verifier, client)))?.claimed ? 1 : 0;
    return auth.server.deps.store.redeemCode({
      codeHash: hashCode(code),
      session: newSession(
        { userId, via: 'authorization_code', issuedTo: client.id },
        ['openid'],
        auth.config.tokens,
        new Date(),
      ),
      refreshTokenHash: hashRefreshToken(newRefreshToken()),
    });
  };
  const sessions = () => auth.db.orm.em.fork().count(Session, { user: userId });

  it('a client deactivated before the claim: it wins nothing and starts no session', async () => {
    const client = await createCodeClient(auth, { isPublic: true, isFirstParty: true });
    const { code, verifier } = await codeOf(client);
    const before = await sessions();
    await auth.db.orm.em.fork().nativeUpdate(Client, { id: client.id }, { isActive: false });
    assert.equal(await claim(code, verifier, client), 0);
    assert.equal(await sessions(), before);
    // At the token endpoint the read refuses it already.
    assert.equal((await exchange(auth, client, code, verifier)).body.error, 'invalid_grant');
  });

  it('a user deactivated before the claim: the same', async () => {
    const client = await createCodeClient(auth, { isPublic: true, isFirstParty: true });
    const { code, verifier } = await codeOf(client);
    const before = await sessions();
    await auth.db.orm.em.fork().nativeUpdate(User, { id: userId }, { isActive: false });
    try {
      assert.equal(await claim(code, verifier, client), 0);
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
    const { code, verifier } = await codeOf(client);
    assert.equal(await claim(code, verifier, client), 1);
    assert.equal(await claim(code, verifier, client), 0);
  });

  it('an expired code is refused and starts nothing', async () => {
    const client = await createCodeClient(auth, { isPublic: true, isFirstParty: true });
    const { code, verifier } = await codeOf(client);
    const before = await sessions();
    await auth.db.orm.em
      .fork()
      .nativeUpdate(
        AuthorizationCode,
        { codeHash: hashCode(code) },
        { expiresAt: new Date(Date.now() - 1000) },
      );
    const answer = await exchange(auth, client, code, verifier);
    assert.equal(answer.status, 400);
    assert.equal(answer.body.error, 'invalid_grant');
    assert.equal(await sessions(), before);
  });

  it('a client without the refresh_token grant gets no refresh token, and none is stored', async () => {
    const client = await createCodeClient(auth, {
      isPublic: true,
      isFirstParty: true,
      grantTypes: ['authorization_code'],
    });
    const { code, verifier } = await codeOf(client, 'openid catalog:read');
    const tokens = await exchange(auth, client, code, verifier);
    assert.equal(tokens.status, 200, tokens.text);
    assert.equal(tokens.body.refresh_token, undefined);
    assert.equal(tokens.body.scope, 'openid catalog:read');
    const sid = String(jwtPayload(String(tokens.body.access_token)).sid);
    assert.equal(await auth.db.orm.em.fork().count(RefreshToken, { session: sid }), 0);
  });

  it(
    'the one statement claims nothing when one thing is wrong, whatever the read then decides',
    { skip: testDialect() !== 'postgresql' && "one statement is PostgreSQL's" },
    async () => {
      const client = await createCodeClient(auth, { isPublic: true, isFirstParty: true });
      const confidential = await createCodeClient(auth, { isFirstParty: true });
      const { code, verifier } = await codeOf(client);
      const right = () => attemptOf(code, verifier, client);
      const before = await sessions();
      const wrongs: [string, CodeAttempt][] = [
        [
          'another verifier',
          { ...right(), challenge: createHash('sha256').update('x'.repeat(43)).digest('base64url') },
        ],
        ['another redirect_uri', { ...right(), redirectUri: `${REDIRECT_URI}/` }],
        ['no redirect_uri (the request had one)', { ...right(), redirectUri: null }],
        ['no client_id', { ...right(), namedClientId: null }],
        ['another client named', { ...right(), namedClientId: confidential.clientId }],
        ['another client authenticated', { ...right(), authenticatedClientPk: confidential.id }],
      ];
      for (const [what, attempt] of wrongs) {
        const read = await readAndRedeem(attempt);
        assert.equal(read?.claimed, false, what);
        assert.equal(read.code.used, false, what);
      }
      assert.equal(await sessions(), before);
      // None of them spent the code: the right attempt still wins it, once.
      assert.equal((await readAndRedeem(right()))?.claimed, true);
      assert.equal((await readAndRedeem(right()))?.claimed, false);
      assert.equal(await sessions(), before + 1);
    },
  );

  it(
    'a confidential client named but not authenticated claims nothing in the one statement',
    { skip: testDialect() !== 'postgresql' && "one statement is PostgreSQL's" },
    async () => {
      const confidential = await createCodeClient(auth, { isFirstParty: true });
      const { code, verifier } = await codeOf(confidential);
      const read = await readAndRedeem(attemptOf(code, verifier, confidential));
      assert.equal(read?.claimed, false);
      const proven = await readAndRedeem({
        ...attemptOf(code, verifier, confidential),
        authenticatedClientPk: confidential.id,
      });
      assert.equal(proven?.claimed, true);
    },
  );
});
