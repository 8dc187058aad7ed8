import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { AuditEntry, User, UserTotp } from '@tandem/models';
import { createMigratedDatabase, type MigratedTestDatabase } from '@tandem/models/testing';
import {
  ENROLMENT_TTL_SECONDS,
  RECOVERY_CODE_COUNT,
  TwoFactor,
  resetTwoFactor,
  totpCodeAt,
  type TwoFactorUser,
} from '../src/index.js';

const SECRET_KEY = 'two-factor-test-secret-key-0123456789abcdef';
const ADDRESS = '192.0.2.1';
const STEP_MS = 30_000;
/** The enrolment attempt (a sign-in, a session) most tests enrol in. */
const ATTEMPT = 'attempt:test';

describe('two-factor sign-in (TOTP and recovery codes) on a real database', () => {
  let db: MigratedTestDatabase;
  let twoFactor: TwoFactor;
  let nextUser = 0;

  before(async () => {
    db = await createMigratedDatabase();
    twoFactor = new TwoFactor({
      em: db.orm.em,
      secretKey: SECRET_KEY,
      issuer: 'Tandem test',
      throttle: { attempts: 3, windowSeconds: 60 },
    });
  });
  after(async () => {
    await twoFactor.close();
    await db.close();
  });

  async function newUser(): Promise<TwoFactorUser> {
    nextUser += 1;
    const em = db.orm.em.fork();
    const user = em.create(User, { email: `user${nextUser}@example.com`, passwordHash: 'x', isStaff: true });
    await em.flush();
    return { id: user.id, email: user.email };
  }

  /** An enrolled user, their secret and recovery codes; the enrolment used the current step. */
  async function enrolled() {
    const user = await newUser();
    const enrolment = await twoFactor.beginEnrolment(user, ATTEMPT);
    assert.ok(enrolment);
    const confirmed = await twoFactor.confirmEnrolment(user, ATTEMPT, totpCodeAt(enrolment.secret), ADDRESS);
    assert.ok(confirmed.ok, JSON.stringify(confirmed));
    return { user, secret: enrolment.secret, recoveryCodes: confirmed.recoveryCodes };
  }

  const rows = (table: string, userId: number) =>
    db.orm.em.getKnex()(table).where({ user_id: userId }).select('*') as Promise<Record<string, unknown>[]>;

  it('enrols with a QR code of an otpauth URI, and keeps the secret sealed at rest', async () => {
    const user = await newUser();
    const enrolment = await twoFactor.beginEnrolment(user, ATTEMPT);
    assert.ok(enrolment);
    assert.match(enrolment.secret, /^[A-Z2-7]{32}$/);
    const uri = new URL(enrolment.uri);
    assert.equal(uri.protocol, 'otpauth:');
    assert.equal(uri.searchParams.get('secret'), enrolment.secret);
    assert.equal(uri.searchParams.get('issuer'), 'Tandem test');
    assert.match(enrolment.qrSvg, /^<svg [^>]*role="img"/);
    // Reloading the page shows the same secret: an authenticator already scanned stays right.
    assert.equal((await twoFactor.beginEnrolment(user, ATTEMPT))?.secret, enrolment.secret);
    const [row] = await rows('user_totp', user.id);
    assert.ok(row);
    assert.match(String(row.secret_encrypted), /^v1\./);
    assert.doesNotMatch(String(row.secret_encrypted), new RegExp(enrolment.secret, 'i'));
    assert.equal(row.confirmed_at, null);
    assert.deepEqual(await twoFactor.status(user.id), { enrolled: false, recoveryCodesLeft: 0 });
  });

  it('confirms an enrolment only with a right code, then shows ten recovery codes stored as HMACs', async () => {
    const user = await newUser();
    const enrolment = await twoFactor.beginEnrolment(user, ATTEMPT);
    assert.ok(enrolment);
    const wrong = totpCodeAt(enrolment.secret, Date.now() + 10 * STEP_MS);
    assert.deepEqual(await twoFactor.confirmEnrolment(user, ATTEMPT, wrong, ADDRESS), {
      ok: false,
      reason: 'invalid',
    });
    const confirmed = await twoFactor.confirmEnrolment(user, ATTEMPT, totpCodeAt(enrolment.secret), ADDRESS);
    assert.ok(confirmed.ok);
    assert.equal(confirmed.recoveryCodes.length, RECOVERY_CODE_COUNT);
    assert.equal(new Set(confirmed.recoveryCodes).size, RECOVERY_CODE_COUNT);
    const stored = await rows('recovery_codes', user.id);
    assert.equal(stored.length, RECOVERY_CODE_COUNT);
    const storedText = JSON.stringify(stored);
    for (const code of confirmed.recoveryCodes) {
      assert.match(code, /^[a-z2-9]{5}-[a-z2-9]{5}$/);
      assert.ok(!storedText.includes(code) && !storedText.includes(code.replace('-', '')));
    }
    assert.deepEqual(await twoFactor.status(user.id), { enrolled: true, recoveryCodesLeft: 10 });
    // A confirmed authenticator is not replaced by starting over: disable (with a code) first.
    assert.equal(await twoFactor.beginEnrolment(user, ATTEMPT), null);
  });

  it('accepts a right code once: the same code again is refused as reused, an older one too', async () => {
    const { user, secret } = await enrolled();
    const next = totpCodeAt(secret, Date.now() + STEP_MS);
    assert.deepEqual(await twoFactor.verify(user, next, ADDRESS), { ok: true, method: 'totp' });
    assert.deepEqual(await twoFactor.verify(user, next, ADDRESS), { ok: false, reason: 'reused' });
    // The enrolment's own step (the current one) is older than the step just used.
    const current = totpCodeAt(secret);
    assert.notDeepEqual(await twoFactor.verify(user, current, ADDRESS), { ok: true, method: 'totp' });
  });

  it('lets exactly one of ten parallel requests with the same right code in', async () => {
    const { user, secret } = await enrolled();
    const code = totpCodeAt(secret, Date.now() + STEP_MS);
    // A fresh address per request, so the throttle (3 per pair) is not what limits them.
    const verdicts = await Promise.all(
      Array.from({ length: 10 }, (_, i) => twoFactor.verify(user, code, `198.51.100.${i}`)),
    );
    assert.equal(verdicts.filter((verdict) => verdict.ok).length, 1, JSON.stringify(verdicts));
    assert.equal(verdicts.filter((verdict) => !verdict.ok && verdict.reason === 'reused').length, 9);
  });

  it('refuses a code far from now and a code in another shape', async () => {
    const { user, secret } = await enrolled();
    for (const code of [
      totpCodeAt(secret, Date.now() - 5 * STEP_MS),
      totpCodeAt(secret, Date.now() + 5 * STEP_MS),
      '１２３４５６', // full-width digits
      '',
      'x'.repeat(10_000),
    ])
      assert.deepEqual(await twoFactor.verify(user, code, `203.0.113.${code.length % 200}`), {
        ok: false,
        reason: 'invalid',
      });
  });

  it('takes a recovery code once, in any case and spacing, even from parallel requests', async () => {
    const { user, recoveryCodes } = await enrolled();
    const [first, second] = recoveryCodes;
    assert.ok(first && second);
    assert.deepEqual(await twoFactor.verify(user, ` ${first.toUpperCase().replace('-', ' ')} `, ADDRESS), {
      ok: true,
      method: 'recovery',
    });
    assert.deepEqual(await twoFactor.verify(user, first, ADDRESS), { ok: false, reason: 'invalid' });
    const verdicts = await Promise.all(
      Array.from({ length: 8 }, (_, i) => twoFactor.verify(user, second, `198.51.100.${100 + i}`)),
    );
    assert.equal(verdicts.filter((verdict) => verdict.ok).length, 1);
    assert.equal((await twoFactor.status(user.id)).recoveryCodesLeft, RECOVERY_CODE_COUNT - 2);
    // Another user's recovery code is nothing to this one.
    const other = await enrolled();
    assert.deepEqual(await twoFactor.verify(user, other.recoveryCodes[0]!, ADDRESS), {
      ok: false,
      reason: 'invalid',
    });
  });

  it('throttles code guesses like passwords: 20 parallel wrong guesses, only 3 are checked', async () => {
    const { user, secret } = await enrolled();
    const wrong = totpCodeAt(secret, Date.now() + 20 * STEP_MS);
    const verdicts = await Promise.all(
      Array.from({ length: 20 }, () => twoFactor.verify(user, wrong, '203.0.113.50')),
    );
    const reasons = verdicts.map((verdict) => (verdict.ok ? 'ok' : verdict.reason));
    assert.equal(reasons.filter((reason) => reason === 'invalid').length, 3, reasons.join());
    assert.equal(reasons.filter((reason) => reason === 'throttled').length, 17);
    // Even the right code is not looked at while the guesses are throttled.
    const right = await twoFactor.verify(user, totpCodeAt(secret, Date.now() + STEP_MS), '203.0.113.50');
    assert.equal(right.ok ? 'ok' : right.reason, 'throttled');
  });

  it(
    'throttles parallel guesses through Redis too (counters shared by every instance)',
    { skip: process.env.REDIS_URL ? false : 'REDIS_URL is not set: the Redis store needs a real Redis' },
    async () => {
      const { user, secret } = await enrolled();
      const throttle = {
        attempts: 3,
        windowSeconds: 60,
        redisUrl: process.env.REDIS_URL,
        redisKeyPrefix: `tandem-test:${randomUUID()}`,
      };
      // Two instances (two service processes) on one Redis: the limit holds across both.
      const instances = [1, 2].map(
        () => new TwoFactor({ em: db.orm.em, secretKey: SECRET_KEY, issuer: 'Tandem test', throttle }),
      );
      try {
        await Promise.all(instances.map((instance) => instance.ready()));
        const wrong = totpCodeAt(secret, Date.now() + 20 * STEP_MS);
        const verdicts = await Promise.all(
          Array.from({ length: 16 }, (_, i) => instances[i % 2]!.verify(user, wrong, '203.0.113.70')),
        );
        const reasons = verdicts.map((verdict) => (verdict.ok ? 'ok' : verdict.reason));
        assert.equal(reasons.filter((reason) => reason === 'invalid').length, 3, reasons.join());
        assert.equal(reasons.filter((reason) => reason === 'throttled').length, 13);
      } finally {
        await Promise.all(instances.map((instance) => instance.close()));
      }
    },
  );

  it('a sealed secret copied onto another user does not open', async () => {
    const victim = await enrolled();
    const attacker = await enrolled();
    const knex = db.orm.em.getKnex();
    const [victimRow] = await rows('user_totp', victim.user.id);
    await knex('user_totp')
      .where({ user_id: attacker.user.id })
      .update({ secret_encrypted: victimRow!.secret_encrypted });
    const code = totpCodeAt(victim.secret, Date.now() + STEP_MS);
    await assert.rejects(twoFactor.verify(attacker.user, code, '203.0.113.80'), /authentication failed/);
  });

  it('gives each enrolment attempt its own secret: one planted by another attempt is never confirmed', async () => {
    const victim = await newUser();
    // Someone with the password reaches the enrolment page, notes the secret and leaves.
    const planted = await twoFactor.beginEnrolment(victim, 'attempt:attacker');
    assert.ok(planted);
    assert.equal((await twoFactor.beginEnrolment(victim, 'attempt:attacker'))?.secret, planted.secret);
    // The real user's sign-in gets a fresh secret, which takes the planted one's place.
    const own = await twoFactor.beginEnrolment(victim, 'attempt:victim');
    assert.ok(own);
    assert.notEqual(own.secret, planted.secret);
    assert.equal((await twoFactor.beginEnrolment(victim, 'attempt:victim'))?.secret, own.secret);
    // Neither attempt confirms with the other one's secret, nor the attacker's with its own any more.
    const refused = { ok: false, reason: 'invalid' };
    const plantedCode = totpCodeAt(planted.secret);
    assert.deepEqual(
      await twoFactor.confirmEnrolment(victim, 'attempt:victim', plantedCode, ADDRESS),
      refused,
    );
    assert.deepEqual(
      await twoFactor.confirmEnrolment(victim, 'attempt:attacker', plantedCode, '203.0.113.81'),
      refused,
    );
    assert.deepEqual(
      await twoFactor.confirmEnrolment(victim, 'attempt:attacker', totpCodeAt(own.secret), '203.0.113.81'),
      refused,
    );
    const confirmed = await twoFactor.confirmEnrolment(
      victim,
      'attempt:victim',
      totpCodeAt(own.secret),
      '203.0.113.82',
    );
    assert.ok(confirmed.ok, JSON.stringify(confirmed));
    // After the enrolment, a code of the planted secret does not sign in; the user's own does.
    const later = Date.now() + STEP_MS;
    assert.deepEqual(
      await twoFactor.verify(victim, totpCodeAt(planted.secret, later), '203.0.113.83'),
      refused,
    );
    assert.deepEqual(await twoFactor.verify(victim, totpCodeAt(own.secret, later), '203.0.113.84'), {
      ok: true,
      method: 'totp',
    });
  });

  it('lets an unconfirmed secret expire: after ENROLMENT_TTL_SECONDS it neither confirms nor shows again', async () => {
    const user = await newUser();
    const enrolment = await twoFactor.beginEnrolment(user, ATTEMPT);
    assert.ok(enrolment);
    const stale = new Date(Date.now() - (ENROLMENT_TTL_SECONDS + 1) * 1000);
    await db.orm.em.fork().nativeUpdate(UserTotp, { user: user.id }, { createdAt: stale });
    assert.deepEqual(
      await twoFactor.confirmEnrolment(user, ATTEMPT, totpCodeAt(enrolment.secret), '203.0.113.85'),
      { ok: false, reason: 'invalid' },
    );
    const again = await twoFactor.beginEnrolment(user, ATTEMPT);
    assert.ok(again);
    assert.notEqual(again.secret, enrolment.secret);
  });

  it('turns off only with a current code, and a reset removes everything', async () => {
    const { user, secret } = await enrolled();
    const wrong = totpCodeAt(secret, Date.now() + 20 * STEP_MS);
    assert.equal((await twoFactor.disable(user, wrong, '203.0.113.60')).ok, false);
    assert.equal((await twoFactor.status(user.id)).enrolled, true);
    assert.equal(
      (await twoFactor.disable(user, totpCodeAt(secret, Date.now() + STEP_MS), '203.0.113.60')).ok,
      true,
    );
    assert.deepEqual(await twoFactor.status(user.id), { enrolled: false, recoveryCodesLeft: 0 });
    assert.equal((await rows('recovery_codes', user.id)).length, 0);
    const again = await enrolled();
    assert.equal(
      await resetTwoFactor(db.orm.em, again.user.id, { email: 'command:test' }, 'reset_two_factor'),
      true,
    );
    assert.equal((await rows('user_totp', again.user.id)).length, 0);
  });

  it('puts turning it on, off and a reset in the user’s history, in the change’s transaction', async () => {
    const history = async (userId: number) =>
      (
        await db.orm.em
          .fork()
          .find(AuditEntry, { model: 'User', recordId: String(userId) }, { orderBy: { id: 'asc' } })
      ).map((entry) => ({ action: entry.action, actor: entry.actorEmail, diff: entry.diff }));
    const { user, secret } = await enrolled();
    assert.deepEqual(await history(user.id), [
      { action: 'enable_two_factor', actor: user.email, diff: { twoFactor: { before: 'off', after: 'on' } } },
    ]);
    // A refused code changes nothing, so it records nothing.
    assert.equal(
      (await twoFactor.disable(user, totpCodeAt(secret, Date.now() + 20 * STEP_MS), ADDRESS)).ok,
      false,
    );
    assert.equal((await history(user.id)).length, 1);
    assert.ok((await twoFactor.disable(user, totpCodeAt(secret, Date.now() + STEP_MS), ADDRESS)).ok);
    assert.deepEqual((await history(user.id)).at(-1), {
      action: 'disable_two_factor',
      actor: user.email,
      diff: { twoFactor: { before: 'on', after: 'off' } },
    });

    const other = await enrolled();
    assert.ok(
      await resetTwoFactor(db.orm.em, other.user.id, { email: 'command:reset2fa' }, 'reset_two_factor'),
    );
    // Nothing left to reset: no second entry.
    assert.equal(
      await resetTwoFactor(db.orm.em, other.user.id, { email: 'command:reset2fa' }, 'reset_two_factor'),
      false,
    );
    assert.deepEqual(
      (await history(other.user.id)).map((entry) => [entry.action, entry.actor]),
      [
        ['enable_two_factor', other.user.email],
        ['reset_two_factor', 'command:reset2fa'],
      ],
    );
    const entry = await db.orm.em
      .fork()
      .findOneOrFail(
        AuditEntry,
        { model: 'User', action: 'enable_two_factor', recordId: String(user.id) },
        { populate: ['actor'] },
      );
    assert.equal(entry.actor?.id, user.id, 'the entry keeps the user who acted');
  });
});
