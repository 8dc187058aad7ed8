import { connect } from 'node:net';
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { testDialect } from '@tandem/models/testing';
import { getJson, postForm, postRaw, startTestAuth, type TestAuth } from './support.js';

describe(`malformed and oversized requests get a clear 400, never a crash (${testDialect()})`, () => {
  let auth: TestAuth;
  let tokenUrl: string;

  before(async () => {
    auth = await startTestAuth();
    tokenUrl = `${auth.url}/oauth/token`;
  });
  after(() => auth.close());

  const assertInvalidRequest = (
    res: { status: number; body: Record<string, unknown>; text: string },
    pattern?: RegExp,
  ) => {
    assert.equal(res.status, 400, res.text);
    assert.equal(res.body.error, 'invalid_request');
    assert.equal(typeof res.body.error_description, 'string');
    if (pattern) assert.match(String(res.body.error_description), pattern);
    assert.ok(!/at .*\.js:\d+/.test(res.text), 'no stack trace');
  };

  test('malformed JSON', async () => {
    assertInvalidRequest(
      await postRaw(tokenUrl, '{"grant_type": "password",', 'application/json'),
      /malformed/,
    );
  });

  test('an oversized body', async () => {
    const big = `grant_type=password&username=a&password=${'x'.repeat(64 * 1024)}`;
    assertInvalidRequest(await postRaw(tokenUrl, big, 'application/x-www-form-urlencoded'), /too large/);
    assertInvalidRequest(
      await postRaw(
        `${auth.url}/oauth/revoke`,
        JSON.stringify({ token: 'x'.repeat(64 * 1024) }),
        'application/json',
      ),
      /too large/,
    );
  });

  test('an unsupported content type, a JSON array, non-string values, repeated parameters', async () => {
    assertInvalidRequest(
      await postRaw(tokenUrl, 'grant_type=password', 'text/plain'),
      /x-www-form-urlencoded/,
    );
    assertInvalidRequest(await postRaw(tokenUrl, '[1,2]', 'application/json'));
    assertInvalidRequest(
      await postRaw(
        tokenUrl,
        JSON.stringify({ grant_type: 'password', username: { $ne: 1 }, password: 'x' }),
        'application/json',
      ),
      /string/,
    );
    assertInvalidRequest(
      await postRaw(
        tokenUrl,
        'grant_type=password&grant_type=client_credentials',
        'application/x-www-form-urlencoded',
      ),
      /repeated/,
    );
    assertInvalidRequest(await postRaw(tokenUrl, '', 'application/x-www-form-urlencoded'), /grant_type/);
  });

  test('U+0000 in a parameter (form or JSON) is refused before any statement; a password may hold it', async () => {
    const form = 'application/x-www-form-urlencoded';
    for (const body of [
      'grant_type=password&username=a%00b%40example.com&password=x',
      'grant_type=authorization_code&code=c&code_verifier=v&redirect_uri=https%3A%2F%2Fa%00',
      'grant_type=client_credentials&client_id=a%00',
    ])
      assertInvalidRequest(await postRaw(tokenUrl, body, form), /U\+0000/);
    assertInvalidRequest(
      await postRaw(tokenUrl, JSON.stringify({ grant_type: 'password\u0000' }), 'application/json'),
      /"grant_type" must not contain U\+0000/,
    );
    assertInvalidRequest(await postRaw(`${auth.url}/oauth/revoke`, 'token=a%00', form), /U\+0000/);
    // A password is only hashed: a wrong one is a wrong password, not a malformed request.
    const wrong = await postRaw(
      tokenUrl,
      'grant_type=password&username=a%40example.com&password=x%00y',
      form,
    );
    assert.equal(wrong.status, 400, wrong.text);
    assert.equal(wrong.body.error, 'invalid_grant');
  });

  test('too many parameters and a bad charset', async () => {
    const many = Array.from({ length: 100 }, (_, i) => `p${i}=1`).join('&');
    assertInvalidRequest(await postRaw(tokenUrl, many, 'application/x-www-form-urlencoded'));
    assertInvalidRequest(
      await postRaw(tokenUrl, 'grant_type=password', 'application/x-www-form-urlencoded; charset=klingon'),
    );
  });

  test('wrong method and unknown path are JSON too', async () => {
    const get = await getJson(tokenUrl);
    assert.equal(get.status, 405);
    assert.equal(get.headers.get('allow'), 'POST');
    const missing = await getJson(`${auth.url}/nope`);
    assert.equal(missing.status, 404);
    assert.equal(missing.body.error, 'not_found');
  });

  test('the OAuth endpoints answer at every path spelling Express matched (case, trailing slash, query)', async () => {
    for (const path of ['/OAuth/Token', '/oauth/token/', '/oauth/token?x=1']) {
      const res = await postForm(`${auth.url}${path}`, { grant_type: 'client_credentials' });
      assert.equal(res.status, 401, path);
      assert.equal(res.body.error, 'invalid_client', path);
    }
    const revoke = await postForm(`${auth.url}/OAUTH/REVOKE/`, {});
    assert.equal(revoke.body.error, 'invalid_request');
    assert.match(String(revoke.body.error_description), /token/);
    assert.equal((await postForm(`${auth.url}/oauth/tokens`, {})).status, 404);
  });

  test('the GET endpoints: same path spellings, HEAD, 405 with Allow for other methods', async () => {
    for (const path of ['/.WELL-KNOWN/JWKS.JSON/?x=1', '/.well-known/openid-configuration/', '/HealthZ']) {
      const res = await fetch(`${auth.url}${path}`);
      assert.equal(res.status, 200, path);
      assert.match(String(res.headers.get('content-type')), /json/, path);
    }
    const jwks = await fetch(`${auth.url}/.well-known/jwks.json`, { method: 'HEAD' });
    assert.equal(jwks.status, 200);
    assert.equal(jwks.headers.get('cache-control'), 'public, max-age=300');
    assert.ok(Number(jwks.headers.get('content-length')) > 0);
    assert.equal(await jwks.text(), '');
    for (const method of ['POST', 'PUT', 'DELETE']) {
      const res = await fetch(`${auth.url}/healthz`, { method });
      assert.equal(res.status, 405, method);
      assert.equal(res.headers.get('allow'), 'GET, HEAD');
      assert.equal(((await res.json()) as { error: string }).error, 'method_not_allowed');
    }
    for (const path of ['/healthz//', '/metrics.txt', '/']) {
      const missing = await getJson(`${auth.url}${path}`);
      assert.equal(missing.status, 404, path);
      assert.deepEqual(missing.body, { error: 'not_found', error_description: 'No such endpoint.' });
    }
    // An absolute-form request target (RFC 9112 §3.2.2) counts by its path. (Written, not ended: a
    // client that half-closes first gets no answer from node:http.)
    const { port } = new URL(auth.url);
    const raw = await new Promise<string>((resolve, reject) => {
      const socket = connect(Number(port), '127.0.0.1', () =>
        socket.write(
          `GET http://127.0.0.1:${port}/HEALTHZ/?x HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`,
        ),
      );
      let answer = '';
      socket.on('data', (chunk: Buffer) => (answer += chunk.toString()));
      socket.on('end', () => resolve(answer)).on('error', reject);
    });
    assert.match(raw, /^HTTP\/1\.1 200 /);
  });

  test('an unexpected failure is a 500 server_error in JSON, logged, with no details', async () => {
    const broken = await startTestAuth();
    try {
      await broken.db.orm.close(true);
      const res = await postForm(`${broken.url}/oauth/token`, {
        grant_type: 'client_credentials',
        client_id: 'any',
        client_secret: 'any',
      });
      assert.equal(res.status, 500, res.text);
      assert.equal(res.body.error, 'server_error');
      assert.equal(res.headers.get('cache-control'), 'no-store');
      assert.ok(!/at .*\.js:\d+/.test(res.text), 'no stack trace');
      assert.ok(broken.logs.some((line) => line.includes('unexpected error')));
      assert.equal((await getJson(`${broken.url}/.well-known/jwks.json`)).status, 200, 'still serving');
    } finally {
      await broken.server.close();
      await broken.db.close().catch(() => undefined);
    }
  });

  test('a broken Basic header and a huge username do not crash anything', async () => {
    const res = await postForm(
      tokenUrl,
      { grant_type: 'client_credentials' },
      { Authorization: `Basic ${Buffer.from('%E0%A4%A:x').toString('base64')}` },
    );
    assert.equal(res.status, 401);
    const huge = await postForm(tokenUrl, {
      grant_type: 'password',
      username: 'u'.repeat(10_000),
      password: 'p'.repeat(2_000),
    });
    assert.equal(huge.body.error, 'invalid_grant');
    assert.equal((await getJson(`${auth.url}/healthz`)).status, 200, 'still serving');
  });
});
