import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { startTestAuth, type TestAuth } from './support.js';

/**
 * Request targets that are neither a path nor a parseable absolute URL, sent as raw bytes (fetch would
 * normalise them). They match no endpoint, and the request log's `path` used to be the whole target,
 * query string and the token in it included. Whatever the database, the logging is the same.
 */
const TARGETS = [
  { target: '*?refresh_token=RAWTARGET-SECRET-TOKEN-1', path: '*' },
  { target: 'http://[oauth/logout?id_token_hint=RAWTARGET-SECRET-TOKEN-2', path: 'http://[oauth/logout' },
];

let auth: TestAuth;
before(async () => {
  auth = await startTestAuth();
});
after(() => auth.close());

/** One request over TCP, exactly as written; resolves with the status line. */
function sendRaw(url: string, target: string): Promise<string> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = net.connect(Number(port), hostname, () =>
      socket.write(`GET ${target} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`),
    );
    let answer = '';
    socket.on('data', (chunk: Buffer) => (answer += chunk.toString()));
    socket.on('end', () => resolve(answer.split('\r\n')[0]!));
    socket.on('error', reject);
  });
}

test('an unparsable request target is logged without its query string', async () => {
  for (const { target } of TARGETS) assert.match(await sendRaw(auth.url, target), /^HTTP\/1\.1 404 /, target);
  // The log line is written when the answer finishes, which may come after the client saw it.
  for (
    let i = 0;
    i < 50 && auth.logs.filter((line) => line.includes('request refused')).length < TARGETS.length;
    i++
  )
    await new Promise((resolve) => setTimeout(resolve, 20));
  const refused = auth.logs
    .map((line) => JSON.parse(line) as { msg: string; path?: string; status?: number })
    .filter((line) => line.msg === 'request refused');
  assert.deepEqual(
    refused.map(({ path, status }) => ({ path, status })),
    TARGETS.map(({ path }) => ({ path, status: 404 })),
    'still logged: the path, without the query',
  );
  const all = auth.logs.join('');
  assert.doesNotMatch(all, /RAWTARGET-SECRET-TOKEN/);
});
