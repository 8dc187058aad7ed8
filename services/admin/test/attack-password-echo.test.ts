/**
 * Secrets in responses: creating or editing a user must not send the plain password (or any hash)
 * back, whether the save succeeds or fails, and no read action may reveal a hash either.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { User } from '@tandem/models';
import { Client, startFixtureAsRoot, type Fixture } from './support.js';

const SECRET = 'Plain text never leaves 42';

describe('attack: passwords and hashes echoed by the admin API', () => {
  let fixture: Fixture;
  let root: Client;
  const seen: string[] = [];

  /** Calls the API and keeps the raw response text for the final check. */
  const call = async (path: string, init: { method?: string; form?: Record<string, string> } = {}) => {
    const response = await root.request(`/admin/api${path}`, init);
    const text = await response.text();
    seen.push(`${path} ${text}`);
    return { status: response.status, text };
  };

  before(async () => {
    ({ fixture, root } = await startFixtureAsRoot());
  });
  after(() => fixture.close());

  it('never returns the password or its hash, on success or failure, from any action', async () => {
    const created = await call('/resources/User/actions/new', {
      form: { email: 'echo@example.com', password: SECRET, isStaff: 'true' },
    });
    assert.equal(created.status, 200);
    const id = (JSON.parse(created.text) as { record: { id: string } }).record.id;
    // Fails validation (duplicate email) after the password was read.
    await call('/resources/User/actions/new', { form: { email: 'echo@example.com', password: SECRET } });
    // Fails validation of the password itself.
    await call(`/resources/User/records/${id}/edit`, { form: { password: 'short' } });
    await call(`/resources/User/records/${id}/edit`, { form: { password: `${SECRET} again` } });
    await call(`/resources/User/records/${id}/edit`, { form: { email: 'not an email', password: SECRET } });
    await call(`/resources/User/records/${id}/edit`);
    await call(`/resources/User/records/${id}/show`);
    await call('/resources/User/actions/list');
    await call('/resources/User/actions/search/echo');
    await call(`/resources/User/bulk/bulkDelete?recordIds=${id}`);
    await call('/resources/User/actions/export');
    // The user list exported as the streamed download, in both formats.
    for (const format of ['csv', 'jsonl']) {
      const exported = await root.request(`/admin/export/User?format=${format}`);
      assert.equal(exported.status, 200);
      seen.push(`export ${format} ${await exported.text()}`);
    }

    const stored = await fixture.db.orm.em
      .fork()
      .findOneOrFail(User, Number(id), { populate: ['passwordHash'] });
    const leaks = seen.filter(
      (text) =>
        text.includes(SECRET) ||
        text.includes(stored.passwordHash) ||
        /\$argon2/.test(text) ||
        /"params":\{[^}]*"password(Hash)?"\s*:/.test(text),
    );
    assert.deepEqual(leaks, []);
  });
});
