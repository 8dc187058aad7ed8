/**
 * @tandem/client's tokens against the real auth and fast services (compiled, as child processes on one
 * database): the password and client_credentials grants, refresh-token rotation when many requests need
 * a new token at once (exactly one refresh request, and the session survives it), and the RFC 6749
 * error types a caller catches.
 *
 * Runs on both databases: rotating a refresh token is one SQL statement on PostgreSQL and a locked
 * transaction on SQLite (services/auth/src/store.ts), and a replay or a revocation ends the session in
 * the database, which fast learns through the change feed.
 */
import { createHash, randomBytes } from 'node:crypto';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  InvalidClientError,
  InvalidGrantError,
  InvalidScopeError,
  NotSignedInError,
  OAuthError,
} from '@tandem/client';
import { AuthorizationCode, Client, User } from '@tandem/models';
import { eventually, testDialect } from '@tandem/models/testing';
import { tandem } from '../bench/catalog.js';
import { E2E_SECRET_KEY } from '../support/admin-process.js';
import { useClientServices } from '../support/client-services.js';
import { READER_EMAIL, READER_PASSWORD } from '../support/catalog.js';
import { refreshStatus, withServiceLogs } from '../support/token-services.js';

const services = useClientServices({ products: 12, machineClient: 'client package test' });

const client = (options: { expiryMarginMs?: number } = {}) => services.recordedClient(options);

test(`password grant, then many concurrent reads needing a new token send exactly one refresh (${testDialect()})`, async () => {
  await withServiceLogs(services.processes, async () => {
    // A margin longer than the token's life: every access token counts as expiring, so each read wants
    // a renewal, as when a long-lived app wakes up with a stale token and fires its requests at once.
    const { client: tandemClient, recording } = client({ expiryMarginMs: 24 * 3600 * 1000 });
    const signedIn = await tandemClient.tokens.password({
      username: READER_EMAIL,
      password: READER_PASSWORD,
      scope: 'catalog:read',
    });
    assert.ok(signedIn.refreshToken);
    assert.equal(signedIn.scope, 'catalog:read');

    const ids = Array.from({ length: 12 }, (_, i) => i + 1);
    const products = await Promise.all(ids.map((id) => tandemClient.collections.products.get(id)));
    assert.deepEqual(
      products.map((product) => product.sku),
      ids.map((id) => `SKU-${id}`),
    );
    assert.equal(recording.grants('refresh_token').length, 1, 'one refresh request for all concurrent reads');
    const rotated = tandemClient.tokens.current!;
    assert.ok(
      rotated.refreshToken && rotated.refreshToken !== signedIn.refreshToken,
      'refresh token rotated',
    );
    // Had two refreshes raced, the loser would have revoked the session: the rotated token still works.
    const next = await tandemClient.tokens.refresh();
    assert.ok(next.refreshToken && next.refreshToken !== rotated.refreshToken);
    assert.equal(recording.grants('refresh_token').length, 2);

    // The first refresh token was spent: presenting it again is a replay, and it revokes the session...
    assert.equal(await refreshStatus(services.auth.url, signedIn.refreshToken), 400);
    // ...so the client's next renewal gets invalid_grant as a typed error, and forgets the dead session.
    await assert.rejects(tandemClient.tokens.refresh(), InvalidGrantError);
    assert.equal(tandemClient.tokens.current, undefined);
    await assert.rejects(tandemClient.collections.products.get(1), NotSignedInError);
  });
});

test('refresh() called many times at once sends one refresh_token grant and hands everyone its result', async () => {
  const { client: tandemClient, recording } = client();
  await tandemClient.tokens.password({ username: READER_EMAIL, password: READER_PASSWORD });
  const results = await Promise.all(Array.from({ length: 8 }, () => tandemClient.tokens.refresh()));
  assert.equal(recording.grants('refresh_token').length, 1);
  assert.equal(new Set(results.map((tokens) => tokens.accessToken)).size, 1);
  const page = await tandemClient.collections.categories.list();
  assert.equal(page.items.length, 1);

  // revoke() ends the session at the auth service (RFC 7009), not only in this client.
  const refreshToken = tandemClient.tokens.current!.refreshToken!;
  await tandemClient.tokens.revoke();
  assert.equal(tandemClient.tokens.current, undefined);
  assert.equal(await refreshStatus(services.auth.url, refreshToken), 400);
});

test('a session revoked elsewhere: the read gets a 401, the client tries one renewal and reports invalid_grant', async () => {
  const { client: tandemClient, recording } = client();
  await tandemClient.tokens.password({ username: READER_EMAIL, password: READER_PASSWORD });
  await tandemClient.collections.products.get(1);
  // As an administrator ending the session would (the refresh token revokes its whole session).
  const revoked = await fetch(`${services.auth.url}/oauth/revoke`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ token: tandemClient.tokens.current!.refreshToken! }),
  });
  assert.equal(revoked.status, 200);
  await eventually('fast refuses the revoked session', async () => {
    const error = await tandemClient.collections.products.get(2).then(
      () => undefined,
      (caught: unknown) => caught,
    );
    if (error === undefined) return false;
    assert.ok(error instanceof InvalidGrantError, String(error));
    return true;
  });
  const statuses = recording.exchanges.slice(-2).map((exchange) => exchange.status);
  assert.deepEqual(statuses, [401, 400], 'a 401 from fast, then the one refresh it caused, refused');
  assert.equal(recording.grants('refresh_token').length, 1);
});

test('client_credentials: a machine client reads with its token and gets a new one when it expires', async () => {
  const { client: tandemClient, recording } = client({ expiryMarginMs: 24 * 3600 * 1000 });
  const issued = await tandemClient.tokens.clientCredentials({ ...services.machine, scope: 'catalog:read' });
  assert.equal(
    issued.refreshToken,
    undefined,
    'client_credentials issues no refresh token (RFC 6749 §4.4.3)',
  );
  const [first, second] = await Promise.all([
    tandemClient.collections.products.get(1),
    tandemClient.collections.products.get(2),
  ]);
  assert.equal(first.id, 1);
  assert.equal(second.id, 2);
  // Every token counts as expiring here: the two reads shared one new client_credentials grant.
  assert.equal(recording.grants('client_credentials').length, 2);
  const basic = recording.grants('client_credentials')[0]!.requestHeaders.get('authorization');
  assert.match(basic ?? '', /^Basic /, 'credentials go in HTTP Basic, not the body');
  assert.ok(!recording.grants('client_credentials')[0]!.requestBody.includes(services.machine.clientSecret));
});

test('RFC 6749 errors arrive as typed errors: invalid_client, invalid_grant, invalid_scope', async () => {
  const { client: tandemClient } = client();

  const wrongSecret = await tandemClient.tokens
    .clientCredentials({
      clientId: services.machine.clientId,
      clientSecret: `${services.machine.clientSecret}x`,
    })
    .then(
      () => assert.fail('a wrong secret was accepted'),
      (error: unknown) => error,
    );
  assert.ok(wrongSecret instanceof InvalidClientError, String(wrongSecret));
  assert.ok(wrongSecret instanceof OAuthError);
  assert.equal(wrongSecret.code, 'invalid_client');
  assert.equal(wrongSecret.status, 401);
  assert.match(wrongSecret.description, /Client authentication failed/);

  const wrongPassword = await tandemClient.tokens
    .password({ username: READER_EMAIL, password: 'not the password' })
    .then(
      () => assert.fail('a wrong password was accepted'),
      (error: unknown) => error,
    );
  assert.ok(wrongPassword instanceof InvalidGrantError, String(wrongPassword));
  assert.equal(wrongPassword.status, 400);

  await assert.rejects(
    tandemClient.tokens.password({ username: READER_EMAIL, password: READER_PASSWORD, scope: 'admin:write' }),
    (error: unknown) => error instanceof InvalidScopeError && error.code === 'invalid_scope',
  );

  tandemClient.tokens.useRefreshToken('not-a-refresh-token');
  await assert.rejects(tandemClient.tokens.refresh(), InvalidGrantError);
  await assert.rejects(tandemClient.collections.products.get(1), NotSignedInError);
});

const APP_REDIRECT_URI = 'https://app.example/callback';

/**
 * A refresh token of the authorization code flow, for the reader, issued to a new public app: the code
 * is stored as the authorization page stores it after a sign-in, then exchanged over HTTP with PKCE.
 */
async function codeFlowRefreshToken(): Promise<{ clientId: string; refreshToken: string }> {
  const created = await tandem(
    [
      'createclient',
      'resumed app',
      '--scope',
      'catalog:read',
      '--redirect-uri',
      APP_REDIRECT_URI,
      '--public',
    ],
    { DATABASE_URL: services.db.url, TANDEM_SECRET_KEY: E2E_SECRET_KEY },
  );
  const clientId = /client_id:\s+(\S+)/.exec(created)?.[1];
  assert.ok(clientId, created);
  const code = randomBytes(32).toString('base64url');
  const verifier = randomBytes(32).toString('base64url');
  const em = services.db.orm.em.fork();
  const client = await em.findOneOrFail(Client, { clientId });
  const user = await em.findOneOrFail(User, { email: READER_EMAIL });
  const now = new Date();
  await em.insert(AuthorizationCode, {
    codeHash: createHash('sha256').update(code).digest('hex'),
    client: client.id,
    user: user.id,
    redirectUri: APP_REDIRECT_URI,
    scope: 'catalog:read',
    codeChallenge: createHash('sha256').update(verifier).digest('base64url'),
    nonce: null,
    authTime: now,
    amr: 'pwd',
    acr: null,
    loginSessionId: null,
    createdAt: now,
    expiresAt: new Date(now.getTime() + 60_000),
    usedAt: null,
    sessionId: null,
  });
  const response = await fetch(`${services.auth.url}/oauth/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'authorization_code',
      code,
      code_verifier: verifier,
      redirect_uri: APP_REDIRECT_URI,
      client_id: clientId,
    }),
  });
  const body = (await response.json()) as { refresh_token?: string };
  assert.equal(response.status, 200, JSON.stringify(body));
  assert.ok(body.refresh_token);
  return { clientId, refreshToken: body.refresh_token };
}

test('a resumed code-flow session refreshes as its app (clientId); without it the token is refused', async () => {
  const { clientId, refreshToken } = await codeFlowRefreshToken();
  const { client: app, recording } = client();
  app.tokens.useRefreshToken(refreshToken, { clientId });
  const product = await app.collections.products.get(1);
  assert.equal(product.id, 1);
  const refreshes = recording.grants('refresh_token');
  assert.equal(refreshes.length, 1);
  assert.equal(refreshes[0]!.status, 200);
  assert.equal(new URLSearchParams(refreshes[0]!.requestBody).get('client_id'), clientId);
  // A second token of another app's session, resumed without its app: refused (and so revoked).
  const other = await codeFlowRefreshToken();
  const { client: careless } = client();
  careless.tokens.useRefreshToken(other.refreshToken);
  await assert.rejects(careless.tokens.refresh(), InvalidGrantError);
});
