/**
 * Bodies an attacker (or a confused client) sends to the OAuth endpoints: a Content-Encoding the body
 * does not have, and prototype-looking form keys. Each gets a 400 invalid_request or a normal answer,
 * never a 500 nor an error in the log.
 */
import { gzipSync } from 'node:zlib';
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { testDialect } from '@tandem/models/testing';
import { postRaw, startTestAuth, type JsonResponse, type TestAuth } from './support.js';

const FORM = 'application/x-www-form-urlencoded';
const ENDPOINTS = ['/oauth/token', '/oauth/revoke'];

describe(`hostile request bodies on the OAuth endpoints (${testDialect()})`, () => {
  let auth: TestAuth;

  before(async () => {
    auth = await startTestAuth();
  });
  after(() => auth.close());

  /** Error-level lines (pino level >= 50) the service wrote since `from`. */
  const errorLogs = (from: number) =>
    auth.logs.slice(from).filter((line) => (JSON.parse(line) as { level: number }).level >= 50);

  const assertInvalidRequest = (res: JsonResponse, pattern: RegExp) => {
    assert.equal(res.status, 400, res.text);
    assert.equal(res.body.error, 'invalid_request');
    assert.match(String(res.body.error_description), pattern);
    assert.equal(res.headers.get('cache-control'), 'no-store');
  };

  for (const path of ENDPOINTS) {
    test(`${path}: a plain body labelled gzip, deflate or br is a 400, not a logged 500`, async () => {
      const from = auth.logs.length;
      for (const [encoding, body, type] of [
        ['gzip', 'grant_type=password&username=a@example.com&password=x&token=t', FORM],
        ['gzip', '{"grant_type":"client_credentials","token":"t"}', 'application/json'],
        ['deflate', 'grant_type=client_credentials&token=t', FORM],
        ['br', 'grant_type=client_credentials&token=t', FORM],
      ] as const) {
        const res = await postRaw(`${auth.url}${path}`, body, type, { 'Content-Encoding': encoding });
        assertInvalidRequest(res, /Content-Encoding/);
      }
      assert.deepEqual(errorLogs(from), []);
    });

    test(`${path}: truncated gzip is a 400 as well; real gzip still works`, async () => {
      const from = auth.logs.length;
      const gzipped = gzipSync('grant_type=client_credentials');
      const cut = await fetch(`${auth.url}${path}`, {
        method: 'POST',
        headers: { 'Content-Type': FORM, 'Content-Encoding': 'gzip' },
        body: gzipped.subarray(0, gzipped.length - 6),
      });
      assert.equal(cut.status, 400);
      assert.equal(((await cut.json()) as { error: string }).error, 'invalid_request');
      const whole = await fetch(`${auth.url}${path}`, {
        method: 'POST',
        headers: { 'Content-Type': FORM, 'Content-Encoding': 'gzip' },
        body: gzipped,
      });
      // The body was read: the answer is about its parameters, not about the encoding.
      assert.notEqual(whole.status, 500);
      assert.doesNotMatch(await whole.text(), /Content-Encoding/);
      assert.deepEqual(errorLogs(from), []);
    });

    test(`${path}: __proto__ form keys are plain (unknown) parameters: no crash, no pollution`, async () => {
      const from = auth.logs.length;
      for (const body of [
        '__proto__.x=1&grant_type=password&username=a@example.com&password=x&token=t',
        '__proto__[x]=1&grant_type=client_credentials&token=t',
        '__proto__=1&constructor.prototype.x=1&grant_type=client_credentials&token=t',
      ]) {
        const res = await postRaw(`${auth.url}${path}`, body, FORM);
        assert.ok(res.status < 500, `${body}: ${res.status} ${res.text}`);
        assert.ok(res.status === 200 || typeof res.body.error_description === 'string', res.text);
      }
      assert.equal(({} as Record<string, unknown>).x, undefined, 'Object.prototype untouched');
      assert.deepEqual(errorLogs(from), []);
    });
  }
});
