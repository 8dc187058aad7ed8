/**
 * Remembering consent is one atomic statement: a user allowing a third-party app in several tabs at
 * once (each tab asking for different scopes) gets a code in every tab, never a 500 from a unique
 * violation, exactly one consent row, and the union of what every tab allowed (no tab's answer lost
 * to another's read-then-write). Real auth service and database (SQLite, or PostgreSQL with
 * DATABASE_URL), parallel HTTP requests as browsers send them.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { testDialect } from '@tandem/models/testing';
import { Consent } from '@tandem/models';
import { createRole, createUser, startTestAuth, type TestAuth } from './support.js';
import {
  FormBrowser,
  REDIRECT_URI,
  authorizeQuery,
  createCodeClient,
  formFields,
  pkcePair,
  type CodeClient,
} from './code-flow-support.js';

const PASSWORD = 'correct horse battery staple';
const SCOPES = ['catalog:read', 'catalog:write', 'orders:read', 'orders:write', 'reports:read', 'stock:read'];

describe(`consent remembered atomically under parallel tabs (${testDialect()})`, () => {
  let auth: TestAuth;
  let app: CodeClient;

  before(async () => {
    auth = await startTestAuth();
    await createRole(auth, 'everything', SCOPES);
    app = await createCodeClient(auth, { scopes: SCOPES, isFirstParty: false });
  });
  after(() => auth.close());

  const query = (scope: string) => ({
    response_type: 'code',
    client_id: app.clientId,
    redirect_uri: REDIRECT_URI,
    scope,
    code_challenge: pkcePair().challenge,
    code_challenge_method: 'S256',
  });

  /** A browser signed in as a new user, and one consent form per tab (each asking for other scopes). */
  const openTabs = async (email: string, scopesPerTab: readonly string[]) => {
    await createUser(auth, email, PASSWORD, ['everything']);
    const browser = new FormBrowser(auth.url);
    const login = await browser.get(authorizeQuery(query(scopesPerTab[0]!)));
    const first = await browser.post('/oauth/authorize', {
      ...formFields(login.html),
      email,
      password: PASSWORD,
    });
    assert.match(first.html, /name="decision"/, 'the consent page follows the sign-in');
    const forms = [formFields(first.html)];
    for (const scope of scopesPerTab.slice(1)) {
      const page = await browser.get(authorizeQuery(query(scope)));
      assert.match(page.html, /name="decision"/);
      forms.push(formFields(page.html));
    }
    return { browser, forms };
  };
  const consentRows = async (email: string) =>
    auth.db.orm.em.fork().find(Consent, { user: { email } }, { fields: ['scope'] });

  it('every tab allowing at once gets its code; one row holds every scope allowed', async () => {
    for (let round = 0; round < 3; round += 1) {
      const email = `tabs${round}@example.com`;
      const { browser, forms } = await openTabs(email, SCOPES);
      const answers = await Promise.all(
        forms.map((form) => browser.post('/oauth/authorize', { ...form, decision: 'allow' })),
      );
      for (const answer of answers) {
        assert.equal(answer.status, 303, answer.html.slice(0, 300));
        assert.ok(new URL(answer.location!).searchParams.get('code'), answer.location);
      }
      const rows = await consentRows(email);
      assert.equal(rows.length, 1, 'one consent per user and client');
      assert.deepEqual(rows[0]!.scope.split(' ').sort(), [...SCOPES].sort(), 'no tab’s scopes lost');
      // Every scope is remembered: asking for all of them again goes straight back with a code.
      const again = await browser.get(authorizeQuery(query(SCOPES.join(' '))));
      assert.ok(again.location?.includes('code='), again.html.slice(0, 300));
    }
  });

  it('the same scopes allowed twice at once: one row, no duplicated scope', async () => {
    const email = 'twice@example.com';
    const { browser, forms } = await openTabs(email, [
      'catalog:read orders:read',
      'orders:read catalog:read',
    ]);
    const answers = await Promise.all(
      [...forms, ...forms].map((form) => browser.post('/oauth/authorize', { ...form, decision: 'allow' })),
    );
    for (const answer of answers) assert.equal(answer.status, 303, answer.html.slice(0, 300));
    const rows = await consentRows(email);
    assert.equal(rows.length, 1);
    assert.deepEqual(rows[0]!.scope.split(' ').sort(), ['catalog:read', 'orders:read']);
  });
});
