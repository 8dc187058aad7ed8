/**
 * How the OAuth endpoints read their bodies, over real HTTP: form bodies by the WHATWG urlencoded
 * parser plus RFC 6749 §3.1 (a parameter without a value is omitted, none may repeat), JSON bodies as
 * one object without repeated keys, UTF-8 only, 16 KiB after decompression, Content-Length or chunked.
 * An unsupported grant_type is echoed in the error, which shows how a value was decoded.
 */
import { gzipSync } from 'node:zlib';
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { testDialect } from '@tandem/models/testing';
import { createTestClient, startTestAuth, type TestAuth } from './support.js';

const FORM = 'application/x-www-form-urlencoded';

interface Answer {
  readonly status: number;
  readonly error: unknown;
  readonly description: string;
  readonly accessToken: unknown;
}

describe(`request bodies of the OAuth endpoints (${testDialect()})`, () => {
  let auth: TestAuth;
  let credentials: string;

  before(async () => {
    auth = await startTestAuth();
    const client = await createTestClient(auth, 'body-reader', ['catalog:read']);
    credentials = `client_id=${client.clientId}&client_secret=${client.clientSecret}`;
  });
  after(() => auth.close());

  const post = async (
    body: string | Uint8Array | ReadableStream<Uint8Array>,
    contentType = FORM,
    headers: Record<string, string> = {},
    path = '/oauth/token',
  ): Promise<Answer> => {
    const response = await fetch(`${auth.url}${path}`, {
      method: 'POST',
      headers: { 'Content-Type': contentType, ...headers },
      body,
      duplex: 'half',
    } as RequestInit);
    const text = await response.text();
    const json = (text === '' ? {} : JSON.parse(text)) as Record<string, unknown>;
    return {
      status: response.status,
      error: json.error,
      description: String(json.error_description ?? ''),
      accessToken: json.access_token,
    };
  };
  /** The grant_type the server read, from its unsupported_grant_type answer. */
  const decodedGrantType = async (encoded: string): Promise<string> => {
    const answer = await post(`grant_type=${encoded}`);
    assert.equal(answer.error, 'unsupported_grant_type', answer.description);
    return /^grant_type "(.*)" is not supported\.$/s.exec(answer.description)![1]!;
  };
  const assertRefused = (answer: Answer, pattern: RegExp) => {
    assert.equal(answer.status, 400, answer.description);
    assert.equal(answer.error, 'invalid_request');
    assert.match(answer.description, pattern);
  };
  const assertToken = (answer: Answer) => {
    assert.equal(answer.status, 200, answer.description);
    assert.equal(typeof answer.accessToken, 'string');
  };

  test('values decode as the WHATWG urlencoded parser decodes them', async () => {
    assert.equal(await decodedGrantType('a+b%2Bc%20d'), 'a b+c d');
    // A malformed escape stays as it is, alone (qs used to leave the whole value undecoded).
    assert.equal(await decodedGrantType('a%20%zz%2'), 'a %zz%2');
    assert.equal(await decodedGrantType('x;y'), 'x;y', '";" is not a separator');
    assert.equal(await decodedGrantType('%C3%A9t%C3%A9'), 'été');
    // A real U+FFFD, sent percent-encoded or as it is, is a character like any other.
    assert.equal(await decodedGrantType('%EF%BF%BD'), '\uFFFD');
    assert.equal(await decodedGrantType('\uFFFD'), '\uFFFD');
  });

  test('escapes that are not UTF-8 are refused, not read as U+FFFD', async () => {
    for (const escaped of ['%FF', '%C3', 'caf%E9', '%ED%A0%80']) {
      assertRefused(await post(`grant_type=${escaped}&${credentials}`), /not percent-encoded UTF-8/);
    }
    // Two different secrets must never read as the same text: %FF is not the client's secret.
    assertRefused(await post(`grant_type=client_credentials&${credentials}%FF`), /UTF-8/);
  });

  test('raw bytes that are not UTF-8, and charsets other than UTF-8, are refused', async () => {
    const latin1 = Buffer.concat([Buffer.from('grant_type=caf'), Buffer.from([0xe9])]);
    assertRefused(await post(latin1), /not valid UTF-8/);
    for (const charset of ['iso-8859-1', 'utf-16', 'klingon']) {
      assertRefused(await post(`grant_type=x`, `${FORM}; charset=${charset}`), /charset/);
    }
  });

  test('media types match in any case, with UTF-8 named in any spelling', async () => {
    const body = `grant_type=client_credentials&${credentials}`;
    for (const type of [
      'Application/X-WWW-Form-URLEncoded',
      `${FORM};charset=UTF-8`,
      `${FORM}; charset="utf-8"; extra=1`,
    ]) {
      assertToken(await post(body, type));
    }
  });

  test('a parameter sent without a value counts as omitted (RFC 6749 §3.1)', async () => {
    assertToken(await post(`grant_type=&scope=&grant_type=client_credentials&${credentials}&scope`));
    assertRefused(await post(`grant_type=&${credentials}`), /"grant_type" is required/);
  });

  test('a repeated parameter is refused, whatever its spelling', async () => {
    for (const body of [
      `grant_type=client_credentials&grant_type=client_credentials&${credentials}`,
      `grant_type=client_credentials&grant%5Ftype=password&${credentials}`,
      `grant_type=client_credentials&${credentials}&scope=a&scope=b`,
      `grant_type=client_credentials&${credentials}&unknown=1&unknown=2`,
    ]) {
      assertRefused(await post(body), /must not be repeated/);
    }
    // The revocation endpoint reads its body the same way.
    assertRefused(await post('token=a&token=b', FORM, {}, '/oauth/revoke'), /"token" must not be repeated/);
  });

  test('names are plain text: brackets, a leading "?", prototype names', async () => {
    // "grant_type[]" is an unknown name, so grant_type is missing (never an array).
    assertRefused(await post(`grant_type[]=client_credentials&${credentials}`), /"grant_type" is required/);
    // A body has no query prefix: "?grant_type" is not "grant_type".
    assertRefused(await post(`?grant_type=client_credentials&${credentials}`), /"grant_type" is required/);
    assertToken(await post(`__proto__=x&constructor=y&grant_type=client_credentials&${credentials}`));
    assert.equal(({} as Record<string, unknown>).x, undefined);
    // A byte order mark is not part of the first name.
    assertToken(await post(`\uFEFFgrant_type=client_credentials&${credentials}`));
  });

  test('at most 32 parameters', async () => {
    const padding = (count: number) => Array.from({ length: count }, (_, i) => `p${i}=1`).join('&');
    const body = (extra: number) => `grant_type=client_credentials&${credentials}&${padding(extra)}`;
    assertToken(await post(body(29)));
    assertRefused(await post(body(30)), /too many parameters \(limit 32\)/);
  });

  test('16 KiB, with Content-Length, chunked or decompressed', async () => {
    const sized = (bytes: number) => {
      const head = `grant_type=client_credentials&${credentials}&pad=`;
      return head + 'x'.repeat(bytes - head.length);
    };
    assertToken(await post(sized(16 * 1024)));
    assertRefused(await post(sized(16 * 1024 + 1)), /too large \(limit 16 KiB\)/);
    const chunked = (text: string) =>
      new ReadableStream<Uint8Array>({
        start(controller) {
          const bytes = Buffer.from(text);
          for (let at = 0; at < bytes.length; at += 4096) controller.enqueue(bytes.subarray(at, at + 4096));
          controller.close();
        },
      });
    assertToken(await post(chunked(sized(16 * 1024))));
    assertRefused(await post(chunked(sized(64 * 1024))), /too large/);
    // A compressed body counts by what it decompresses to: 1 MiB of padding in ~1 KiB of gzip.
    const bomb = gzipSync(`grant_type=client_credentials&pad=${'x'.repeat(1 << 20)}`);
    assert.ok(bomb.length < 16 * 1024);
    assertRefused(await post(bomb, FORM, { 'Content-Encoding': 'gzip' }), /too large/);
    assertToken(await post(gzipSync(sized(16 * 1024)), FORM, { 'Content-Encoding': 'GZIP' }));
    assertRefused(await post('grant_type=x', FORM, { 'Content-Encoding': 'compress' }), /Content-Encoding/);
  });

  test('JSON: one object, no repeated keys, strings only', async () => {
    const [clientId, clientSecret] = credentials.split('&').map((pair) => pair.split('=')[1]!);
    const json = (text: string) => post(text, 'application/json');
    assertToken(
      await json(
        JSON.stringify({
          grant_type: 'client_credentials',
          client_id: clientId,
          client_secret: clientSecret,
        }),
      ),
    );
    // JSON.parse would keep the last of two equal keys without a word.
    const repeated = `{"grant_type":"password","client_id":"${clientId}","client_secret":"${clientSecret}","grant_type":"client_credentials"}`;
    assertRefused(await json(repeated), /"grant_type" must not be repeated/);
    assertRefused(await json(`{"grant_type":"client_credentials","grant\\u005ftype":"x"}`), /repeated/);
    // A list is not a repeat: the message says what is wrong with it.
    assertRefused(
      await json('{"grant_type":["client_credentials"]}'),
      /"grant_type" must be a string, not a list/,
    );
    // Keys of nested values and look-alikes inside strings are not top-level keys.
    const nested = await json(`{"grant_type":"x","a":{"grant_type":"y"},"b":"\\"grant_type\\":"}`);
    assert.equal(nested.error, 'invalid_request');
    assert.match(nested.description, /"a" must be a string/);
    for (const body of ['[1,2]', '"grant_type"', 'null', '{"grant_type":']) {
      assertRefused(await json(body), /JSON/);
    }
  });
});
