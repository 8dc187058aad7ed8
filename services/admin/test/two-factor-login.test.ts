/**
 * Two-factor sign-in on the admin, over HTTP against the real admin and database: the code step after
 * the password, enrolment from the account page and forced at login (TWO_FACTOR_REQUIRED_FOR_STAFF),
 * replays, recovery codes, throttled guesses (parallel too), cross-site posts, and logs without secrets.
 */
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { hashPassword } from '@tandem/accounts';
import { loadConfig } from '@tandem/config';
import { createLogger } from '@tandem/log';
import { LoginSession, Session, User, UserTotp } from '@tandem/models';
import { revokeUserSessions, startUserSession } from '@tandem/tokens';
import { createMigratedDatabase, type MigratedTestDatabase } from '@tandem/models/testing';
import { totpCodeAt } from '@tandem/two-factor';
import { startAdmin, type AdminServer } from '../src/server.js';
import { Client, PASSWORD } from './support.js';

const STEP_MS = 30_000;
/** A code of a later step: accepted (within the drift window) and newer than any code used before it. */
const codeAhead = (secret: string, steps = 1) => totpCodeAt(secret, Date.now() + steps * STEP_MS);

interface TwoFactorAdmin {
  readonly db: MigratedTestDatabase;
  readonly admin: AdminServer;
  readonly origin: string;
  /** Everything the admin logged, as JSON lines. */
  logs(): string;
  close(): Promise<void>;
}

async function startTwoFactorAdmin(env: Record<string, string> = {}): Promise<TwoFactorAdmin> {
  const db = await createMigratedDatabase();
  const em = db.orm.em.fork();
  const passwordHash = await hashPassword(PASSWORD);
  for (const email of ['ann@example.com', 'bob@example.com', 'cid@example.com', 'dee@example.com'])
    em.create(User, { email, passwordHash, isStaff: true });
  em.create(User, { email: 'root@example.com', passwordHash, isStaff: true, isSuperuser: true });
  await em.flush();
  let logged = '';
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      logged += chunk.toString('utf8');
      done();
    },
  });
  const config = loadConfig({
    DATABASE_URL: db.url,
    TANDEM_SECRET_KEY: 'test-secret-key-that-is-long-enough-0123456789',
    LOGIN_THROTTLE_ATTEMPTS: '5',
    ...env,
  });
  const admin = await startAdmin({
    config,
    orm: db.orm,
    logger: createLogger('admin-test', 'trace', sink),
    port: 0,
  });
  return {
    db,
    admin,
    origin: new URL(admin.url).origin,
    logs: () => logged,
    async close() {
      await admin.close();
      await db.close();
    },
  };
}

const secretOf = (html: string) => /id="totp-secret">([A-Z2-7]+)</.exec(html)?.[1];

/** A new browser that logs in as `email` and reads the enrolment secret the page at `page` shows it. */
async function shownSecret(
  origin: string,
  email: string,
  page: string,
): Promise<{ client: Client; secret: string }> {
  const client = new Client(origin);
  await client.login(email);
  const secret = secretOf(await (await client.request(page)).text());
  assert.ok(secret, `${page} shows ${email} a secret`);
  return { client, secret };
}
const recoveryCodesOf = (html: string) =>
  [...html.matchAll(/<li>([a-z2-9]{5}-[a-z2-9]{5})<\/li>/g)].map((match) => match[1]!);

/** Logs in with the password, enrols from the account page; returns the secret and recovery codes. */
async function enrolFromAccountPage(origin: string, email: string) {
  const client = new Client(origin);
  assert.equal((await client.login(email)).headers.get('location'), '/admin');
  const page = await client.request('/admin/account/two-factor');
  assert.equal(page.status, 200);
  assert.equal(page.headers.get('cache-control'), 'no-store');
  const html = await page.text();
  const secret = secretOf(html);
  assert.ok(secret, 'the account page shows the secret for typing it in');
  assert.match(html, /<svg [^>]*aria-label="QR code/);
  const done = await client.request('/admin/account/two-factor/enrol', {
    form: { code: totpCodeAt(secret) },
  });
  assert.equal(done.status, 200);
  const codes = recoveryCodesOf(await done.text());
  assert.equal(codes.length, 10);
  return { secret, codes };
}

/** Password step of a login; asserts it leads to the code step and not into the admin. */
async function passwordStep(origin: string, email: string): Promise<Client> {
  const client = new Client(origin);
  const response = await client.login(email);
  assert.equal(response.status, 302);
  assert.equal(response.headers.get('location'), '/admin/login/two-factor');
  const api = await client.request('/admin/api/resources/User/actions/list');
  assert.equal(api.status, 401, 'a password alone gives no session');
  assert.equal((await client.request('/admin')).status, 302);
  return client;
}

/** Whether the client's session is a staff member's (the dashboard, not a redirect to the login). */
const isIn = async (client: Client) => (await client.request('/admin')).status === 200;

describe('admin two-factor sign-in', () => {
  let fixture: TwoFactorAdmin;
  let ann: { secret: string; codes: string[] };
  before(async () => {
    fixture = await startTwoFactorAdmin();
    ann = await enrolFromAccountPage(fixture.origin, 'ann@example.com');
  });
  after(async () => {
    await fixture.close();
  });

  it('asks an enrolled staff member for a code after the password, and lets a right code in', async () => {
    const client = await passwordStep(fixture.origin, 'ann@example.com');
    const page = await client.request('/admin/login/two-factor');
    assert.equal(page.status, 200);
    assert.match(await page.text(), /autocomplete="one-time-code"/);
    const response = await client.request('/admin/login/two-factor', {
      form: { code: codeAhead(ann.secret) },
    });
    assert.equal(response.status, 303);
    assert.equal(response.headers.get('location'), '/admin');
    assert.ok(await isIn(client));
  });

  it('refuses a wrong code with a clear message and no session', async () => {
    const client = await passwordStep(fixture.origin, 'ann@example.com');
    const response = await client.request('/admin/login/two-factor', {
      form: { code: codeAhead(ann.secret, 12) },
    });
    assert.equal(response.status, 401);
    assert.match(await response.text(), /That code is not right/);
    assert.equal(await isIn(client), false);
  });

  it('refuses a code that was already used, even from a fresh login', async () => {
    const code = codeAhead(ann.secret, 1);
    const first = await passwordStep(fixture.origin, 'ann@example.com');
    // The first test may have used this very step already: then both are refused, which is the point.
    await first.request('/admin/login/two-factor', { form: { code } });
    const second = await passwordStep(fixture.origin, 'ann@example.com');
    const replay = await second.request('/admin/login/two-factor', { form: { code } });
    assert.equal(replay.status, 401);
    assert.match(await replay.text(), /already used/);
    assert.equal(await isIn(second), false);
  });

  it('lets exactly one of several parallel logins with the same code in', async () => {
    const bob = await enrolFromAccountPage(fixture.origin, 'bob@example.com');
    const clients = await Promise.all(
      Array.from({ length: 3 }, () => passwordStep(fixture.origin, 'bob@example.com')),
    );
    const code = codeAhead(bob.secret);
    const statuses = await Promise.all(
      clients.map(
        async (client) => (await client.request('/admin/login/two-factor', { form: { code } })).status,
      ),
    );
    assert.deepEqual([...statuses].sort(), [303, 401, 401]);
  });

  it('takes a recovery code once', async () => {
    const recovery = ann.codes[0]!;
    const client = await passwordStep(fixture.origin, 'ann@example.com');
    const used = await client.request('/admin/login/two-factor', { form: { code: recovery.toUpperCase() } });
    assert.equal(used.status, 303);
    assert.ok(await isIn(client));
    const again = await passwordStep(fixture.origin, 'ann@example.com');
    const reused = await again.request('/admin/login/two-factor', { form: { code: recovery } });
    assert.equal(reused.status, 401);
    assert.equal(await isIn(again), false);
    const status = await (await client.request('/admin/account/two-factor')).text();
    assert.match(status, /9 unused recovery codes left/);
  });

  it('throttles code guesses, parallel ones included: 5 checked, the rest 429 with Retry-After', async () => {
    const cid = await enrolFromAccountPage(fixture.origin, 'cid@example.com');
    const client = await passwordStep(fixture.origin, 'cid@example.com');
    const wrong = codeAhead(cid.secret, 15);
    const responses = await Promise.all(
      Array.from({ length: 12 }, () => client.request('/admin/login/two-factor', { form: { code: wrong } })),
    );
    const statuses = responses.map((response) => response.status);
    assert.equal(statuses.filter((status) => status === 401).length, 5, statuses.join());
    assert.equal(statuses.filter((status) => status === 429).length, 7);
    const limited = responses.find((response) => response.status === 429)!;
    assert.match(limited.headers.get('retry-after') ?? '', /^\d+$/);
    assert.match(await limited.text(), /Too many wrong codes/);
    // The right code is not even looked at while throttled.
    const right = await client.request('/admin/login/two-factor', { form: { code: codeAhead(cid.secret) } });
    assert.equal(right.status, 429);
    assert.equal(await isIn(client), false);
  });

  it('refuses cross-site posts to the code, enrolment and disable forms', async () => {
    const client = await passwordStep(fixture.origin, 'ann@example.com');
    for (const path of [
      '/admin/login/two-factor',
      '/admin/account/two-factor/enrol',
      '/admin/account/two-factor/disable',
    ])
      for (const headers of <Record<string, string>[]>[
        { 'sec-fetch-site': 'cross-site' },
        { 'sec-fetch-site': 'same-site' },
        { origin: 'http://evil.example' },
        { origin: 'null' },
      ]) {
        const response = await client.request(path, { form: { code: codeAhead(ann.secret) }, headers });
        assert.equal(response.status, 403, `${path} ${JSON.stringify(headers)}`);
        assert.equal(((await response.json()) as { error: string }).error, 'csrf_failed');
      }
    assert.equal(await isIn(client), false);
  });

  it('sends a session without a password step back to the login, for every two-factor page', async () => {
    const stranger = new Client(fixture.origin);
    for (const path of [
      '/admin/login/two-factor',
      '/admin/login/two-factor/enrol',
      '/admin/account/two-factor',
    ]) {
      const page = await stranger.request(path);
      assert.equal(page.status, 302, path);
      assert.equal(page.headers.get('location'), '/admin/login');
    }
    const post = await stranger.request('/admin/login/two-factor', { form: { code: '123456' } });
    assert.equal(post.status, 303);
    assert.equal(await isIn(stranger), false);
  });

  it('turns two-factor off only with a code', async () => {
    const dee = await enrolFromAccountPage(fixture.origin, 'dee@example.com');
    const client = await passwordStep(fixture.origin, 'dee@example.com');
    await client.request('/admin/login/two-factor', { form: { code: dee.codes[0]! } });
    const refused = await client.request('/admin/account/two-factor/disable', { form: { code: '000000' } });
    assert.equal(refused.status, 401);
    const off = await client.request('/admin/account/two-factor/disable', {
      form: { code: codeAhead(dee.secret) },
    });
    assert.equal(off.status, 303);
    assert.match(
      await (await client.request('/admin/account/two-factor')).text(),
      /is <strong>off<\/strong>/,
    );
    // The next login needs the password only.
    assert.equal(
      (await new Client(fixture.origin).login('dee@example.com')).headers.get('location'),
      '/admin',
    );
  });

  it("turning two-factor on or off ends the user's other admin sessions and keeps the one that did it", async () => {
    const em = fixture.db.orm.em.fork();
    em.create(User, { email: 'eve@example.com', passwordHash: await hashPassword(PASSWORD), isStaff: true });
    await em.flush();
    // A session taken before the owner turned two-factor on (a stolen cookie) must not outlive it.
    const stolen = new Client(fixture.origin);
    assert.equal((await stolen.login('eve@example.com')).headers.get('location'), '/admin');
    const owner = new Client(fixture.origin);
    assert.equal((await owner.login('eve@example.com')).headers.get('location'), '/admin');
    const html = await (await owner.request('/admin/account/two-factor')).text();
    const secret = secretOf(html)!;
    const enrolled = await owner.request('/admin/account/two-factor/enrol', {
      form: { code: totpCodeAt(secret) },
    });
    assert.equal(enrolled.status, 200);
    const [recoveryCode] = recoveryCodesOf(await enrolled.text());
    assert.ok(await isIn(owner), 'the session that turned it on stays in');
    assert.equal(await isIn(stolen), false, 'the other session ended');
    assert.equal((await stolen.request('/admin/api/resources/User/actions/list')).status, 401);

    // Turning it off ends the others too: a session that signed in with a code meanwhile.
    const other = await passwordStep(fixture.origin, 'eve@example.com');
    await other.request('/admin/login/two-factor', { form: { code: codeAhead(secret) } });
    assert.ok(await isIn(other));
    const off = await owner.request('/admin/account/two-factor/disable', { form: { code: recoveryCode! } });
    assert.equal(off.status, 303);
    assert.ok(await isIn(owner), 'the session that turned it off stays in');
    assert.equal(await isIn(other), false, 'the other session ended');
  });

  it("the account page shows each session its own secret: another session's is never confirmed", async () => {
    const em = fixture.db.orm.em.fork();
    em.create(User, { email: 'fay@example.com', passwordHash: await hashPassword(PASSWORD), isStaff: true });
    await em.flush();
    // Someone with the password opens the account page, notes the secret, and leaves it unconfirmed.
    const { secret: planted } = await shownSecret(
      fixture.origin,
      'fay@example.com',
      '/admin/account/two-factor',
    );
    const { client: owner, secret: own } = await shownSecret(
      fixture.origin,
      'fay@example.com',
      '/admin/account/two-factor',
    );
    assert.notEqual(own, planted, 'the owner’s session gets a fresh secret');
    const withPlanted = await owner.request('/admin/account/two-factor/enrol', {
      form: { code: totpCodeAt(planted) },
    });
    assert.equal(withPlanted.status, 401);
    assert.equal(secretOf(await withPlanted.text()), own);
    const done = await owner.request('/admin/account/two-factor/enrol', { form: { code: totpCodeAt(own) } });
    assert.equal(done.status, 200);
    // A code of the planted secret does not pass the login's code step.
    const login = await passwordStep(fixture.origin, 'fay@example.com');
    const refused = await login.request('/admin/login/two-factor', { form: { code: codeAhead(planted) } });
    assert.equal(refused.status, 401);
    assert.equal(await isIn(login), false);
  });

  it('turning two-factor on revokes the user’s token sessions and ends their auth sign-ins', async () => {
    const em = fixture.db.orm.em.fork();
    const gus = em.create(User, {
      email: 'gus@example.com',
      passwordHash: await hashPassword(PASSWORD),
      isStaff: true,
    });
    await em.flush();
    const now = new Date();
    const { sid } = await startUserSession(em.fork(), gus.id, [], { sessionAbsoluteTtlSeconds: 3600 }, now);
    const signIn = em.create(LoginSession, {
      id: 'a'.repeat(64),
      user: gus,
      authTime: now,
      amr: 'pwd',
      acr: null,
      createdAt: now,
      expiresAt: new Date(now.getTime() + 3_600_000),
      endedAt: null,
    });
    await em.flush();
    const owner = new Client(fixture.origin);
    await owner.login('gus@example.com');
    const secret = secretOf(await (await owner.request('/admin/account/two-factor')).text())!;
    const done = await owner.request('/admin/account/two-factor/enrol', {
      form: { code: totpCodeAt(secret) },
    });
    assert.equal(done.status, 200);
    assert.ok(await isIn(owner), 'the session that turned it on stays in');
    const session = await em.fork().findOneOrFail(Session, { id: sid });
    assert.ok(session.revokedAt);
    assert.equal(session.revokedReason, 'two_factor_enabled');
    assert.ok((await em.fork().findOneOrFail(LoginSession, { id: signIn.id })).endedAt, 'the sign-in ended');
  });

  it('never logs a secret, a code or a recovery code', () => {
    const logs = fixture.logs();
    assert.match(logs, /admin two-factor code refused/);
    assert.ok(!logs.includes(ann.secret), 'the TOTP secret is not logged');
    for (const code of ann.codes) assert.ok(!logs.includes(code) && !logs.includes(code.toUpperCase()));
    assert.doesNotMatch(logs, /"code":/);
  });
});

describe('admin two-factor required for staff (TWO_FACTOR_REQUIRED_FOR_STAFF=true)', () => {
  let fixture: TwoFactorAdmin;
  before(async () => {
    fixture = await startTwoFactorAdmin({ TWO_FACTOR_REQUIRED_FOR_STAFF: 'true' });
  });
  after(async () => {
    await fixture.close();
  });

  it('sends a staff member without an authenticator to enrol before they get a session', async () => {
    const client = new Client(fixture.origin);
    const login = await client.login('root@example.com');
    assert.equal(login.headers.get('location'), '/admin/login/two-factor/enrol');
    assert.equal(await isIn(client), false);
    const page = await client.request('/admin/login/two-factor/enrol');
    assert.equal(page.status, 200);
    const secret = secretOf(await page.text());
    assert.ok(secret);
    const wrong = await client.request('/admin/login/two-factor/enrol', {
      form: { code: codeAhead(secret, 9) },
    });
    assert.equal(wrong.status, 401);
    assert.equal(secretOf(await wrong.text()), secret, 'the same secret is offered again');
    assert.equal(await isIn(client), false);
    const done = await client.request('/admin/login/two-factor/enrol', {
      form: { code: totpCodeAt(secret) },
    });
    assert.equal(done.status, 200);
    assert.equal(recoveryCodesOf(await done.text()).length, 10);
    assert.ok(await isIn(client));
    // Required: it cannot be turned off, and the next login asks for a code.
    const off = await client.request('/admin/account/two-factor/disable', {
      form: { code: codeAhead(secret) },
    });
    assert.equal(off.status, 403);
    const next = await new Client(fixture.origin).login('root@example.com');
    assert.equal(next.headers.get('location'), '/admin/login/two-factor');
  });

  it('keeps the pending enrolment away from the code step and the code step away from the admin', async () => {
    const client = new Client(fixture.origin);
    await client.login('ann@example.com');
    const codeStep = await client.request('/admin/login/two-factor');
    assert.equal(codeStep.status, 302, 'an account with no authenticator has no code step');
    assert.equal((await client.request('/admin')).status, 302);
  });

  it('a login-time enrolment shows each login its own secret: one planted by another login is never confirmed', async () => {
    // Someone with the password is sent to enrol, notes the secret, and leaves.
    const enrol = '/admin/login/two-factor/enrol';
    const { client: attacker, secret: planted } = await shownSecret(fixture.origin, 'cid@example.com', enrol);
    // The owner logs in later: a fresh secret, and the planted one's code is refused.
    const { client: owner, secret: own } = await shownSecret(fixture.origin, 'cid@example.com', enrol);
    assert.notEqual(own, planted);
    const withPlanted = await owner.request('/admin/login/two-factor/enrol', {
      form: { code: totpCodeAt(planted) },
    });
    assert.equal(withPlanted.status, 401);
    assert.equal(secretOf(await withPlanted.text()), own, 'the owner’s page keeps the owner’s secret');
    const done = await owner.request('/admin/login/two-factor/enrol', { form: { code: totpCodeAt(own) } });
    assert.equal(done.status, 200);
    assert.ok(await isIn(owner));
    // The attacker's half-done login does not get in with the planted secret, nor does a new login.
    const late = await attacker.request('/admin/login/two-factor/enrol', {
      form: { code: totpCodeAt(planted) },
    });
    assert.notEqual(late.status, 200);
    assert.equal(await isIn(attacker), false);
    const again = await passwordStep(fixture.origin, 'cid@example.com');
    const refused = await again.request('/admin/login/two-factor', { form: { code: codeAhead(planted) } });
    assert.equal(refused.status, 401);
    assert.equal(await isIn(again), false);
  });

  it('a login-time enrolment begun with the old password cannot be finished after a password change', async () => {
    // The attacker has the stolen password, is sent to enrol, and scans the secret.
    const attacker = new Client(fixture.origin);
    await attacker.login('bob@example.com');
    const secret = secretOf(await (await attacker.request('/admin/login/two-factor/enrol')).text());
    assert.ok(secret);
    // The owner changes the password (as "change my password" and `tandem changepassword` do).
    const em = fixture.db.orm.em.fork();
    const bob = await em.findOneOrFail(User, { email: 'bob@example.com' });
    const passwordHash = await hashPassword('a brand new passphrase 42');
    await em.transactional(async (tx) => {
      await tx.nativeUpdate(User, { id: bob.id }, { passwordHash });
      await revokeUserSessions(tx, bob.id, 'password_changed');
    });
    assert.equal(await em.fork().count(UserTotp, { user: bob.id }), 0, 'the pending secret is gone');
    const done = await attacker.request('/admin/login/two-factor/enrol', {
      form: { code: totpCodeAt(secret) },
    });
    assert.equal(done.status, 303);
    assert.equal(done.headers.get('location'), '/admin/login');
    assert.equal(await isIn(attacker), false);
    // Nor can the stale pending login begin a new enrolment.
    const again = await attacker.request('/admin/login/two-factor/enrol');
    assert.equal(again.status, 302);
    assert.equal(await em.fork().count(UserTotp, { user: bob.id }), 0, 'nothing enrolled');
  });
});
