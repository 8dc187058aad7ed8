/**
 * RFC 7009 revocation at the auth service ends the session's tokens at the fast service within the
 * README's second: HTTP reads answer 401 and live WebSockets of that session (token in the header or in
 * `?access_token=`) are closed with 4403, while another session of the same user keeps reading and
 * keeps receiving changes. Auth and fast run compiled as child processes on one database; the only
 * path from auth to fast is the change feed.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import WebSocket from 'ws';
import { Product } from '@tandem/models';
import { createMigratedDatabase, eventually, type MigratedTestDatabase } from '@tandem/models/testing';
import { READER_EMAIL, READER_PASSWORD, seedReaderCatalog } from '../support/catalog.js';
import type { ServiceProcess } from '../support/service-process.js';
import {
  REVOCATION_DEADLINE_MS,
  passwordLogin,
  refreshStatus,
  startTokenServices,
  withServiceLogs,
  type UserTokens,
} from '../support/token-services.js';

/** fast's close code for a socket whose session was revoked (RFC 6455 private range). */
const CLOSE_SESSION_REVOKED = 4403;

interface LiveSocket {
  readonly socket: WebSocket;
  readonly frames: { type: string; topic?: string; data?: { name?: string } }[];
  closed: { code: number; reason: string } | undefined;
}

describe('revoking at the auth service ends the tokens at the fast service, HTTP and WebSocket', () => {
  let db: MigratedTestDatabase;
  let processes: ServiceProcess[] = [];
  let auth: ServiceProcess;
  let fast: ServiceProcess;
  let productId = 0;
  const sockets: LiveSocket[] = [];

  before(async () => {
    db = await createMigratedDatabase();
    await seedReaderCatalog(db, 3);
    productId = (await db.orm.em.fork().findOneOrFail(Product, { sku: 'SKU-1' })).id;
    ({ auth, fast, processes } = await startTokenServices(db.url));
  });

  after(async () => {
    for (const live of sockets) live.socket.terminate();
    for (const service of [...processes].reverse()) await service.stop();
    await db?.close();
  });

  const login = () => passwordLogin(auth.url, READER_EMAIL, READER_PASSWORD);
  const read = async (token: string) => {
    const response = await fetch(`${fast.url}/v1/products/${productId}`, {
      headers: { authorization: `Bearer ${token}` },
    });
    const body = (await response.json()) as { error?: string; message?: string };
    return { status: response.status, body };
  };
  const revoke = async (token: string) => {
    const response = await fetch(`${auth.url}/oauth/revoke`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token }),
    });
    assert.equal(response.status, 200, await response.text());
  };
  /** A live socket subscribed to the product, its token in the header or in the query string. */
  const subscribe = async (token: string, via: 'header' | 'query'): Promise<LiveSocket> => {
    const base = `${fast.url.replace(/^http/, 'ws')}/v1/live`;
    const socket =
      via === 'header'
        ? new WebSocket(base, { headers: { authorization: `Bearer ${token}` } })
        : new WebSocket(`${base}?access_token=${encodeURIComponent(token)}`);
    const live: LiveSocket = { socket, frames: [], closed: undefined };
    sockets.push(live);
    socket.on('message', (data) => live.frames.push(JSON.parse(String(data)) as LiveSocket['frames'][0]));
    socket.on('close', (code, reason) => (live.closed = { code, reason: String(reason) }));
    await new Promise((resolve, reject) => {
      socket.once('open', resolve);
      socket.once('error', reject);
    });
    socket.send(JSON.stringify({ type: 'subscribe', topic: `products/${productId}` }));
    await eventually('the subscription is acknowledged', () =>
      live.frames.some((frame) => frame.type === 'subscribed'),
    );
    return live;
  };

  /** Revokes with `revokeWith(tokens)`; the session's reads and sockets end, the bystander's do not. */
  const revocationEndsSession = async (revokeWith: (tokens: UserTokens) => string) => {
    const tokens = await login();
    const bystander = await login(); // the same user's other session
    assert.equal((await read(tokens.access_token)).status, 200);
    assert.equal((await read(bystander.access_token)).status, 200);
    const viaHeader = await subscribe(tokens.access_token, 'header');
    const viaQuery = await subscribe(tokens.access_token, 'query');
    const other = await subscribe(bystander.access_token, 'header');

    await revoke(revokeWith(tokens));
    await eventually(
      'the revoked session is refused over HTTP and its sockets are closed, within the promised second (plus margin)',
      async () =>
        viaHeader.closed !== undefined &&
        viaQuery.closed !== undefined &&
        (await read(tokens.access_token)).status === 401,
      REVOCATION_DEADLINE_MS,
    );
    const refused = await read(tokens.access_token);
    assert.equal(refused.body.error, 'invalid_token');
    assert.match(refused.body.message ?? '', /revoked/);
    assert.equal(viaHeader.closed?.code, CLOSE_SESSION_REVOKED);
    assert.equal(viaQuery.closed?.code, CLOSE_SESSION_REVOKED);
    assert.equal(await refreshStatus(auth.url, tokens.refresh_token), 400);

    // The other session is untouched: it reads, and its socket is open and still gets changes.
    assert.equal((await read(bystander.access_token)).status, 200);
    assert.equal(other.closed, undefined);
    const name = `Renamed after a revocation ${Date.now()}`;
    await db.orm.em.fork().nativeUpdate(Product, { id: productId }, { name });
    await eventually('the bystander socket receives the change', () =>
      other.frames.some((frame) => frame.type === 'change' && frame.data?.name === name),
    );
    other.socket.close();
  };

  it('revoking the access token: 401 over HTTP, its WebSockets closed with 4403, within a second', () =>
    withServiceLogs(processes, () => revocationEndsSession((tokens) => tokens.access_token)));

  it('revoking the refresh token ends the access tokens of its session the same way', () =>
    withServiceLogs(processes, () => revocationEndsSession((tokens) => tokens.refresh_token)));
});
