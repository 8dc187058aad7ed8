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
