/**
 * redirect_uri at the token endpoint (RFC 6749 §4.1.3), read as an attacker would: required when the
 * authorization request had one and then identical, byte for byte; a code whose request left it out
 * (a client with one registered URI) may be exchanged without it. A refused exchange spends the code
 * and starts no session. Real auth service and database (SQLite, or PostgreSQL with DATABASE_URL).
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { AuthorizationCode, Session } from '@tandem/models';
import { hashCode } from '../src/authorize/grant.js';
import { createRole, createUser, postRaw, startTestAuth, type TestAuth } from './support.js';
import {
  FormBrowser,
  REDIRECT_URI,
  createCodeClient,
  exchange,
  pkcePair,
  signInAndAllow,
  type CodeClient,
} from './code-flow-support.js';

const EMAIL = 'exchanger@example.com';
const PASSWORD = 'correct horse battery staple';

describe('redirect_uri at the authorization code exchange', () => {
  let auth: TestAuth;
  let client: CodeClient;
  let browser: FormBrowser;

  before(async () => {
    auth = await startTestAuth();
    await createRole(auth, 'reader', ['catalog:read']);
    await createUser(auth, EMAIL, PASSWORD, ['reader']);
    client = await createCodeClient(auth, { isPublic: true, isFirstParty: true });
    browser = new FormBrowser(auth.url);
  });
  after(() => auth.close());

  /** A fresh code; `withRedirectUri: false` leaves redirect_uri out of the authorization request. */
  const codeFor = async (withRedirectUri = true) => {
    const { verifier, challenge } = pkcePair();
    const back = await signInAndAllow(
      browser,
      {
        response_type: 'code',
        client_id: client.clientId,
        ...(withRedirectUri ? { redirect_uri: REDIRECT_URI } : {}),
        scope: 'openid catalog:read',
        code_challenge: challenge,
        code_challenge_method: 'S256',
      },
      EMAIL,
      PASSWORD,
    );
    return { code: back.searchParams.get('code')!, verifier };
  };
  const sessions = () => auth.db.orm.em.fork().count(Session, { user: { email: EMAIL } });
  const spent = async (code: string) =>
    (await auth.db.orm.em.fork().findOneOrFail(AuthorizationCode, { codeHash: hashCode(code) })).usedAt !==
    null;
  /** The exchange's form fields without redirect_uri (the helper always adds it). */
  const withoutRedirectUri = (code: string, verifier: string) =>
    new URLSearchParams({
      grant_type: 'authorization_code',
      code,
      code_verifier: verifier,
      client_id: client.clientId,
    }).toString();

  it('refuses an exchange without redirect_uri when the request had one, spends the code, starts nothing', async () => {
    const { code, verifier } = await codeFor();
    const before = await sessions();
    const answer = await postRaw(
      `${auth.url}/oauth/token`,
      withoutRedirectUri(code, verifier),
      'application/x-www-form-urlencoded',
    );
    assert.equal(answer.status, 400, answer.text);
    assert.equal(answer.body.error, 'invalid_grant');
    assert.match(String(answer.body.error_description), /redirect_uri is required/);
    assert.equal(answer.body.access_token, undefined);
    assert.ok(await spent(code), 'the code is spent');
    // The real client, too late: the code is gone, and no session was ever started for it.
    const late = await exchange(auth, client, code, verifier);
    assert.equal(late.body.error, 'invalid_grant');
    assert.equal(await sessions(), before);
  });

  it('an empty redirect_uri counts as missing', async () => {
    const { code, verifier } = await codeFor();
    const answer = await exchange(auth, client, code, verifier, { redirect_uri: '' });
    assert.equal(answer.body.error, 'invalid_grant');
    assert.match(String(answer.body.error_description), /required/);
  });

  it('refuses every near miss of the registered URI (no normalisation), each spending its code', async () => {
    const nearMisses = [
      'https://app.example/callback/',
      'https://APP.example/callback',
      'https://app.example/Callback',
      'https://app.example:443/callback',
      'http://app.example/callback',
      'https://app.example/callback?x=1',
      'https://app.example/callback#',
      'https://app.example/callback%2F',
      ' https://app.example/callback',
      'https://evil.example/callback',
    ];
    for (const uri of nearMisses) {
      const { code, verifier } = await codeFor();
      const answer = await exchange(auth, client, code, verifier, { redirect_uri: uri });
      assert.equal(answer.status, 400, uri);
      assert.equal(answer.body.error, 'invalid_grant', uri);
      assert.match(String(answer.body.error_description), /differs/, uri);
      assert.ok(await spent(code), `${uri}: the code is spent`);
    }
  });

  it('redirect_uri as a list or an object (JSON or a repeated form field) is invalid_request and spends nothing', async () => {
    const { code, verifier } = await codeFor();
    const base = {
      grant_type: 'authorization_code',
      code,
      code_verifier: verifier,
      client_id: client.clientId,
    };
    for (const value of [[REDIRECT_URI], { uri: REDIRECT_URI }, 1]) {
      const answer = await postRaw(
        `${auth.url}/oauth/token`,
        JSON.stringify({ ...base, redirect_uri: value }),
        'application/json',
      );
      assert.equal(answer.status, 400);
      assert.equal(answer.body.error, 'invalid_request', JSON.stringify(value));
    }
    const repeated = await postRaw(
      `${auth.url}/oauth/token`,
      `${new URLSearchParams(base).toString()}&redirect_uri=${encodeURIComponent(REDIRECT_URI)}&redirect_uri=x`,
      'application/x-www-form-urlencoded',
    );
    assert.equal(repeated.body.error, 'invalid_request');
    assert.ok(!(await spent(code)), 'refused before the code was read');
    assert.equal((await exchange(auth, client, code, verifier)).status, 200);
  });

  it('a request without redirect_uri (one registered URI): the exchange may leave it out, or send exactly that URI', async () => {
    const bare = await codeFor(false);
    const answer = await postRaw(
      `${auth.url}/oauth/token`,
      withoutRedirectUri(bare.code, bare.verifier),
      'application/x-www-form-urlencoded',
    );
    assert.equal(answer.status, 200, answer.text);

    const explicit = await codeFor(false);
    assert.equal((await exchange(auth, client, explicit.code, explicit.verifier)).status, 200);

    const other = await codeFor(false);
    const wrong = await exchange(auth, client, other.code, other.verifier, {
      redirect_uri: 'https://app.example/other',
    });
    assert.equal(wrong.body.error, 'invalid_grant');
    assert.match(String(wrong.body.error_description), /differs/);
  });

  it('parallel exchanges with and without redirect_uri: at most one wins, and only one that sent it', async () => {
    const { code, verifier } = await codeFor();
    const before = await sessions();
    const answers = await Promise.all(
      Array.from({ length: 8 }, async (_, index) =>
        index % 2 === 0
          ? { sent: true, answer: await exchange(auth, client, code, verifier) }
          : {
              sent: false,
              answer: await postRaw(
                `${auth.url}/oauth/token`,
                withoutRedirectUri(code, verifier),
                'application/x-www-form-urlencoded',
              ),
            },
      ),
    );
    const winners = answers.filter(({ answer }) => answer.status === 200);
    assert.ok(winners.length <= 1, `${winners.length} winners`);
    assert.ok(
      winners.every(({ sent }) => sent),
      'an exchange without redirect_uri never gets tokens',
    );
    for (const { sent, answer } of answers) if (!sent) assert.equal(answer.body.error, 'invalid_grant');
    // A session only for a winner (a loser presenting the code after it may revoke it, not add one).
    assert.equal(await sessions(), before + winners.length);
  });
});
