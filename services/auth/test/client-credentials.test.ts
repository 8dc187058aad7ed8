import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { testDialect } from '@tandem/models/testing';
import { Session } from '@tandem/models';
import {
  basicAuth,
  createTestClient,
  jwtPayload,
  postForm,
  setClientActive,
  startTestAuth,
  type TestAuth,
} from './support.js';

describe(`client_credentials grant (${testDialect()})`, () => {
  let auth: TestAuth;
  let tokenUrl: string;
  let client: { clientId: string; clientSecret: string; id: number };

  before(async () => {
    auth = await startTestAuth();
    client = await createTestClient(auth, 'catalog sync', ['catalog:read', 'catalog:write']);
    tokenUrl = `${auth.url}/oauth/token`;
  });
  after(() => auth.close());

  test('HTTP Basic: a token for the client, all its scopes, no refresh token', async () => {
    const res = await postForm(
      tokenUrl,
      { grant_type: 'client_credentials' },
      basicAuth(client.clientId, client.clientSecret),
    );
    assert.equal(res.status, 200, res.text);
    assert.equal(res.headers.get('cache-control'), 'no-store');
    assert.equal(res.body.refresh_token, undefined);
    assert.equal(res.body.scope, 'catalog:read catalog:write');
    const claims = jwtPayload(String(res.body.access_token));
    assert.equal(claims.sub, `client:${client.clientId}`);
  });

  test('credentials in the body work too, and a narrower scope', async () => {
    const res = await postForm(tokenUrl, {
      grant_type: 'client_credentials',
      client_id: client.clientId,
      client_secret: client.clientSecret,
      scope: 'catalog:read',
    });
    assert.equal(res.status, 200, res.text);
    assert.equal(res.body.scope, 'catalog:read');
  });

  test('a scope the client does not have is invalid_scope', async () => {
    const res = await postForm(
      tokenUrl,
      { grant_type: 'client_credentials', scope: 'orders:read' },
      basicAuth(client.clientId, client.clientSecret),
    );
    assert.equal(res.status, 400);
    assert.equal(res.body.error, 'invalid_scope');
  });

  test('wrong secret, unknown client and missing credentials are 401 invalid_client', async () => {
    const cases = [
      postForm(tokenUrl, { grant_type: 'client_credentials' }, basicAuth(client.clientId, 'wrong')),
      postForm(
        tokenUrl,
        { grant_type: 'client_credentials' },
        basicAuth('tc_unknown-client', client.clientSecret),
      ),
      postForm(tokenUrl, { grant_type: 'client_credentials' }),
      postForm(tokenUrl, { grant_type: 'client_credentials' }, { Authorization: 'Basic !!!' }),
      postForm(
        tokenUrl,
        { grant_type: 'client_credentials' },
        { Authorization: `Basic ${Buffer.from('no-colon').toString('base64')}` },
      ),
    ];
    for (const res of await Promise.all(cases)) {
      assert.equal(res.status, 401, res.text);
      assert.equal(res.body.error, 'invalid_client');
      assert.match(String(res.headers.get('www-authenticate')), /^Basic /);
    }
    const post = await postForm(tokenUrl, {
      grant_type: 'client_credentials',
      client_id: client.clientId,
      client_secret: 'wrong',
    });
    assert.equal(post.status, 401);
  });

  test('concurrent grants of several clients, right and wrong secrets mixed: each answered for its own credentials', async () => {
    // Sent at once, their client lookups share queries (client-lookups.ts): one client's row or
    // secret must never decide another request.
    const other = await createTestClient(auth, 'other sync', ['catalog:read']);
    const attempts = Array.from({ length: 40 }, (_, i) => {
      const who = i % 4 === 0 ? client : i % 4 === 1 ? other : i % 4 === 2 ? client : other;
      const right = i % 4 < 2;
      const secret = right ? who.clientSecret : i % 4 === 2 ? other.clientSecret : client.clientSecret;
      return {
        who,
        right,
        request: postForm(tokenUrl, { grant_type: 'client_credentials' }, basicAuth(who.clientId, secret)),
      };
    });
    attempts.push({
      who: { ...client, clientId: 'no-such-client' },
      right: false,
      request: postForm(
        tokenUrl,
        { grant_type: 'client_credentials' },
        basicAuth('no-such-client', client.clientSecret),
      ),
    });
    for (const { who, right, request } of attempts) {
      const res = await request;
      if (!right) {
        assert.equal(res.status, 401, res.text);
        assert.equal(res.body.error, 'invalid_client');
        continue;
      }
      assert.equal(res.status, 200, res.text);
      assert.equal(jwtPayload(String(res.body.access_token)).sub, `client:${who.clientId}`);
      assert.equal(res.body.scope, who === client ? 'catalog:read catalog:write' : 'catalog:read');
    }
  });

  test('two authentication methods at once are invalid_request', async () => {
    const res = await postForm(
      tokenUrl,
      { grant_type: 'client_credentials', client_secret: client.clientSecret },
      basicAuth(client.clientId, client.clientSecret),
    );
    assert.equal(res.status, 400);
    assert.equal(res.body.error, 'invalid_request');
  });

  test("a client's tokens share a session until it is revoked; then a new session starts", async () => {
    const grant = async () =>
      jwtPayload(
        String(
          (
            await postForm(
              tokenUrl,
              { grant_type: 'client_credentials' },
              basicAuth(client.clientId, client.clientSecret),
            )
          ).body.access_token,
        ),
      );
    const first = await grant();
    const second = await grant();
    assert.equal(first.sid, second.sid);
    assert.notEqual(first.jti, second.jti);
    await auth.db.orm.em
      .fork()
      .nativeUpdate(Session, { id: String(first.sid) }, { revokedAt: new Date(), revokedReason: 'staff' });
    const third = await grant();
    assert.notEqual(third.sid, first.sid);
  });

  test("a new client's first grants, sent at once, share one session", async () => {
    const fresh = await createTestClient(auth, 'parallel starter', ['catalog:read']);
    const answers = await Promise.all(
      Array.from({ length: 12 }, () =>
        postForm(
          tokenUrl,
          { grant_type: 'client_credentials' },
          basicAuth(fresh.clientId, fresh.clientSecret),
        ),
      ),
    );
    assert.ok(
      answers.every((a) => a.status === 200),
      answers.map((a) => a.status).join(),
    );
    const sids = new Set(answers.map((a) => jwtPayload(String(a.body.access_token)).sid));
    assert.equal(sids.size, 1, `one session for all of them, got ${sids.size}`);
    assert.equal(await auth.db.orm.em.fork().count(Session, { client: fresh.id }), 1);
  });

  test('an inactive client gets nothing', async () => {
    await setClientActive(auth, client.clientId, false);
    const res = await postForm(
      tokenUrl,
      { grant_type: 'client_credentials' },
      basicAuth(client.clientId, client.clientSecret),
    );
    assert.equal(res.status, 401);
    assert.equal(res.body.error, 'invalid_client');
    await setClientActive(auth, client.clientId, true);
  });

  test('a client authenticating on the password grant must authenticate correctly', async () => {
    const res = await postForm(
      tokenUrl,
      { grant_type: 'password', username: 'x@example.com', password: 'whatever' },
      basicAuth(client.clientId, 'wrong'),
    );
    assert.equal(res.status, 401);
    assert.equal(res.body.error, 'invalid_client');
  });
});
