/** A staff member holding exactly some permissions (through one role of their own), logged in. */
import assert from 'node:assert/strict';
import { hashPassword } from '@tandem/accounts';
import { Role, User } from '@tandem/models';
import { Client, PASSWORD, type Fixture } from './support.js';

export async function staffWith(fixture: Fixture, email: string, permissions: string[]): Promise<Client> {
  const em = fixture.db.orm.em.fork();
  const role = em.create(Role, { name: `${email} role`, scopes: [], permissions });
  const user = em.create(User, { email, passwordHash: await hashPassword(PASSWORD), isStaff: true });
  user.roles.add(role);
  await em.flush();
  const client = new Client(fixture.origin);
  assert.equal((await client.login(email)).status, 302, `${email} logs in`);
  return client;
}
