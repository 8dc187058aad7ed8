/**
 * Attack: "Change my password" sent JSON whose fields are not text. The page read its fields as
 * strings without looking: `"newPassword": true` passed the password rules (`true.length` is
 * undefined, never too short) and hashing it threw, a 500. Any field that is not text is now a 400
 * naming the field, as the page's form shows its other errors, and nothing is checked or changed.
 * Runs on SQLite and PostgreSQL (DATABASE_URL).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { verifyPassword } from '@tandem/accounts';
import { User } from '@tandem/models';
import { testDialect } from '@tandem/models/testing';
import { Client, PASSWORD, startFixture, type Fixture } from './support.js';

interface PageAnswer {
  error?: string;
  notice?: { type: string; message: string };
  errors?: Record<string, string>;
}

const NEW_PASSWORD = 'a brand new passphrase';
/** Values a script can put in JSON that no form field sends. */
const NOT_TEXT: unknown[] = [
  true,
  12345678901,
  null,
  [NEW_PASSWORD],
  Array.from({ length: 12 }, () => 'x'),
  { length: 20 },
];

describe(`attack: change-password fields that are not text (${testDialect()})`, () => {
  let fixture: Fixture;
  let editor: Client;

  before(async () => {
    fixture = await startFixture();
    editor = new Client(fixture.origin);
    assert.equal((await editor.login('editor@example.com')).status, 302);
  });
  after(() => fixture.close());

  const change = async (json: Record<string, unknown>) => {
    const response = await editor.request('/admin/api/pages/changePassword', {
      json,
      headers: { 'sec-fetch-site': 'same-origin' },
    });
    return { status: response.status, body: (await response.json()) as PageAnswer };
  };
  const passwordIs = async (password: string) => {
    const user = await fixture.db.orm.em
      .fork()
      .findOneOrFail(User, fixture.ids.editor, { populate: ['passwordHash'] });
    return verifyPassword(user.passwordHash, password);
  };

  it('a new password that is not text is a 400 naming the field, and the password stays', async () => {
    for (const value of NOT_TEXT) {
      const { status, body } = await change({
        currentPassword: PASSWORD,
        newPassword: value,
        confirmPassword: value,
      });
      const shown = JSON.stringify(value);
      assert.equal(status, 400, `${shown}: ${JSON.stringify(body)}`);
      assert.equal(body.error, 'invalid_field');
      assert.equal(body.notice?.type, 'error');
      assert.match(body.errors?.newPassword ?? '', /text/, shown);
      assert.match(body.errors?.confirmPassword ?? '', /text/, shown);
      assert.equal(body.errors?.currentPassword, undefined, `${shown}: the current password was right`);
    }
    assert.ok(await passwordIs(PASSWORD), 'the password did not change');
  });

  it('a current password that is not text is a 400 too, and is not tried', async () => {
    for (const value of NOT_TEXT) {
      const { status, body } = await change({
        currentPassword: value,
        newPassword: NEW_PASSWORD,
        confirmPassword: NEW_PASSWORD,
      });
      assert.equal(status, 400, `${JSON.stringify(value)}: ${JSON.stringify(body)}`);
      assert.match(body.errors?.currentPassword ?? '', /text/);
    }
    assert.ok(await passwordIs(PASSWORD), 'the password did not change');
  });

  it('text fields still work: a wrong one is its field error, a right one changes the password', async () => {
    const short = await change({ currentPassword: PASSWORD, newPassword: 'short', confirmPassword: 'short' });
    assert.equal(short.status, 200);
    assert.match(short.body.errors?.newPassword ?? '', /at least 8/);
    // Malformed tries above were not guesses: the throttle still lets the owner through.
    const ok = await change({
      currentPassword: PASSWORD,
      newPassword: NEW_PASSWORD,
      confirmPassword: NEW_PASSWORD,
    });
    assert.equal(ok.status, 200, JSON.stringify(ok.body));
    assert.equal(ok.body.notice?.type, 'success');
    assert.ok(await passwordIs(NEW_PASSWORD));
  });
});
