/**
 * A refresh token is bound to the client it was issued to (RFC 6749 §6, RFC 9700 §4.14): a session
 * the code flow started works only for its client, authenticated when confidential, named by
 * client_id when public. Tried as an attacker holding another app's refresh token would: with no
 * client, as another (real, authenticated) client, naming the right client without its secret,
 * naming another public client, racing the rightful client, and at the store's one rotation
 * statement directly. A password-grant session (no client) refreshes as before. Real auth service
 * and database (SQLite, or PostgreSQL with DATABASE_URL).
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { RefreshToken, Session } from '@tandem/models';
import { hashRefreshToken, liveWindow, newRefreshToken, revokeClientSessions } from '@tandem/tokens';
import {
  basicAuth,
  createTestClient,
  jwtPayload,
  postForm,
  setClientActive,
  type JsonResponse,
  type TestAuth,
} from './support.js';
import {
  clientBindingFixture,
  createCodeClient,
  type ClientBindingFixture,
  type CodeClient,
} from './code-flow-support.js';

const EMAIL = 'bound@example.com';
const PASSWORD = 'correct horse battery staple';

describe('refresh tokens are bound to their client', () => {
  let auth: TestAuth;
  let confidential: CodeClient;
  let otherConfidential: CodeClient;
  let publicApp: CodeClient;
  let otherPublic: CodeClient;
  let signIn: ClientBindingFixture['signIn'];

  before(async () => {
    ({ auth, confidential, otherConfidential, publicApp, otherPublic, signIn } = await clientBindingFixture(
      EMAIL,
      PASSWORD,
    ));
  });
  after(() => auth.close());

  const refresh = (
    token: string,
    fields: Record<string, string> = {},
    headers: Record<string, string> = {},
  ) =>
    postForm(
      `${auth.url}/oauth/token`,
      { grant_type: 'refresh_token', refresh_token: token, ...fields },
      headers,
    );
  const asClient = (client: CodeClient) => basicAuth(client.clientId, client.clientSecret!);
  const session = (sid: string) => auth.db.orm.em.fork().findOneOrFail(Session, { id: sid });
  const tokenUsed = async (token: string) =>
    (await auth.db.orm.em.fork().findOneOrFail(RefreshToken, { tokenHash: hashRefreshToken(token) }))
      .usedAt !== null;
  const refused = (answer: JsonResponse) => {
    assert.equal(answer.status, 400, answer.text);
    assert.equal(answer.body.error, 'invalid_grant');
    // The same words as an unknown token: nothing says the token was good for someone else.
    assert.equal(answer.body.error_description, 'The refresh token is invalid, expired or revoked.');
    assert.equal(answer.body.access_token, undefined);
  };

  it('a code-flow session records its client; the rightful client refreshes and the next token stays bound', async () => {
    const { refresh: first, sid } = await signIn(confidential);
    assert.equal((await session(sid)).authorizedClient?.id, confidential.id);
    const rotated = await refresh(first, {}, asClient(confidential));
    assert.equal(rotated.status, 200, rotated.text);
    const next = String(rotated.body.refresh_token);
    refused(await refresh(next, {}, asClient(otherConfidential)));
  });

  it("another confidential client, authenticated with its own secret, cannot use a client's refresh token", async () => {
    const { refresh: stolen, sid } = await signIn(confidential);
    refused(await refresh(stolen, {}, asClient(otherConfidential)));
    // client_secret_post, naming itself in the body: the same.
    refused(
      await refresh(stolen, {
        client_id: otherConfidential.clientId,
        client_secret: otherConfidential.clientSecret!,
      }),
    );
    const row = await session(sid);
    assert.ok(row.revokedAt, 'the leaked family is revoked');
    assert.equal(row.revokedReason, 'refresh_token_wrong_client');
    assert.equal(await tokenUsed(stolen), false, 'the token was never rotated for the thief');
  });

  it('no client at all, or the right client_id without its secret, is refused for a confidential client', async () => {
    const bare = await signIn(confidential);
    refused(await refresh(bare.refresh));
    assert.equal((await session(bare.sid)).revokedReason, 'refresh_token_wrong_client');

    const named = await signIn(confidential);
    refused(await refresh(named.refresh, { client_id: confidential.clientId }));
    assert.ok((await session(named.sid)).revokedAt);
  });

  it('a wrong secret for the right client is invalid_client and spends nothing', async () => {
    const { refresh: token, sid } = await signIn(confidential);
    const wrong = await refresh(token, {}, basicAuth(confidential.clientId, 'not-the-secret'));
    assert.equal(wrong.status, 401, wrong.text);
    assert.equal(wrong.body.error, 'invalid_client');
    assert.equal((await session(sid)).revokedAt, null, 'a failed authentication revokes nothing');
    assert.equal((await refresh(token, {}, asClient(confidential))).status, 200);
  });

  it('a public client must name itself; no client_id or another public client_id is refused', async () => {
    const missing = await signIn(publicApp);
    refused(await refresh(missing.refresh));
    assert.equal((await session(missing.sid)).revokedReason, 'refresh_token_wrong_client');

    const other = await signIn(publicApp);
    refused(await refresh(other.refresh, { client_id: otherPublic.clientId }));
    // Another public client sending its id through HTTP Basic with an empty secret authenticates nothing.
    const basic = await refresh(other.refresh, {}, basicAuth(otherPublic.clientId, ''));
    assert.equal(basic.body.error, 'invalid_client');

    const rightful = await signIn(publicApp);
    const ok = await refresh(rightful.refresh, { client_id: publicApp.clientId });
    assert.equal(ok.status, 200, ok.text);
    // A confidential client cannot borrow a public client's token either.
    refused(await refresh(String(ok.body.refresh_token), {}, asClient(confidential)));
  });

  it('a thief racing the rightful client never gets tokens; at most the rightful request wins', async () => {
    for (let round = 0; round < 3; round++) {
      const { refresh: token, sid } = await signIn(publicApp);
      const answers = await Promise.all([
        refresh(token, { client_id: otherPublic.clientId }),
        refresh(token, {}, asClient(otherConfidential)),
        refresh(token),
        refresh(token, { client_id: publicApp.clientId }),
      ]);
      for (const thief of answers.slice(0, 3)) refused(thief);
      assert.ok([200, 400].includes(answers[3]!.status), answers[3]!.text);
      assert.ok((await session(sid)).revokedAt, 'the family ends either way');
    }
  });

  it('the rotation statement itself refuses another presenter (no check-then-act)', async () => {
    const { refresh: token, sid } = await signIn(confidential);
    const rotation = (presenterPk: number | null) =>
      auth.server.deps.store.rotateRefreshToken({
        sessionId: sid,
        tokenHash: hashRefreshToken(token),
        nextTokenHash: hashRefreshToken(newRefreshToken()),
        presenterPk,
        ...liveWindow(auth.config.tokens.sessionIdleTtlSeconds),
      });
    assert.equal(await rotation(otherConfidential.id), 0);
    assert.equal(await rotation(null), 0);
    assert.equal(await tokenUsed(token), false);
    assert.equal(await rotation(confidential.id), 1);
    assert.equal(await tokenUsed(token), true);
  });

  it('a deactivated client: its users sessions are revoked with it, and its tokens refused', async () => {
    const app = await createCodeClient(auth, { isPublic: true, isFirstParty: true });
    const { refresh: token, sid } = await signIn(app);
    await setClientActive(auth, app.clientId, false);
    refused(await refresh(token, { client_id: app.clientId }));
    assert.equal((await session(sid)).revokedAt, null, 'refused, not counted as a leak');
    const em = auth.db.orm.em.fork();
    assert.ok((await revokeClientSessions(em, app.id, 'client_deactivated')) >= 1);
    assert.equal((await session(sid)).revokedReason, 'client_deactivated');
  });

  it('a code-flow session stored before sessions recorded a client is refused, not revoked', async () => {
    const { refresh: token, sid } = await signIn(publicApp);
    await auth.db.orm.em.fork().nativeUpdate(Session, { id: sid }, { authorizedClient: null });
    refused(await refresh(token, { client_id: publicApp.clientId }));
    refused(await refresh(token));
    assert.equal((await session(sid)).revokedAt, null);
    assert.equal(await tokenUsed(token), false);
  });

  it('a password-grant session belongs to no client and refreshes as before, with or without one', async () => {
    const machine = await createTestClient(auth, 'machine', ['catalog:read']);
    const login = await postForm(`${auth.url}/oauth/token`, {
      grant_type: 'password',
      username: EMAIL,
      password: PASSWORD,
    });
    assert.equal(login.status, 200, login.text);
    const sid = String(jwtPayload(String(login.body.access_token)).sid);
    assert.equal((await session(sid)).authorizedClient, null);
    const bare = await refresh(String(login.body.refresh_token));
    assert.equal(bare.status, 200, bare.text);
    const withClient = await refresh(
      String(bare.body.refresh_token),
      {},
      basicAuth(machine.clientId, machine.clientSecret),
    );
    assert.equal(withClient.status, 200, withClient.text);
  });

  it("another client cannot revoke a client's tokens at /oauth/revoke (RFC 7009 §2.1)", async () => {
    const { refresh: token, sid, access } = await signIn(confidential);
    const revoke = await postForm(
      `${auth.url}/oauth/revoke`,
      { token, token_type_hint: 'refresh_token' },
      asClient(otherConfidential),
    );
    assert.equal(revoke.status, 200, 'answered 200, and nothing is revoked (RFC 7009 §2.1)');
    const viaAccess = await postForm(
      `${auth.url}/oauth/revoke`,
      { token: access, token_type_hint: 'access_token' },
      asClient(otherConfidential),
    );
    assert.equal(viaAccess.status, 200, 'nor through its access token');
    assert.equal((await session(sid)).revokedAt, null);
    const own = await postForm(`${auth.url}/oauth/revoke`, { token }, asClient(confidential));
    assert.equal(own.status, 200);
    assert.ok((await session(sid)).revokedAt);
  });
});
