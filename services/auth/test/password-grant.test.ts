import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { testDialect } from '@tandem/models/testing';
import {
  createRole,
  createUser,
  jwtHeader,
  jwtPayload,
  postForm,
  postRaw,
  startTestAuth,
  type TestAuth,
} from './support.js';

describe(`password grant (${testDialect()})`, () => {
  let auth: TestAuth;
  let token: string;
  let userId: number;

  before(async () => {
    auth = await startTestAuth({ LOGIN_THROTTLE_ATTEMPTS: '3' });
    await createRole(auth, 'readers', ['catalog:read', 'orders:read']);
    userId = await createUser(auth, 'ann@example.com', 'correct horse battery', ['readers']);
    await createUser(auth, 'sleepy@example.com', 'correct horse battery', ['readers'], { isActive: false });
    token = `${auth.url}/oauth/token`;
  });
  after(() => auth.close());

  test('issues an EdDSA access token with every role scope and a refresh token, not cacheable', async () => {
    const res = await postForm(token, {
      grant_type: 'password',
      username: 'Ann@Example.com',
      password: 'correct horse battery',
    });
    assert.equal(res.status, 200, res.text);
    assert.equal(res.headers.get('cache-control'), 'no-store');
    assert.equal(res.body.token_type, 'Bearer');
    assert.equal(res.body.expires_in, 600);
    assert.equal(res.body.scope, 'catalog:read orders:read');
    assert.match(String(res.body.refresh_token), /^[A-Za-z0-9_-]{43}$/);
    const accessToken = String(res.body.access_token);
    const header = jwtHeader(accessToken);
    assert.equal(header.alg, 'EdDSA');
    assert.equal(header.typ, 'at+jwt');
    assert.equal(typeof header.kid, 'string');
    const claims = jwtPayload(accessToken);
    assert.equal(claims.iss, auth.server.issuer);
    assert.equal(claims.aud, 'tandem');
    assert.equal(claims.sub, String(userId));
    assert.equal(claims.scope, 'catalog:read orders:read');
    assert.equal(claims.nbf, claims.iat);
    assert.equal(Number(claims.exp) - Number(claims.iat), 600);
    assert.equal(typeof claims.jti, 'string');
    assert.equal(typeof claims.sid, 'string');
    assert.deepEqual(Object.keys(claims).sort(), [
      'aud',
      'exp',
      'iat',
      'iss',
      'jti',
      'nbf',
      'scope',
      'sid',
      'sub',
    ]);
  });

  test('accepts a JSON body too', async () => {
    const res = await postRaw(
      token,
      JSON.stringify({
        grant_type: 'password',
        username: 'ann@example.com',
        password: 'correct horse battery',
      }),
      'application/json',
    );
    assert.equal(res.status, 200, res.text);
  });

  test('a requested scope narrows the grant; a scope beyond the roles is invalid_scope', async () => {
    const narrow = await postForm(token, {
      grant_type: 'password',
      username: 'ann@example.com',
      password: 'correct horse battery',
      scope: 'orders:read',
    });
    assert.equal(narrow.status, 200);
    assert.equal(narrow.body.scope, 'orders:read');
    assert.equal(jwtPayload(String(narrow.body.access_token)).scope, 'orders:read');
    const wide = await postForm(token, {
      grant_type: 'password',
      username: 'ann@example.com',
      password: 'correct horse battery',
      scope: 'orders:read admin:all',
    });
    assert.equal(wide.status, 400);
    assert.equal(wide.body.error, 'invalid_scope');
    assert.equal(wide.headers.get('cache-control'), 'no-store');
  });

  test('wrong password, unknown user and inactive user get the same invalid_grant', async () => {
    const answers = await Promise.all([
      postForm(token, { grant_type: 'password', username: 'ann@example.com', password: 'wrong password!' }),
      postForm(token, {
        grant_type: 'password',
        username: 'nobody@example.com',
        password: 'wrong password!',
      }),
      postForm(token, {
        grant_type: 'password',
        username: 'sleepy@example.com',
        password: 'correct horse battery',
      }),
    ]);
    for (const res of answers) {
      assert.equal(res.status, 400);
      assert.deepEqual(res.body, {
        error: 'invalid_grant',
        error_description: 'Invalid username or password.',
      });
    }
  });

  test('missing parameters are invalid_request; unknown grant types unsupported_grant_type', async () => {
    const noPassword = await postForm(token, { grant_type: 'password', username: 'ann@example.com' });
    assert.equal(noPassword.status, 400);
    assert.equal(noPassword.body.error, 'invalid_request');
    const noGrant = await postForm(token, { username: 'ann@example.com' });
    assert.equal(noGrant.body.error, 'invalid_request');
    const implicit = await postForm(token, { grant_type: 'implicit', code: 'x' });
    assert.equal(implicit.status, 400);
    assert.equal(implicit.body.error, 'unsupported_grant_type');
    const proto = await postForm(token, { grant_type: '__proto__' });
    assert.equal(proto.body.error, 'unsupported_grant_type');
  });

  test('failed attempts are throttled per account, with Retry-After and no hint about the account', async () => {
    await createUser(auth, 'target@example.com', 'the real password', ['readers']);
    for (let attempt = 0; attempt < 3; attempt++) {
      const res = await postForm(token, {
        grant_type: 'password',
        username: 'target@example.com',
        password: `guess ${attempt}`,
      });
      assert.equal(res.body.error, 'invalid_grant');
    }
    const blocked = await postForm(token, {
      grant_type: 'password',
      username: 'target@example.com',
      password: 'the real password',
    });
    assert.equal(blocked.status, 400);
    assert.equal(blocked.body.error, 'invalid_grant');
    assert.ok(Number(blocked.headers.get('retry-after')) >= 1);
    // An unknown account is throttled the same way: no difference to probe.
    for (let attempt = 0; attempt < 3; attempt++) {
      await postForm(token, {
        grant_type: 'password',
        username: 'ghost@example.com',
        password: `guess ${attempt}`,
      });
    }
    const ghost = await postForm(token, {
      grant_type: 'password',
      username: 'ghost@example.com',
      password: 'x',
    });
    assert.equal(ghost.body.error_description, blocked.body.error_description);
  });

  test('an address that keeps failing across accounts is throttled too', async () => {
    // Per-address room is 4 x attempts (12 here); earlier tests already spent some of it.
    let last;
    for (let attempt = 0; attempt < 14; attempt++) {
      last = await postForm(token, {
        grant_type: 'password',
        username: `spray${attempt}@example.com`,
        password: 'nope nope',
      });
    }
    assert.ok(last?.headers.get('retry-after'), 'the address is blocked');
    const ann = await postForm(token, {
      grant_type: 'password',
      username: 'ann@example.com',
      password: 'correct horse battery',
    });
    assert.equal(ann.status, 400, 'even a correct password from that address waits');
  });
});
