/**
 * The consent page names each requested scope, with a description for the ones it knows. A scope a
 * client and a role really hold may be named like an Object.prototype member: the page must list it
 * by its name, not crash with a 500 looking it up. `constructor` is the one member name a scope can
 * have (scopes are lowercase words). Real auth service and database (SQLite, or PostgreSQL with
 * DATABASE_URL).
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { testDialect } from '@tandem/models/testing';
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
const ODD_SCOPES = ['constructor'];

describe(`consent page with scopes named like Object.prototype members (${testDialect()})`, () => {
  let auth: TestAuth;
  let client: CodeClient;

  before(async () => {
    auth = await startTestAuth();
    await createRole(auth, 'odd', ODD_SCOPES);
    await createUser(auth, 'odd@example.com', PASSWORD, ['odd']);
    client = await createCodeClient(auth, { scopes: ODD_SCOPES });
  });
  after(() => auth.close());

  for (const scope of ODD_SCOPES)
    it(`lists scope ${scope} by its name and lets the user allow it`, async () => {
      const browser = new FormBrowser(auth.url);
      const query = authorizeQuery({
        response_type: 'code',
        client_id: client.clientId,
        redirect_uri: REDIRECT_URI,
        scope: `openid ${scope}`,
        code_challenge: pkcePair().challenge,
        code_challenge_method: 'S256',
      });
      const login = await browser.get(query);
      assert.equal(login.status, 200);
      const consent = await browser.post('/oauth/authorize', {
        ...formFields(login.html),
        email: 'odd@example.com',
        password: PASSWORD,
      });
      assert.equal(consent.status, 200, consent.html.slice(0, 300));
      assert.match(consent.html, new RegExp(`<li>${scope}</li>`));
      assert.match(consent.html, /<li>Know who you are \(your account id\)<\/li>/);
      const allowed = await browser.post('/oauth/authorize', {
        ...formFields(consent.html),
        decision: 'allow',
      });
      assert.equal(allowed.status, 303, allowed.html.slice(0, 300));
      assert.ok(new URL(allowed.location!).searchParams.get('code'));
    });
});
