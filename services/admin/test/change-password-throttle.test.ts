/**
 * Attack: someone holding a staff member's session (a stolen cookie) guesses the password behind it on
 * "Change my password", which asks for the current one. Every try is counted by the login throttle,
 * as a login is: 30 parallel guesses get the allowed few checked, and the right password is refused
 * once the account is locked; the login page is locked for that account too (one count).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { verifyPassword } from '@tandem/accounts';
import { User } from '@tandem/models';
import { Client, PASSWORD, startFixture, type Fixture } from './support.js';

const ATTEMPTS = 3;

interface PageAnswer {
  notice?: { type: string; message: string };
  errors?: Record<string, string>;
}

describe('attack: guessing the current password on "Change my password"', () => {
  let fixture: Fixture;
  let stolen: Client;
  before(async () => {
    fixture = await startFixture({ LOGIN_THROTTLE_ATTEMPTS: String(ATTEMPTS) });
    stolen = new Client(fixture.origin);
    assert.equal((await stolen.login('editor@example.com')).status, 302);
  });
  after(() => fixture.close());

  const change = async (currentPassword: string): Promise<PageAnswer> => {
    const response = await stolen.request('/admin/api/pages/changePassword', {
      json: { currentPassword, newPassword: 'taken over password', confirmPassword: 'taken over password' },
    });
    return (await response.json()) as PageAnswer;
  };

  it('30 parallel guesses: the allowed few are wrong, the rest throttled, and then the right one too', async () => {
    const answers = await Promise.all(Array.from({ length: 30 }, (_, i) => change(`guess ${i}`)));
    const wrong = answers.filter((a) => /entered incorrectly/.test(a.errors?.currentPassword ?? ''));
    const throttled = answers.filter((a) => /Too many wrong passwords/.test(a.notice?.message ?? ''));
    assert.equal(wrong.length, ATTEMPTS, 'only the allowed guesses were checked');
    assert.equal(throttled.length, 30 - ATTEMPTS);
    const right = await change(PASSWORD);
    assert.match(right.notice?.message ?? '', /Too many wrong passwords/);
    const editor = await fixture.db.orm.em
      .fork()
      .findOneOrFail(User, fixture.ids.editor, { populate: ['passwordHash'] });
    assert.ok(await verifyPassword(editor.passwordHash, PASSWORD), 'the password was not changed');
    // One count with the login page: the account is locked there too.
    assert.equal((await new Client(fixture.origin).login('editor@example.com')).status, 429);
  });
});
