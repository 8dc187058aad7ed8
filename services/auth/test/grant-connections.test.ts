/**
 * The code exchange and the refresh grant borrow one connection from knex's pool for their whole
 * database work (read, atomic write, and the revocation of a replay), not one per statement: each
 * borrow costs the pool a pending operation with its own timer. (On PostgreSQL an exchange's read and
 * claim is one statement shared by the exchanges of its event-loop turn, borrowed for by the batch.) On SQLite the pool has a single
 * connection, so a grant that borrowed a second one while holding the first would wait for itself
 * until the acquire timeout: the replays below (which revoke on the held connection) would hang.
 * On PostgreSQL the statements are counted too (each is a round trip): an exchange, and a refresh
 * without a scope parameter, are one statement each.
 * Real auth service and database (SQLite, or PostgreSQL with DATABASE_URL).
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { testDialect } from '@tandem/models/testing';
import { Session } from '@tandem/models';
import { createRole, createUser, jwtPayload, postForm, startTestAuth, type TestAuth } from './support.js';
import { codeFor, createCodeClient, exchange, pkcePair, type CodeClient } from './code-flow-support.js';

const EMAIL = 'borrower@example.com';
const PASSWORD = 'correct horse battery staple';

describe(`grants borrow one pooled connection each (${testDialect()})`, () => {
  let auth: TestAuth;
  let client: CodeClient;
  let borrowed = 0;
  /** Statements sent to PostgreSQL over the pool's connections (each is a round trip). */
  let statements = 0;

  before(async () => {
    auth = await startTestAuth();
    await createRole(auth, 'reader', ['catalog:read']);
    await createUser(auth, EMAIL, PASSWORD, ['reader']);
    client = await createCodeClient(auth, { isPublic: true, isFirstParty: true });
    // The allowed-origins refresh borrows a connection every 5 s: on a slow machine one fell inside a
    // measured request now and then and was counted as the grant's.
    auth.server.deps.cors.origins.stop();
    const pool = auth.server.deps.orm.em.getKnex().client as { acquireConnection(): Promise<unknown> };
    const acquire = pool.acquireConnection.bind(pool);
    const counted = new WeakSet<object>();
    pool.acquireConnection = async () => {
      borrowed++;
      const connection = (await acquire()) as { query?: (...args: unknown[]) => unknown };
      const query = connection.query;
      if (testDialect() === 'postgresql' && query && !counted.has(connection)) {
        counted.add(connection);
        connection.query = (...args: unknown[]) => {
          statements++;
          return query.apply(connection, args);
        };
      }
      return connection;
    };
  });
  after(() => auth.close());

  /** How many connections `work` borrowed from the pool. */
  const borrowsOf = async <T>(
    work: () => Promise<T>,
  ): Promise<{ result: T; borrows: number; statements: number }> => {
    const start = { borrowed, statements };
    const result = await work();
    return { result, borrows: borrowed - start.borrowed, statements: statements - start.statements };
  };

  const newCode = () => codeFor(auth, client, EMAIL, PASSWORD, 'openid catalog:read');
  const refresh = (token: string, extra: Record<string, string> = {}) =>
    postForm(`${auth.url}/oauth/token`, {
      grant_type: 'refresh_token',
      refresh_token: token,
      client_id: client.clientId,
      ...extra,
    });
  const revokedReason = async (sid: string) =>
    (await auth.db.orm.em.fork().findOneOrFail(Session, { id: sid })).revokedReason;

  it('an exchange, and the replay of its code that revokes the session, borrow one connection each', async () => {
    const { code, verifier } = await newCode();
    const first = await borrowsOf(() => exchange(auth, client, code, verifier));
    assert.equal(first.result.status, 200, first.result.text);
    assert.equal(first.borrows, 1);
    const sid = String(jwtPayload(String(first.result.body.access_token)).sid);

    const replay = await borrowsOf(() => exchange(auth, client, code, verifier));
    assert.equal(replay.result.status, 400);
    assert.equal(replay.result.body.error, 'invalid_grant');
    // PostgreSQL: the exchanges of an event-loop turn share one statement (CodeRedemptions), which
    // borrows for itself; the revocation after it borrows again (a replay is rare, and the pool has
    // more than one connection there).
    assert.equal(replay.borrows, testDialect() === 'postgresql' ? 2 : 1);
    assert.equal(await revokedReason(sid), 'code_reuse');
  });

  it('a rotation, and the replay of a spent token that revokes the family, borrow one connection each', async () => {
    const { code, verifier } = await newCode();
    const exchanged = await exchange(auth, client, code, verifier);
    assert.equal(exchanged.status, 200, exchanged.text);
    const spent = String(exchanged.body.refresh_token);
    const sid = String(jwtPayload(String(exchanged.body.access_token)).sid);

    const rotated = await borrowsOf(() => refresh(spent));
    assert.equal(rotated.result.status, 200, rotated.result.text);
    assert.equal(rotated.borrows, 1);
    assert.equal(jwtPayload(String(rotated.result.body.access_token)).sid, sid);

    const replay = await borrowsOf(() => refresh(spent));
    assert.equal(replay.result.status, 400);
    assert.equal(replay.borrows, 1);
    assert.equal(await revokedReason(sid), 'refresh_token_reuse');
    // The newest token of the family ends with it.
    assert.equal((await refresh(String(rotated.result.body.refresh_token))).status, 400);
  });

  it(
    'on PostgreSQL an exchange is one statement (read and claim together); a replay or a wrong verifier, a second',
    { skip: testDialect() !== 'postgresql' && 'round trips are a PostgreSQL cost' },
    async () => {
      const { code, verifier } = await newCode();
      const first = await borrowsOf(() => exchange(auth, client, code, verifier));
      assert.equal(first.result.status, 200, first.result.text);
      assert.equal(first.result.body.scope, 'openid catalog:read');
      assert.ok(first.result.body.id_token && first.result.body.refresh_token);
      assert.equal(first.statements, 1);
      const sid = String(jwtPayload(String(first.result.body.access_token)).sid);

      // The replay: the statement claims nothing, then the session the code started is revoked.
      const replay = await borrowsOf(() => exchange(auth, client, code, verifier));
      assert.equal(replay.result.status, 400);
      assert.equal(replay.result.body.error, 'invalid_grant');
      assert.equal(replay.statements, 2);
      assert.equal(await revokedReason(sid), 'code_reuse');

      // A wrong verifier: the statement claims nothing, then the code is spent.
      const other = await newCode();
      const wrong = await borrowsOf(() => exchange(auth, client, other.code, pkcePair().verifier));
      assert.equal(wrong.result.status, 400);
      assert.match(String(wrong.result.body.error_description), /code_verifier/);
      assert.equal(wrong.statements, 2);
      assert.equal((await exchange(auth, client, other.code, other.verifier)).body.error, 'invalid_grant');
    },
  );

  it(
    'on PostgreSQL a rotation without a scope parameter is one statement (read and claim together); with one, a read and a claim',
    { skip: testDialect() !== 'postgresql' && 'round trips are a PostgreSQL cost' },
    async () => {
      const { code, verifier } = await newCode();
      const exchanged = await exchange(auth, client, code, verifier);
      assert.equal(exchanged.status, 200, exchanged.text);
      const sid = String(jwtPayload(String(exchanged.body.access_token)).sid);

      const plain = await borrowsOf(() => refresh(String(exchanged.body.refresh_token)));
      assert.equal(plain.result.status, 200, plain.result.text);
      assert.equal(plain.statements, 1);
      const scoped = await borrowsOf(() =>
        refresh(String(plain.result.body.refresh_token), { scope: 'catalog:read' }),
      );
      assert.equal(scoped.result.status, 200, scoped.result.text);
      assert.equal(scoped.result.body.scope, 'catalog:read');
      assert.equal(scoped.statements, 2);

      // A replay of the token the one statement spent: refused, and the family revoked (a third statement).
      const replay = await borrowsOf(() => refresh(String(exchanged.body.refresh_token)));
      assert.equal(replay.result.status, 400);
      assert.equal(replay.result.body.error, 'invalid_grant');
      assert.equal(replay.statements, 2);
      assert.equal(await revokedReason(sid), 'refresh_token_reuse');
      assert.equal((await refresh(String(scoped.result.body.refresh_token))).status, 400);
    },
  );
});
