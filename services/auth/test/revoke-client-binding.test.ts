/**
 * RFC 7009 §2.1 at /oauth/revoke, tried as an attacker holding someone else's token would: a
 * confidential client's token presented with no client, with another real client's credentials, with
 * the right client_id but a wrong secret or none, and with a public client's bare client_id; a public
 * app's token with no client_id or another app's. Each time the token must still work afterwards (it
 * refreshes, or fast-style local use: the session is not revoked); only the rightful client revokes
 * it. Real auth service and database (SQLite, or PostgreSQL with DATABASE_URL).
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { testDialect } from '@tandem/models/testing';
import { Session } from '@tandem/models';
import {
  basicAuth,
  createTestClient,
  jwtPayload,
  postForm,
  type JsonResponse,
  type TestAuth,
} from './support.js';
import { clientBindingFixture, type ClientBindingFixture, type CodeClient } from './code-flow-support.js';

const EMAIL = 'revoker@example.com';
const PASSWORD = 'correct horse battery staple';

describe(`revocation only by the client the token was issued to (${testDialect()})`, () => {
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

  const revoke = (fields: Record<string, string>, headers: Record<string, string> = {}) =>
    postForm(`${auth.url}/oauth/revoke`, fields, headers);
  const asClient = (client: CodeClient) => basicAuth(client.clientId, client.clientSecret!);
  const revokedAt = async (sid: string) =>
    (await auth.db.orm.em.fork().findOneOrFail(Session, { id: sid })).revokedAt;
  const invalidClient = (answer: JsonResponse) => {
    assert.equal(answer.status, 401, answer.text);
    assert.equal(answer.body.error, 'invalid_client');
  };
  /** The token still works: the session is live and its refresh token rotates for its own client. */
  const stillWorks = async (sid: string, refreshToken: string, client: CodeClient) => {
    assert.equal(await revokedAt(sid), null, 'the session is not revoked');
    const fields: Record<string, string> = { grant_type: 'refresh_token', refresh_token: refreshToken };
    const isPublic = client.clientSecret === undefined;
    if (isPublic) fields.client_id = client.clientId;
    const answer = await postForm(`${auth.url}/oauth/token`, fields, isPublic ? {} : asClient(client));
    assert.equal(answer.status, 200, answer.text);
    return String(answer.body.refresh_token);
  };

  it("a confidential client's token: no client authentication is 401 invalid_client, the token still works", async () => {
    const tokens = await signIn(confidential);
    for (const hint of ['refresh_token', 'access_token'] as const) {
      invalidClient(await revoke({ token: tokens.refresh, token_type_hint: hint }));
      invalidClient(await revoke({ token: tokens.access, token_type_hint: hint }));
    }
    // Naming the right client without its secret is not authenticating as it.
    invalidClient(await revoke({ token: tokens.refresh, client_id: confidential.clientId }));
    invalidClient(await revoke({ token: tokens.refresh, client_id: 'no-such-client-id' }));
    await stillWorks(tokens.sid, tokens.refresh, confidential);
  });

  it('a wrong secret is 401 before the token is looked at; the token still works', async () => {
    const tokens = await signIn(confidential);
    invalidClient(await revoke({ token: tokens.refresh }, basicAuth(confidential.clientId, 'wrong')));
    invalidClient(
      await revoke({
        token: tokens.access,
        client_id: confidential.clientId,
        client_secret: `${confidential.clientSecret}x`,
      }),
    );
    // Even for a token issued to no client (nothing to protect), bad credentials are refused.
    invalidClient(await revoke({ token: 'whatever' }, basicAuth(confidential.clientId, '')));
    await stillWorks(tokens.sid, tokens.refresh, confidential);
  });

  it("another client's credentials, or another app's client_id: 200, and nothing is revoked", async () => {
    const tokens = await signIn(confidential);
    for (const token of [tokens.refresh, tokens.access]) {
      const answer = await revoke({ token }, asClient(otherConfidential));
      assert.equal(answer.status, 200, answer.text);
      assert.equal(answer.text, '');
      const posted = await revoke({
        token,
        client_id: otherConfidential.clientId,
        client_secret: otherConfidential.clientSecret!,
      });
      assert.equal(posted.status, 200);
      assert.equal((await revoke({ token, client_id: publicApp.clientId })).status, 200);
    }
    await stillWorks(tokens.sid, tokens.refresh, confidential);
  });

  it("a machine client's token is not revoked by another machine client or without credentials", async () => {
    const owner = await createTestClient(auth, 'machine-owner', ['catalog:read']);
    const other = await createTestClient(auth, 'machine-other', ['catalog:read']);
    const issued = await postForm(
      `${auth.url}/oauth/token`,
      { grant_type: 'client_credentials' },
      basicAuth(owner.clientId, owner.clientSecret),
    );
    const token = String(issued.body.access_token);
    const sid = String(jwtPayload(token).sid);
    invalidClient(await revoke({ token }));
    assert.equal((await revoke({ token }, basicAuth(other.clientId, other.clientSecret))).status, 200);
    assert.equal(await revokedAt(sid), null);
    assert.equal((await revoke({ token }, basicAuth(owner.clientId, owner.clientSecret))).status, 200);
    assert.ok(await revokedAt(sid));
  });

  it('a public app names itself: no client_id is 401, another app is ignored, its own revokes', async () => {
    const tokens = await signIn(publicApp);
    invalidClient(await revoke({ token: tokens.refresh }));
    assert.equal((await revoke({ token: tokens.refresh, client_id: otherPublic.clientId })).status, 200);
    assert.equal((await revoke({ token: tokens.access }, asClient(confidential))).status, 200);
    const refreshed = await stillWorks(tokens.sid, tokens.refresh, publicApp);
    assert.equal((await revoke({ token: refreshed, client_id: publicApp.clientId })).status, 200);
    assert.ok(await revokedAt(tokens.sid));
  });

  it('the rightful confidential client revokes by either token; the refresh token then fails', async () => {
    const viaRefresh = await signIn(confidential);
    assert.equal((await revoke({ token: viaRefresh.refresh }, asClient(confidential))).status, 200);
    assert.ok(await revokedAt(viaRefresh.sid));
    const refused = await postForm(
      `${auth.url}/oauth/token`,
      { grant_type: 'refresh_token', refresh_token: viaRefresh.refresh },
      asClient(confidential),
    );
    assert.equal(refused.body.error, 'invalid_grant');
    const viaAccess = await signIn(confidential);
    const answer = await revoke({
      token: viaAccess.access,
      client_id: confidential.clientId,
      client_secret: confidential.clientSecret!,
    });
    assert.equal(answer.status, 200);
    assert.ok(await revokedAt(viaAccess.sid));
  });
});
