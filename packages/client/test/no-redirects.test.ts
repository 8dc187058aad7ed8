/**
 * Requests carrying credentials never follow a redirect: fetch re-sends a 307/308's body (password,
 * client secret, refresh token) to whatever origin the Location names. A real "auth service" on one
 * port redirects to a collector on another; the collector must receive nothing.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { ApiError, createTandemClient, type TandemClient } from '../src/index.js';

interface Caught {
  readonly method?: string;
  readonly url?: string;
  readonly body: string;
}

const caught: Caught[] = [];
const collector = http.createServer((req, res) => {
  let body = '';
  req.on('data', (chunk: Buffer) => (body += chunk.toString()));
  req.on('end', () => {
    caught.push({ method: req.method, url: req.url, body });
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end('{"access_token":"from-elsewhere","token_type":"Bearer","expires_in":600}');
  });
});
/** Every request is redirected to the collector: with a 308 under /308/, else with a 307. */
const redirector = http.createServer((req, res) => {
  req.resume();
  req.on('end', () => {
    const status = req.url!.startsWith('/308/') ? 308 : 307;
    res.writeHead(status, { location: `${origin(collector)}/caught${req.url}` }).end();
  });
});
const origin = (server: http.Server) => `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

before(async () => {
  for (const server of [collector, redirector])
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
});
after(() => {
  collector.close();
  redirector.close();
});

const client = (status: 307 | 308): TandemClient =>
  createTandemClient({ authUrl: `${origin(redirector)}/${status}`, fastUrl: origin(redirector) });

function refusedRedirect(status: number, endpoint: string) {
  return (error: unknown): true => {
    assert.ok(error instanceof ApiError, String(error));
    assert.equal(error.code, 'redirect_refused');
    assert.equal(error.status, status);
    assert.match(
      error.message,
      new RegExp(`^The ${endpoint} answered with a redirect \\(${status}\\); it was not followed`),
    );
    return true;
  };
}

for (const status of [307, 308] as const) {
  test(`a ${status} from the token endpoint is an error, and the credentials stay here`, async () => {
    caught.length = 0;
    const tandem = client(status);
    await assert.rejects(
      tandem.tokens.password({ username: 'ann@example.com', password: 'Password-Secret-1111' }),
      refusedRedirect(status, 'token endpoint'),
    );
    await assert.rejects(
      tandem.tokens.clientCredentials({ clientId: 'tc_machine', clientSecret: 'Client-Secret-2222' }),
      refusedRedirect(status, 'token endpoint'),
    );
    tandem.tokens.useRefreshToken('Refresh-Secret-3333', { clientId: 'tc_app' });
    await assert.rejects(tandem.tokens.refresh(), refusedRedirect(status, 'token endpoint'));
    assert.equal(
      tandem.tokens.current?.refreshToken,
      'Refresh-Secret-3333',
      'a redirect does not end the session',
    );
    await assert.rejects(tandem.tokens.revoke(), refusedRedirect(status, 'revocation endpoint'));
    assert.deepEqual(caught, [], 'the other origin received no request');
  });
}
