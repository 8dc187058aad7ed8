/**
 * Login throttling under attack, as an attacker would send it: hundreds of parallel password guesses,
 * a stranger locking a victim out, guesses spread over many addresses, spoofed X-Forwarded-For, and
 * email spellings that used to land in another bucket. Memory store always; the Redis store (two auth
 * instances sharing one Redis) when REDIS_URL is set.
 */
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createLogger } from '@tandem/log';
import { testDialect } from '@tandem/models/testing';
import { startAuth } from '../src/server.js';
import {
  createRole,
  createUser,
  postForm,
  startTestAuth,
  type JsonResponse,
  type TestAuth,
} from './support.js';

const ATTEMPTS = 5;
const RIGHT_PASSWORD = 'the real password';
const REDIS_URL = process.env.REDIS_URL;
const THROTTLED = 'Too many failed login attempts. Try again later.';
const BAD_CREDENTIALS = 'Invalid username or password.';
/**
 * Where the right password goes among 300 parallel guesses: last. Requests are reserved roughly in
 * the order they were sent, not exactly (a guess sent near the end once got among the first dozen of
 * 40), so it is not put where it could be among the few checked; a success gives its points back.
 */
const LAST = 299;
const NONE = -1;

interface Tally {
  /** Answers after the password was checked: tokens and "invalid username or password". */
  readonly checked: number;
  readonly tokens: number;
  readonly throttled: number;
  readonly other: string[];
}

function tally(answers: readonly JsonResponse[]): Tally {
  let tokens = 0;
  let wrong = 0;
  let throttled = 0;
  const other: string[] = [];
  for (const answer of answers) {
    if (answer.status === 200) tokens += 1;
    else if (answer.body.error_description === BAD_CREDENTIALS) wrong += 1;
    else if (answer.body.error_description === THROTTLED) throttled += 1;
    else other.push(`${answer.status} ${answer.text}`);
  }
  return { checked: tokens + wrong, tokens, throttled, other };
}

/** `count` password grants sent all at once, round-robin over `urls`; the right password at `rightAt`. */
function guessInParallel(
  urls: readonly string[],
  username: string,
  count: number,
  rightAt: number,
  headers: (index: number) => Record<string, string> = () => ({}),
): Promise<JsonResponse[]> {
  return Promise.all(
    Array.from({ length: count }, (_, index) =>
      postForm(
        `${urls[index % urls.length]}/oauth/token`,
        {
          grant_type: 'password',
          username,
          password: index === rightAt ? RIGHT_PASSWORD : `wrong guess ${index}`,
        },
        headers(index),
      ),
    ),
  );
}

function login(auth: TestAuth, username: string, password: string, from?: string): Promise<JsonResponse> {
  return postForm(
    `${auth.url}/oauth/token`,
    { grant_type: 'password', username, password },
    from ? { 'X-Forwarded-For': from } : {},
  );
}

describe(`password grant throttling under attack, memory store (${testDialect()})`, () => {
  let auth: TestAuth;

  before(async () => {
    // The test client connects from 127.0.0.1: a trusted proxy, so X-Forwarded-For picks the address.
    auth = await startTestAuth({
      LOGIN_THROTTLE_ATTEMPTS: String(ATTEMPTS),
      LOGIN_THROTTLE_ACCOUNT_ATTEMPTS: '12',
      TRUSTED_PROXIES: '127.0.0.1',
    });
    await createRole(auth, 'readers', ['catalog:read']);
    for (const name of ['target', 'victim', 'spread', 'spaces', 'fullwidth', 'nfkc'])
      await createUser(auth, `${name}@example.com`, RIGHT_PASSWORD, ['readers']);
  });
  after(() => auth.close());

  test('300 parallel guesses from one address: only the allowed few are checked', async () => {
    const answers = await guessInParallel([auth.url], 'target@example.com', 300, LAST, () => ({
      'X-Forwarded-For': '203.0.113.50',
    }));
    const counts = tally(answers);
    assert.deepEqual(counts.other, []);
    assert.equal(counts.checked, ATTEMPTS, `passwords checked: ${counts.checked}`);
    assert.equal(counts.throttled, 300 - ATTEMPTS);
    assert.equal(counts.tokens, 0);
    assert.equal(
      answers[LAST]!.body.error_description,
      THROTTLED,
      'the right password (sent last) is refused',
    );
    assert.ok(Number(answers[LAST]!.headers.get('retry-after')) >= 1);
  });

  test("a stranger's failures do not lock the victim out of their own address", async () => {
    for (let i = 0; i < ATTEMPTS; i++)
      assert.equal((await login(auth, 'victim@example.com', `guess ${i}`, '203.0.113.7')).status, 400);
    const stranger = await login(auth, 'victim@example.com', RIGHT_PASSWORD, '203.0.113.7');
    assert.equal(stranger.body.error_description, THROTTLED, "the stranger's own budget is spent");
    const victim = await login(auth, 'victim@example.com', RIGHT_PASSWORD, '198.51.100.2');
    assert.equal(victim.status, 200, victim.text);
  });

  test('guesses spread over many addresses hit the account-wide limit', async () => {
    // 40 addresses, one wrong guess each, all at once: the account-wide limit (12) caps the checks.
    const answers = await guessInParallel([auth.url], 'spread@example.com', 40, NONE, (index) => ({
      'X-Forwarded-For': `198.51.100.${100 + index}`,
    }));
    const counts = tally(answers);
    assert.deepEqual(counts.other, []);
    assert.equal(counts.checked, 12);
    assert.equal(counts.throttled, 40 - 12);
    const fresh = await login(auth, 'spread@example.com', RIGHT_PASSWORD, '192.0.2.1');
    assert.equal(fresh.body.error_description, THROTTLED, 'the whole account waits now');
  });

  test('a locked account stays locked under other spellings of its email', async () => {
    for (let i = 0; i < ATTEMPTS; i++) await login(auth, 'spaces@example.com', `guess ${i}`, '203.0.113.9');
    for (const spelling of [' Spaces@Example.com', 'spaces@example.com ', '\tSPACES@EXAMPLE.COM']) {
      const res = await login(auth, spelling, RIGHT_PASSWORD, '203.0.113.9');
      assert.equal(res.body.error_description, THROTTLED, JSON.stringify(spelling));
    }
    // Full-width letters (NFKC folds them to ASCII) are the same account, and the same bucket.
    for (let i = 0; i < ATTEMPTS; i++)
      await login(auth, 'fullwidth@example.com', `guess ${i}`, '203.0.113.9');
    const fullWidth = await login(auth, 'ｆｕｌｌｗｉｄｔｈ@Example.com', RIGHT_PASSWORD, '203.0.113.9');
    assert.equal(fullWidth.body.error_description, THROTTLED);
    // ...and an unlocked account is found under its full-width spelling.
    const found = await login(auth, ' ＮＦＫＣ@ｅｘａｍｐｌｅ.ｃｏｍ', RIGHT_PASSWORD, '203.0.113.10');
    assert.equal(found.status, 200, found.text);
  });
});

describe(`sign-ins of one account are capped, right passwords included (${testDialect()})`, () => {
  const SIGN_INS = 4;
  const TOO_MANY_SIGN_INS =
    'Too many sign-ins to this account in a short time. Try again later; a client keeps its session with the refresh token.';
  let auth: TestAuth;

  before(async () => {
    auth = await startTestAuth({
      LOGIN_THROTTLE_ATTEMPTS: String(ATTEMPTS),
      LOGIN_THROTTLE_ACCOUNT_ATTEMPTS: '1000',
      LOGIN_THROTTLE_ADDRESS_ATTEMPTS: '1000',
      LOGIN_THROTTLE_ACCOUNT_SIGN_INS: String(SIGN_INS),
      TRUSTED_PROXIES: '127.0.0.1',
    });
    await createRole(auth, 'readers', ['catalog:read']);
    for (const name of ['holder', 'burst', 'bystander'])
      await createUser(auth, `${name}@example.com`, RIGHT_PASSWORD, ['readers']);
  });
  after(() => auth.close());

  test('whoever holds the password gets that many password checks, from any address', async () => {
    for (let i = 0; i < SIGN_INS; i++)
      assert.equal(
        (await login(auth, 'holder@example.com', RIGHT_PASSWORD, `203.0.113.${i + 1}`)).status,
        200,
      );
    const refused = await login(auth, 'holder@example.com', RIGHT_PASSWORD, '198.51.100.9');
    assert.equal(refused.status, 400);
    assert.equal(refused.body.error, 'invalid_grant');
    assert.equal(refused.body.error_description, TOO_MANY_SIGN_INS);
    assert.ok(Number(refused.headers.get('retry-after')) >= 1);
    const other = await login(auth, 'bystander@example.com', RIGHT_PASSWORD, '198.51.100.9');
    assert.equal(other.status, 200, 'another account is unaffected');
  });

  test('100 right-password grants at once from 100 addresses: exactly the cap get tokens', async () => {
    const answers = await Promise.all(
      Array.from({ length: 100 }, (_, i) =>
        login(auth, 'burst@example.com', RIGHT_PASSWORD, `192.0.2.${i + 1}`),
      ),
    );
    assert.equal(answers.filter((a) => a.status === 200).length, SIGN_INS);
    const refused = answers.filter((a) => a.status !== 200);
    assert.ok(refused.every((a) => a.body.error_description === TOO_MANY_SIGN_INS));
  });
});

describe('X-Forwarded-For is only believed from a trusted proxy', () => {
  test('from an untrusted peer it is ignored: a spoofed header does not buy a fresh bucket', async () => {
    const auth = await startTestAuth({
      LOGIN_THROTTLE_ATTEMPTS: String(ATTEMPTS),
      TRUSTED_PROXIES: '10.9.9.9',
    });
    try {
      await createRole(auth, 'readers', ['catalog:read']);
      await createUser(auth, 'spoof@example.com', RIGHT_PASSWORD, ['readers']);
      const answers: JsonResponse[] = [];
      for (let i = 0; i < ATTEMPTS + 3; i++)
        answers.push(await login(auth, 'spoof@example.com', `guess ${i}`, `203.0.113.${i + 1}`));
      assert.equal(tally(answers).throttled, 3);
      const right = await login(auth, 'spoof@example.com', RIGHT_PASSWORD, '198.51.100.77');
      assert.equal(right.body.error_description, THROTTLED);
    } finally {
      await auth.close();
    }
  });

  test('from a trusted proxy the address it appended counts, not what the client put before it', async () => {
    const auth = await startTestAuth({
      LOGIN_THROTTLE_ATTEMPTS: String(ATTEMPTS),
      TRUSTED_PROXIES: '127.0.0.0/8',
    });
    try {
      await createRole(auth, 'readers', ['catalog:read']);
      await createUser(auth, 'chain@example.com', RIGHT_PASSWORD, ['readers']);
      // The client varies the first entry; the proxy appends the real address (203.0.113.66).
      for (let i = 0; i < ATTEMPTS; i++)
        await login(auth, 'chain@example.com', `guess ${i}`, `198.51.100.${i + 1}, 203.0.113.66`);
      const same = await login(auth, 'chain@example.com', RIGHT_PASSWORD, '192.0.2.99, 203.0.113.66');
      assert.equal(same.body.error_description, THROTTLED);
      const other = await login(auth, 'chain@example.com', RIGHT_PASSWORD, '203.0.113.67');
      assert.equal(other.status, 200, other.text);
    } finally {
      await auth.close();
    }
  });
});

describe(
  `password grant throttling under attack, Redis store, two instances (${testDialect()})`,
  { skip: REDIS_URL ? false : 'REDIS_URL is not set: the Redis throttle suite needs a real Redis' },
  () => {
    let first: TestAuth;
    let second: Awaited<ReturnType<typeof startAuth>>;

    before(async () => {
      const env = {
        LOGIN_THROTTLE_ATTEMPTS: String(ATTEMPTS),
        REDIS_URL: REDIS_URL!,
        // Fresh keys per run: counters from an earlier run must not leak in.
        LOGIN_THROTTLE_REDIS_PREFIX: `tandem-test:${randomUUID()}`,
      };
      first = await startTestAuth(env);
      second = await startAuth({
        config: first.config,
        orm: first.db.orm,
        logger: createLogger('auth', 'silent'),
        port: 0,
      });
      await createRole(first, 'readers', ['catalog:read']);
      await createUser(first, 'shared@example.com', RIGHT_PASSWORD, ['readers']);
    });
    after(async () => {
      await second.close();
      await first.close();
    });

    test('300 parallel guesses over two instances: one limit, the right password refused', async () => {
      const answers = await guessInParallel([first.url, second.url], 'shared@example.com', 300, LAST);
      const counts = tally(answers);
      assert.deepEqual(counts.other, []);
      assert.equal(counts.checked, ATTEMPTS, `passwords checked: ${counts.checked}`);
      assert.equal(counts.throttled, 300 - ATTEMPTS);
      assert.equal(counts.tokens, 0);
      assert.equal(
        answers[LAST]!.body.error_description,
        THROTTLED,
        'the right password (sent last) is refused',
      );
    });
  },
);
