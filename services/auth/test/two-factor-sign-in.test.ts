/**
 * Two-factor sign-in on the authorization page (HTTP level, real database): the code step after the
 * password, amr `pwd otp` in the ID token, replays and recovery codes, forged pending sign-ins,
 * throttled guesses (in parallel), cross-site posts, and enrolment forced for staff.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createLocalJWKSet, jwtVerify } from 'jose';
import { LoginSession, User } from '@tandem/models';
import { PENDING_SIGN_IN_SECONDS, purgeSpentSignIns } from '@tandem/tokens';
import { OTP_AMR, TwoFactor, totpCodeAt } from '@tandem/two-factor';
import { SECRET_KEY, createRole, createUser, getJson, startTestAuth, type TestAuth } from './support.js';
import {
  FormBrowser,
  REDIRECT_URI,
  authorizeQuery,
  createCodeClient,
  exchange,
  formFields,
  pkcePair,
  type CodeClient,
  type PageAnswer,
} from './code-flow-support.js';

const PASSWORD = 'correct horse battery staple';
const STEP_MS = 30_000;
const codeAhead = (secret: string, steps = 1) => totpCodeAt(secret, Date.now() + steps * STEP_MS);

function request(client: CodeClient, challenge: string) {
  return {
    response_type: 'code',
    client_id: client.clientId,
    redirect_uri: REDIRECT_URI,
    scope: 'openid catalog:read',
    state: 'st-2fa',
    nonce: 'n-2fa',
    code_challenge: challenge,
    code_challenge_method: 'S256',
  };
}

/** The password step of a first-party client's authorization page; returns the page that follows. */
async function passwordStep(auth: TestAuth, client: CodeClient, email: string) {
  const browser = new FormBrowser(auth.url);
  const { verifier, challenge } = pkcePair();
  const login = await browser.get(authorizeQuery(request(client, challenge)));
  assert.equal(login.status, 200);
  const next = await browser.post('/oauth/authorize', {
    ...formFields(login.html),
    email,
    password: PASSWORD,
  });
  return { browser, verifier, page: next };
}

const post = (browser: FormBrowser, page: PageAnswer, fields: Record<string, string>) =>
  browser.post('/oauth/authorize', { ...formFields(page.html), ...fields });

/** The ID token's amr after exchanging the code of a redirect. */
async function amrOf(auth: TestAuth, client: CodeClient, answer: PageAnswer, verifier: string) {
  assert.equal(answer.status, 303, answer.html.slice(0, 300));
  const back = new URL(answer.location!);
  const tokens = await exchange(auth, client, back.searchParams.get('code')!, verifier);
  assert.equal(tokens.status, 200, tokens.text);
  const jwks = createLocalJWKSet((await getJson(`${auth.url}/.well-known/jwks.json`)).body as never);
  const { payload } = await jwtVerify(String(tokens.body.id_token), jwks, { audience: client.clientId });
  return payload.amr;
}

/** A second client holding `browser`'s cookies as they are now: whoever has the browser at this moment. */
function copyOf(browser: FormBrowser): FormBrowser {
  const copy = new FormBrowser(browser.base);
  for (const [name, value] of browser.cookies) copy.cookies.set(name, value);
  return copy;
}

/** How many sign-ins (login_sessions rows) `email` has started. */
async function signInsOf(auth: TestAuth, email: string): Promise<number> {
  const user = await auth.db.orm.em.fork().findOneOrFail(User, { email });
  return auth.db.orm.em.fork().count(LoginSession, { user: user.id });
}

async function enrol(auth: TestAuth, twoFactor: TwoFactor, email: string) {
  const user = await auth.db.orm.em.fork().findOneOrFail(User, { email });
  const enrolment = await twoFactor.beginEnrolment(user, 'attempt:test');
  assert.ok(enrolment);
  const confirmed = await twoFactor.confirmEnrolment(
    user,
    'attempt:test',
    totpCodeAt(enrolment.secret),
    '127.0.0.2',
  );
  assert.ok(confirmed.ok);
  return { secret: enrolment.secret, recoveryCodes: confirmed.recoveryCodes };
}

describe('two-factor sign-in on the authorization page', () => {
  let auth: TestAuth;
  let client: CodeClient;
  let twoFactor: TwoFactor;
  let ann: { secret: string; recoveryCodes: readonly string[] };

  before(async () => {
    auth = await startTestAuth({ LOGIN_THROTTLE_ATTEMPTS: '4' });
    await createRole(auth, 'reader', ['catalog:read']);
    for (const email of ['ann@example.com', 'bob@example.com', 'plain@example.com'])
      await createUser(auth, email, PASSWORD, ['reader']);
    client = await createCodeClient(auth, { isPublic: true, isFirstParty: true });
    // The same secret key and database as the service: enrolments made here are the service's.
    twoFactor = new TwoFactor({
      em: auth.db.orm.em,
      secretKey: SECRET_KEY,
      issuer: 'Tandem',
      throttle: { attempts: 50, windowSeconds: 60 },
    });
    ann = await enrol(auth, twoFactor, 'ann@example.com');
  });
  after(async () => {
    await twoFactor.close();
    await auth.close();
  });

  it('a user without a second factor signs in with the password alone (amr pwd)', async () => {
    const { page, verifier } = await passwordStep(auth, client, 'plain@example.com');
    assert.deepEqual(await amrOf(auth, client, page, verifier), ['pwd']);
  });

  it('asks an enrolled user for a code; a right code ends in an ID token with amr pwd otp', async () => {
    const { browser, page, verifier } = await passwordStep(auth, client, 'ann@example.com');
    assert.equal(page.status, 200);
    assert.match(page.html, /Two-factor sign-in/);
    assert.match(page.html, /autocomplete="one-time-code"/);
    assert.equal(formFields(page.html).step, 'otp');
    const done = await post(browser, page, { code: codeAhead(ann.secret) });
    assert.deepEqual(await amrOf(auth, client, done, verifier), ['pwd', OTP_AMR]);
  });

  it('refuses a wrong code and a code already used, on the page and without a redirect', async () => {
    const code = codeAhead(ann.secret);
    // This code's step is spent after this post (by it, or by the test before if the clock did not move).
    const first = await passwordStep(auth, client, 'ann@example.com');
    await post(first.browser, first.page, { code });
    const { browser, page } = await passwordStep(auth, client, 'ann@example.com');
    const wrong = await post(browser, page, { code: codeAhead(ann.secret, 14) });
    assert.equal(wrong.status, 401);
    assert.equal(wrong.location, undefined);
    assert.match(wrong.html, /That code is not right/);
    const reused = await post(browser, wrong, { code });
    assert.equal(reused.status, 401);
    assert.equal(reused.location, undefined);
    assert.match(reused.html, /already used/);
  });

  it('takes a recovery code once', async () => {
    const recovery = ann.recoveryCodes[0]!;
    const first = await passwordStep(auth, client, 'ann@example.com');
    const used = await post(first.browser, first.page, { code: recovery });
    assert.deepEqual(await amrOf(auth, client, used, first.verifier), ['pwd', OTP_AMR]);
    const second = await passwordStep(auth, client, 'ann@example.com');
    const again = await post(second.browser, second.page, { code: recovery });
    assert.equal(again.status, 401);
  });

  it('finishes a pending sign-in once, even when two right codes are posted at once', async () => {
    await createUser(auth, 'cy@example.com', PASSWORD, ['reader']);
    const cy = await enrol(auth, twoFactor, 'cy@example.com');
    const { browser, page } = await passwordStep(auth, client, 'cy@example.com');
    // Whoever holds the browser's cookies of this moment (the page's back button, a copied request).
    const held = copyOf(browser);
    // Both codes are right (a current code and an unused recovery code): only the attempt can refuse one.
    const answers = await Promise.all([
      post(browser, page, { code: codeAhead(cy.secret) }),
      post(copyOf(held), page, { code: cy.recoveryCodes[0]! }),
    ]);
    assert.deepEqual(answers.map((a) => a.status).sort(), [303, 400]);
    const refused = answers.find((a) => a.status === 400)!;
    assert.equal(refused.location, undefined);
    assert.match(refused.html, /already completed/);
    // Later, with the cookies of that moment and another right code: still refused.
    const later = await post(held, page, { code: cy.recoveryCodes[1]! });
    assert.equal(later.status, 400);
    assert.equal(later.location, undefined);
    assert.equal(await signInsOf(auth, 'cy@example.com'), 1);
    // The refused replay did not spend the recovery code it brought: a new sign-in takes it.
    const fresh = await passwordStep(auth, client, 'cy@example.com');
    assert.equal((await post(fresh.browser, fresh.page, { code: cy.recoveryCodes[1]! })).status, 303);
  });

  it('refuses a forged, altered or skipped pending sign-in', async () => {
    const { browser, page } = await passwordStep(auth, client, 'ann@example.com');
    const pending = formFields(page.html).pending!;
    const [body, mac] = pending.split('.');
    const forgedBody = Buffer.from(
      JSON.stringify({ u: 1, m: ['pwd', 'otp'], e: Date.now() + 60_000 }),
    ).toString('base64url');
    // A MAC with its first character changed (to one it is not: 'x' when it begins with 'x' would be unaltered).
    const alteredMac = `${mac!.startsWith('x') ? 'y' : 'x'}${mac!.slice(1)}`;
    for (const value of [`${forgedBody}.${mac}`, `${body}.${alteredMac}`, '', 'a.b.c']) {
      const answer = await post(browser, page, { pending: value, code: codeAhead(ann.secret, 3) });
      assert.equal(answer.status, 400, value);
      assert.equal(answer.location, undefined);
      assert.match(answer.html, /Sign in again/);
    }
    // The password step's pending sign-in cannot jump to the step after an enrolment.
    const skipped = await post(browser, page, { step: 'otp-continue' });
    assert.equal(skipped.status, 400);
    assert.equal(skipped.location, undefined);
  });

  it('refuses cross-site posts of the code form', async () => {
    const { browser, page } = await passwordStep(auth, client, 'ann@example.com');
    const crossSite: Record<string, string>[] = [
      { 'Sec-Fetch-Site': 'cross-site', Origin: 'https://evil.example' },
      { 'Sec-Fetch-Site': 'same-site' },
    ];
    for (const headers of crossSite) {
      const answer = await browser.post(
        '/oauth/authorize',
        { ...formFields(page.html), code: codeAhead(ann.secret, 2) },
        headers,
      );
      assert.equal(answer.status, 403);
      assert.equal(answer.location, undefined);
    }
    const noToken = await post(browser, page, { csrf: 'forged', code: codeAhead(ann.secret, 2) });
    assert.equal(noToken.status, 403);
  });

  it('throttles code guesses: of 12 parallel wrong codes only 4 are checked', async () => {
    const bob = await enrol(auth, twoFactor, 'bob@example.com');
    const { browser, page } = await passwordStep(auth, client, 'bob@example.com');
    const wrong = codeAhead(bob.secret, 16);
    const answers = await Promise.all(Array.from({ length: 12 }, () => post(browser, page, { code: wrong })));
    const statuses = answers.map((answer) => answer.status);
    assert.equal(statuses.filter((status) => status === 401).length, 4, statuses.join());
    assert.equal(statuses.filter((status) => status === 429).length, 8);
    assert.match(answers.find((answer) => answer.status === 429)!.headers.get('retry-after') ?? '', /^\d+$/);
    const right = await post(browser, page, { code: codeAhead(bob.secret) });
    assert.equal(right.status, 429, 'the right code is not looked at while throttled');
    assert.equal(right.location, undefined);
  });

  it('logs no secret, code or recovery code', () => {
    const logs = auth.logs.join('\n');
    assert.match(logs, /sign-in code refused/);
    assert.ok(!logs.includes(ann.secret));
    for (const code of ann.recoveryCodes) assert.ok(!logs.includes(code));
  });
});

describe('two-factor required for staff on the authorization page', () => {
  let auth: TestAuth;
  let client: CodeClient;

  before(async () => {
    auth = await startTestAuth({ TWO_FACTOR_REQUIRED_FOR_STAFF: 'true' });
    await createRole(auth, 'reader', ['catalog:read']);
    await createUser(auth, 'staff@example.com', PASSWORD, ['reader']);
    await createUser(auth, 'customer@example.com', PASSWORD, ['reader']);
    await auth.db.orm.em.fork().nativeUpdate(User, { email: 'staff@example.com' }, { isStaff: true });
    client = await createCodeClient(auth, { isPublic: true, isFirstParty: true });
  });
  after(() => auth.close());

  it('enrols a staff member after the password, shows the recovery codes, then signs in with amr pwd otp', async () => {
    const { browser, page, verifier } = await passwordStep(auth, client, 'staff@example.com');
    assert.equal(page.status, 200);
    assert.match(page.html, /Set up two-factor sign-in/);
    assert.match(page.html, /<svg [^>]*aria-label="QR code/);
    const secret = /id="totp-secret">([A-Z2-7]+)</.exec(page.html)?.[1];
    assert.ok(secret);
    const wrong = await post(browser, page, { code: codeAhead(secret, 9) });
    assert.equal(wrong.status, 401);
    assert.equal(/id="totp-secret">([A-Z2-7]+)</.exec(wrong.html)?.[1], secret);
    const codes = await post(browser, wrong, { code: totpCodeAt(secret) });
    assert.equal(codes.status, 200);
    assert.equal([...codes.html.matchAll(/<li><code>[a-z2-9]{5}-[a-z2-9]{5}<\/code><\/li>/g)].length, 10);
    assert.equal(formFields(codes.html).step, 'otp-continue');
    const done = await post(browser, codes, {});
    assert.deepEqual(await amrOf(auth, client, done, verifier), ['pwd', OTP_AMR]);
  });

  /** A new staff member through the password step and the enrolment: the recovery codes page. */
  async function enrolledStaff(email: string) {
    await createUser(auth, email, PASSWORD, ['reader']);
    await auth.db.orm.em.fork().nativeUpdate(User, { email }, { isStaff: true });
    const { browser, page } = await passwordStep(auth, client, email);
    const secret = /id="totp-secret">([A-Z2-7]+)</.exec(page.html)?.[1];
    assert.ok(secret);
    const codes = await post(browser, page, { code: totpCodeAt(secret) });
    assert.equal(formFields(codes.html).step, 'otp-continue');
    return { browser, codes };
  }

  it("finishes an enrolment's sign-in once: its continue form posted again or twice at once is refused", async () => {
    const { browser, codes } = await enrolledStaff('staff2@example.com');
    // Whoever holds the browser's cookies of this moment (the page's back button, a copied request).
    const held = copyOf(browser);
    const answers = await Promise.all([post(browser, codes, {}), post(copyOf(held), codes, {})]);
    assert.deepEqual(answers.map((a) => a.status).sort(), [303, 400]);
    const again = await post(held, codes, {});
    assert.equal(again.status, 400);
    assert.equal(again.location, undefined);
    assert.match(again.html, /already completed/);
    assert.equal(await signInsOf(auth, 'staff2@example.com'), 1);
  });

  it('keeps the ended sign-in of a pending sign-in while that pending sign-in could be posted', async () => {
    const { browser, codes } = await enrolledStaff('staff3@example.com');
    const held = copyOf(browser);
    assert.equal((await post(browser, codes, {})).status, 303);
    // Signed out at once, and the maintenance round's purge runs right after.
    const user = await auth.db.orm.em.fork().findOneOrFail(User, { email: 'staff3@example.com' });
    await auth.db.orm.em.fork().nativeUpdate(LoginSession, { user: user.id }, { endedAt: new Date() });
    await purgeSpentSignIns(auth.db.orm.em.fork(), new Date());
    assert.equal(await signInsOf(auth, 'staff3@example.com'), 1);
    const replayed = await post(held, codes, {});
    assert.equal(replayed.status, 400);
    assert.equal(replayed.location, undefined);
    assert.match(replayed.html, /already completed/);
    // Once no pending sign-in of that time can be opened, the row goes like any ended sign-in.
    await purgeSpentSignIns(
      auth.db.orm.em.fork(),
      new Date(Date.now() + (PENDING_SIGN_IN_SECONDS + 60) * 1000),
    );
    assert.equal(await signInsOf(auth, 'staff3@example.com'), 0);
  });

  it('does not ask a user who is not staff', async () => {
    const { page, verifier } = await passwordStep(auth, client, 'customer@example.com');
    assert.deepEqual(await amrOf(auth, client, page, verifier), ['pwd']);
  });
});
