import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createLogger } from '../src/index.js';

/** A logger writing into memory: every line exactly as a service would print it, parsed back. */
function capture() {
  const lines: string[] = [];
  const logger = createLogger('test', 'debug', { write: (line: string) => void lines.push(line) });
  return {
    logger,
    /** Everything written so far, raw: a secret must not appear anywhere in it. */
    text: () => lines.join(''),
    last: () => JSON.parse(lines.at(-1)!) as Record<string, unknown>,
  };
}

// Values no real log field would contain by accident: finding one in the output is a leak.
const SECRET = {
  password: 'pw-Correct-Horse-Battery-1',
  passwordHash: '$argon2id$v=19$m=65536,t=3,p=4$leak-hash',
  newPassword: 'pw-new-Tr0ub4dor-2',
  currentPassword: 'pw-current-3',
  secret: 'client-secret-4-abcdef',
  clientSecret: 'client-secret-5-abcdef',
  refreshToken: 'refresh-token-6-abcdef',
  accessToken: 'eyJhbGciOiJFZERTQSJ9.access-token-7.signature',
  token: 'any-token-8-abcdef',
  privateKey: '-----BEGIN PRIVATE KEY-----leak-9',
  authorization: 'Bearer eyJ.authorization-header-10.sig',
  cookie: 'tandem.sid=session-cookie-11',
  setCookie: 'tandem.sid=set-cookie-12; HttpOnly',
  privateJwk: 'private-jwk-d-13-abcdef',
  secretKey: 'tandem-secret-key-14-abcdef',
  codeVerifier: 'pkce-code-verifier-15-abcdef',
  totpSecret: 'JBSWY3DPEHPK3PXP16',
  recoveryCode: 'recovery-code-17',
};

function assertNoSecret(text: string): void {
  for (const [name, value] of Object.entries(SECRET))
    assert.ok(!text.includes(value), `${name} leaked into the log: ${text}`);
}

test('credentials in a logged body are redacted, at the top level and one level down', () => {
  const { logger, text, last } = capture();
  const body = {
    username: 'ann@example.com',
    password: SECRET.password,
    newPassword: SECRET.newPassword,
    currentPassword: SECRET.currentPassword,
    client_secret: SECRET.clientSecret,
    refresh_token: SECRET.refreshToken,
    access_token: SECRET.accessToken,
    token: SECRET.token,
  };
  logger.info(body, 'top level');
  const line = last();
  assert.deepEqual(Object.fromEntries(Object.keys(body).map((key) => [key, line[key]])), {
    username: 'ann@example.com',
    password: '[redacted]',
    newPassword: '[redacted]',
    currentPassword: '[redacted]',
    client_secret: '[redacted]',
    refresh_token: '[redacted]',
    access_token: '[redacted]',
    token: '[redacted]',
  });
  logger.warn({ body }, 'the careless log.info({ body })');
  assert.equal((last().body as Record<string, unknown>).username, 'ann@example.com', 'the rest is kept');
  assert.equal((last().body as Record<string, unknown>).password, '[redacted]');
  assertNoSecret(text());
});

test('stored secrets of users, clients and signing keys are redacted', () => {
  const { logger, text, last } = capture();
  logger.info({ user: { id: 1, email: 'ann@example.com', passwordHash: SECRET.passwordHash } }, 'user');
  assert.deepEqual(last().user, { id: 1, email: 'ann@example.com', passwordHash: '[redacted]' });
  logger.info({ client: { clientId: 'c1', secret: SECRET.secret } }, 'client');
  assert.deepEqual(last().client, { clientId: 'c1', secret: '[redacted]' });
  logger.info({ key: { kid: 'k1', privateKey: SECRET.privateKey } }, 'key');
  assert.deepEqual(last().key, { kid: 'k1', privateKey: '[redacted]' });
  logger.info({ passwordHash: SECRET.passwordHash, secret: SECRET.secret, privateKey: SECRET.privateKey });
  // The secret key that opens the signing keys, a key's private JWK, a second factor's secrets.
  logger.info({ config: { secretKey: SECRET.secretKey }, key: { privateJwk: { d: SECRET.privateJwk } } });
  logger.info({ two_factor: { totp_secret: SECRET.totpSecret, recovery_codes: [SECRET.recoveryCode] } });
  logger.info({ recoveryCode: SECRET.recoveryCode }, 'one recovery code');
  // A token request's body: the code's PKCE verifier; an error's `code` (a name, not a secret) is kept.
  logger.info({ body: { grant_type: 'authorization_code', code_verifier: SECRET.codeVerifier }, code: 'E1' });
  assert.equal(last().code, 'E1');
  assertNoSecret(text());
});

test('Authorization and Cookie request headers and Set-Cookie response headers are redacted', () => {
  const { logger, text, last } = capture();
  logger.info(
    {
      req: {
        method: 'POST',
        url: '/oauth/token',
        headers: { authorization: SECRET.authorization, cookie: SECRET.cookie, 'user-agent': 'curl/8' },
      },
      res: { statusCode: 200, headers: { 'set-cookie': SECRET.setCookie, 'content-type': 'text/html' } },
    },
    'request',
  );
  const { req, res } = last() as { req: { headers: object }; res: { headers: object } };
  assert.deepEqual(req.headers, {
    authorization: '[redacted]',
    cookie: '[redacted]',
    'user-agent': 'curl/8',
  });
  assert.deepEqual(res.headers, { 'set-cookie': '[redacted]', 'content-type': 'text/html' });
  logger.info({ headers: { authorization: SECRET.authorization, cookie: SECRET.cookie } }, 'bare headers');
  assert.deepEqual(last().headers, { authorization: '[redacted]', cookie: '[redacted]' });
  assertNoSecret(text());
});

test('redaction applies at every level the logger writes, and to child loggers', () => {
  const { logger, text } = capture();
  const child = logger.child({ component: 'grants' });
  child.error({ password: SECRET.password, body: { refresh_token: SECRET.refreshToken } }, 'failed');
  logger.debug({ token: SECRET.token }, 'debug');
  logger.fatal({ headers: { authorization: SECRET.authorization } }, 'fatal');
  assert.equal(text().split('\n').filter(Boolean).length, 3);
  assertNoSecret(text());
});

test('a secret at any depth, in arrays and in child bindings (one level) is redacted; the logged object is not changed', () => {
  const { logger, text, last } = capture();
  const record = {
    req: { body: { password: SECRET.password, items: [{ 'Refresh-Token': SECRET.refreshToken }] } },
    deep: { a: { b: { c: { d: { clientSecret: SECRET.clientSecret } } } } },
  };
  logger.info(record, 'nested body');
  const line = last() as { req: { body: { password: string; items: object[] } } };
  assert.equal(line.req.body.password, '[redacted]');
  assert.deepEqual(line.req.body.items, [{ 'Refresh-Token': '[redacted]' }]);
  assert.equal(record.req.body.password, SECRET.password, "the caller's object is left as it was");
  logger.child({ token: SECRET.token, session: { access_token: SECRET.accessToken } }).info('bound');
  assertNoSecret(text());
});

test('an Error is still serialized with its message and stack', () => {
  const { logger, last } = capture();
  logger.error({ err: new Error('boom') }, 'failed');
  const err = last().err as { message: string; stack: string; type: string };
  assert.equal(err.message, 'boom');
  assert.equal(err.type, 'Error');
  assert.match(err.stack, /boom/);
});
