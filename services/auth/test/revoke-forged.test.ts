/**
 * `/oauth/revoke` takes an access token's `sid` only from a token this server issued. An attacker who
 * knows (or guesses) a victim's session id forges a JWT naming it and asks for its revocation: RFC 7009
 * §2.2 answers 200 whatever the token, but the victim's session must stay live (its refresh token still
 * refreshes, `revoked_at` stays null). Forgeries as an attacker would send them: signed with their own
 * Ed25519 key under the service's real kid, the same with their public key embedded in the header
 * (`jwk`), unsigned (`alg: none`), and correctly signed by the service's own key but for another issuer
 * or audience (another deployment sharing the keys).
 */
import { after, before, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { SignJWT, exportJWK, generateKeyPair } from 'jose';
import { Session } from '@tandem/models';
import { testDialect } from '@tandem/models/testing';
import { AccessTokenSigner } from '@tandem/tokens';
import {
  createRole,
  createUser,
  getJson,
  jwtHeader,
  jwtPayload,
  postForm,
  startTestAuth,
  type TestAuth,
} from './support.js';

const PASSWORD = 'victim password, long enough';

describe(`revocation with a forged token naming another session changes nothing (${testDialect()})`, () => {
  let auth: TestAuth;
  let victim: { access: string; refresh: string; sid: string };

  before(async () => {
    auth = await startTestAuth();
    await createRole(auth, 'readers', ['catalog:read']);
    await createUser(auth, 'victim@example.com', PASSWORD, ['readers']);
  });
  after(() => auth.close());
  /** A fresh victim session per test, so each forgery is judged on its own. */
  beforeEach(async () => {
    const res = await postForm(`${auth.url}/oauth/token`, {
      grant_type: 'password',
      username: 'victim@example.com',
      password: PASSWORD,
    });
    assert.equal(res.status, 200, res.text);
    const access = String(res.body.access_token);
    victim = { access, refresh: String(res.body.refresh_token), sid: String(jwtPayload(access).sid) };
  });

  const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
  /** The victim's claims, as the attacker would copy them (a real token's payload is not secret). */
  const victimClaims = () => {
    const { iss, aud, sub, scope, sid } = jwtPayload(victim.access);
    return {
      iss: String(iss),
      aud: String(aud),
      sub: String(sub),
      scope: String(scope),
      sid: String(sid),
      jti: randomUUID(),
    };
  };
  const attackerKey = () => generateKeyPair('EdDSA', { crv: 'Ed25519', extractable: true });
  const realKid = async () => {
    const jwks = (await getJson(`${auth.url}/.well-known/jwks.json`)).body.keys as { kid: string }[];
    const current = String(jwtHeader(victim.access).kid);
    assert.ok(jwks.some((key) => key.kid === current));
    return current;
  };
  const otherDeployment = (settings: { issuer?: string; audience?: string }) =>
    new AccessTokenSigner(
      {
        issuer: settings.issuer ?? auth.server.issuer,
        audience: settings.audience ?? auth.config.tokens.audience,
        accessTokenTtlSeconds: 600,
      },
      auth.server.deps.keys,
    );
  const victimRequest = () => {
    const { sub, scope } = jwtPayload(victim.access);
    return { sub: String(sub), scope: String(scope), sid: victim.sid };
  };

  const forgeries: [string, () => Promise<string>][] = [
    [
      "signed with the attacker's own Ed25519 key under the service's kid",
      async () => {
        const { privateKey } = await attackerKey();
        return new SignJWT(victimClaims())
          .setProtectedHeader({ alg: 'EdDSA', typ: 'at+jwt', kid: await realKid() })
          .setIssuedAt()
          .setExpirationTime('10m')
          .sign(privateKey);
      },
    ],
    [
      "signed with the attacker's key, its public half embedded in the header (jwk)",
      async () => {
        const { privateKey, publicKey } = await attackerKey();
        return new SignJWT(victimClaims())
          .setProtectedHeader({ alg: 'EdDSA', typ: 'at+jwt', jwk: await exportJWK(publicKey) })
          .setIssuedAt()
          .setExpirationTime('10m')
          .sign(privateKey);
      },
    ],
    [
      'unsigned (alg: none)',
      async () => {
        const now = Math.floor(Date.now() / 1000);
        const header = { alg: 'none', typ: 'at+jwt', kid: await realKid() };
        return `${b64(header)}.${b64({ ...victimClaims(), iat: now, exp: now + 600 })}.`;
      },
    ],
    [
      "signed by the service's own key, but for another issuer",
      async () => (await otherDeployment({ issuer: 'https://staging.example' }).sign(victimRequest())).token,
    ],
    [
      "signed by the service's own key, but for another audience",
      async () => (await otherDeployment({ audience: 'another-api' }).sign(victimRequest())).token,
    ],
  ];

  const assertVictimLive = async (what: string) => {
    const row = await auth.db.orm.em.fork().findOneOrFail(Session, { id: victim.sid });
    assert.equal(row.revokedAt ?? null, null, `${what}: revoked_at stays null`);
    const res = await postForm(`${auth.url}/oauth/token`, {
      grant_type: 'refresh_token',
      refresh_token: victim.refresh,
    });
    assert.equal(res.status, 200, `${what}: the victim still refreshes (${res.text})`);
    const access = String(res.body.access_token);
    assert.equal(jwtPayload(access).sid, victim.sid);
    victim = { access, refresh: String(res.body.refresh_token), sid: victim.sid };
  };

  for (const [name, forge] of forgeries) {
    test(`a token ${name}: 200, the victim's session stays live`, async () => {
      const forged = await forge();
      assert.equal(jwtPayload(forged).sid, victim.sid, 'the forgery names the victim session');
      for (const hint of [undefined, 'access_token', 'refresh_token']) {
        const res = await postForm(`${auth.url}/oauth/revoke`, {
          token: forged,
          ...(hint ? { token_type_hint: hint } : {}),
        });
        assert.equal(res.status, 200, `RFC 7009 §2.2 (hint ${hint}): ${res.text}`);
        assert.equal(res.text, '');
      }
      await assertVictimLive(name);
    });
  }

  test("control: the victim's real access token does revoke the session", async () => {
    assert.equal((await postForm(`${auth.url}/oauth/revoke`, { token: victim.access })).status, 200);
    const row = await auth.db.orm.em.fork().findOneOrFail(Session, { id: victim.sid });
    assert.ok(row.revokedAt, 'revoked');
    const res = await postForm(`${auth.url}/oauth/token`, {
      grant_type: 'refresh_token',
      refresh_token: victim.refresh,
    });
    assert.equal(res.body.error, 'invalid_grant');
  });
});
