/**
 * On PostgreSQL the code exchanges of one event-loop turn are read and claimed by one statement
 * (CodeRedemptions, AuthQueries.readAndRedeemMany). What each exchange relies on still holds inside a
 * batch: it claims its own code only, starts its own session with its own refresh token, a second
 * attempt at one code in the same batch loses it, and a statement refused for one attempt's sake
 * costs the others nothing. Real auth service and PostgreSQL (DATABASE_URL); skipped on SQLite.
 */
import { after, before, describe, it } from 'node:test';
import { createHash } from 'node:crypto';
import assert from 'node:assert/strict';
import { AuthorizationCode, RefreshToken, Session } from '@tandem/models';
import { testDialect } from '@tandem/models/testing';
import { hashRefreshToken, newRefreshToken, sessionStart } from '@tandem/tokens';
import { hashCode } from '../src/authorize/grant.js';
import type { CodeAttempt } from '../src/store.js';
import { createRole, createUser, jwtPayload, startTestAuth, type TestAuth } from './support.js';
import { REDIRECT_URI, codeFor, createCodeClient, exchange, type CodeClient } from './code-flow-support.js';

const EMAIL = 'batched@example.com';
const PASSWORD = 'correct horse battery staple';
const skip =
  testDialect() !== 'postgresql' && 'batched exchanges are PostgreSQL’s (SQLite exchanges step by step)';

describe('code exchanges batched per event-loop turn (PostgreSQL)', { skip }, () => {
  let auth: TestAuth;
  let client: CodeClient;
  /** The attempts of each statement the exchanges sent, by code hash. */
  let statements: string[][] = [];

  before(async () => {
    auth = await startTestAuth();
    await createRole(auth, 'reader', ['catalog:read']);
    await createUser(auth, EMAIL, PASSWORD, ['reader']);
    client = await createCodeClient(auth, { isPublic: true, isFirstParty: true });
    const queries = auth.server.deps.store.queries;
    const readAndRedeemMany = queries.readAndRedeemMany.bind(queries);
    queries.readAndRedeemMany = (attempts) => {
      statements.push(attempts.map((a) => a.codeHash));
      return readAndRedeemMany(attempts);
    };
  });
  after(() => auth?.close());

  const newCode = () => codeFor(auth, client, EMAIL, PASSWORD, 'openid catalog:read');
  const attemptOf = (
    code: string,
    verifier: string,
    session = sessionStart(auth.config.tokens, new Date()),
  ) => {
    const refreshToken = newRefreshToken();
    const attempt: CodeAttempt = {
      codeHash: hashCode(code),
      challenge: createHash('sha256').update(verifier).digest('base64url'),
      redirectUri: REDIRECT_URI,
      authenticatedClientPk: null,
      namedClientId: client.clientId,
      session,
      refreshTokenHash: hashRefreshToken(refreshToken),
    };
    return attempt;
  };
  const redeemAll = (attempts: CodeAttempt[]) => {
    const redemptions = auth.server.deps.codeRedemptions;
    assert.ok(redemptions);
    statements = [];
    // Called in one synchronous loop: one event-loop turn.
    return Promise.allSettled(attempts.map((attempt) => redemptions.redeem(attempt)));
  };
  const em = () => auth.db.orm.em.fork();

  it('one statement for the turn; each attempt claims its own code and starts its own session and refresh token', async () => {
    const codes = [await newCode(), await newCode(), await newCode()];
    const attempts = codes.map(({ code, verifier }) => attemptOf(code, verifier));
    const answers = await redeemAll(attempts);
    assert.deepEqual(statements, [attempts.map((a) => a.codeHash)]);
    for (const [i, attempt] of attempts.entries()) {
      const answer = answers[i];
      assert.ok(answer?.status === 'fulfilled' && answer.value?.claimed === true, `attempt ${i} claimed`);
      assert.equal(answer.value.code.grantedScope, 'openid catalog:read');
      const stored = await em().findOneOrFail(AuthorizationCode, { codeHash: attempt.codeHash });
      assert.equal(stored.sessionId, attempt.session.id, 'the code points at its own session');
      const session = await em().findOneOrFail(Session, { id: attempt.session.id });
      assert.equal(session.grantType, 'authorization_code');
      assert.equal(session.scope, 'openid catalog:read');
      const tokens = await em().find(RefreshToken, { session: attempt.session.id });
      assert.deepEqual(
        tokens.map((t) => t.tokenHash),
        [attempt.refreshTokenHash],
        'its own first refresh token, and only it',
      );
    }
  });

  it('two attempts at one code in one statement: exactly one claims it and starts a session', async () => {
    const { code, verifier } = await newCode();
    const twins = [attemptOf(code, verifier), attemptOf(code, verifier)];
    const answers = await redeemAll(twins);
    assert.equal(statements.length, 1);
    const claimed = answers.map((a) => a.status === 'fulfilled' && a.value?.claimed === true);
    assert.equal(claimed.filter(Boolean).length, 1, 'one winner');
    for (const answer of answers)
      assert.ok(answer.status === 'fulfilled' && answer.value?.code.used === false, 'both read it unused');
    const sessions = await em().count(Session, { id: { $in: twins.map((t) => t.session.id) } });
    assert.equal(sessions, 1, "only the winner's session");
  });

  it('parallel HTTP exchanges of distinct codes all get their own tokens; replays of one code, one answer only', async () => {
    // Signed in one after another: parallel sign-ins to one account meet the login throttle (429).
    const codes = [];
    for (let i = 0; i < 6; i++) codes.push(await newCode());
    const answers = await Promise.all(
      codes.map(({ code, verifier }) => exchange(auth, client, code, verifier)),
    );
    for (const answer of answers) assert.equal(answer.status, 200, answer.text);
    const sids = answers.map((a) => String(jwtPayload(String(a.body.access_token)).sid));
    assert.equal(new Set(sids).size, 6, 'six sessions');

    const { code, verifier } = await newCode();
    const replays = await Promise.all(
      Array.from({ length: 6 }, () => exchange(auth, client, code, verifier)),
    );
    assert.equal(replays.filter((r) => r.status === 200).length, 1);
    assert.ok(replays.filter((r) => r.status !== 200).every((r) => r.body.error === 'invalid_grant'));
    const winner = replays.find((r) => r.status === 200)!;
    const sid = String(jwtPayload(String(winner.body.access_token)).sid);
    // The losers were replays: the session the code started is revoked (RFC 6749 §4.1.2).
    assert.equal((await em().findOneOrFail(Session, { id: sid })).revokedReason, 'code_reuse');
  });

  it("a statement refused for one attempt's sake fails that attempt only, and its code stays unclaimed", async () => {
    const codes = [await newCode(), await newCode(), await newCode()];
    const taken = (
      await em().findOneOrFail(
        Session,
        { grantType: 'authorization_code' },
        { orderBy: { createdAt: 'asc' } },
      )
    ).id;
    const colliding = sessionStart(auth.config.tokens, new Date());
    const attempts = [
      attemptOf(codes[0]!.code, codes[0]!.verifier),
      // A session id that exists: the session insert violates the primary key, and the statement fails.
      attemptOf(codes[1]!.code, codes[1]!.verifier, { ...colliding, id: taken }),
      attemptOf(codes[2]!.code, codes[2]!.verifier),
    ];
    const answers = await redeemAll(attempts);
    assert.equal(statements.length, 4, 'the batch, then each attempt alone');
    assert.ok(answers[0]?.status === 'fulfilled' && answers[0].value?.claimed === true);
    assert.ok(answers[1]?.status === 'rejected' && /duplicate key/.test(String(answers[1].reason)));
    assert.ok(answers[2]?.status === 'fulfilled' && answers[2].value?.claimed === true);
    const stored = await em().findOneOrFail(AuthorizationCode, { codeHash: attempts[1]!.codeHash });
    assert.equal(stored.usedAt, null, 'rolled back: the code can still be exchanged');
    const retried = await exchange(auth, client, codes[1]!.code, codes[1]!.verifier);
    assert.equal(retried.status, 200, retried.text);
  });
});
