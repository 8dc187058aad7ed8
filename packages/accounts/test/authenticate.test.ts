import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { User } from '@tandem/models';
import { createMigratedDatabase, testDialect, type MigratedTestDatabase } from '@tandem/models/testing';
import { authenticateUser, hashPassword } from '../src/index.js';

let db: MigratedTestDatabase;
before(async () => {
  db = await createMigratedDatabase();
  const em = db.orm.em.fork();
  const passwordHash = await hashPassword('s3cret-pass');
  em.create(User, { email: 'ann@example.com', passwordHash, isStaff: true });
  em.create(User, { email: 'gone@example.com', passwordHash, isActive: false });
  await em.flush();
});
after(() => db.close());

test(`authenticateUser on ${testDialect()}: right password, any email case`, async () => {
  const user = await authenticateUser(db.orm.em.fork(), ' Ann@Example.com', 's3cret-pass');
  assert.equal(user?.email, 'ann@example.com');
});

test('wrong password, unknown email and inactive account all give null', async () => {
  assert.equal(await authenticateUser(db.orm.em.fork(), 'ann@example.com', 'nope-nope'), null);
  assert.equal(await authenticateUser(db.orm.em.fork(), 'nobody@example.com', 's3cret-pass'), null);
  assert.equal(await authenticateUser(db.orm.em.fork(), 'gone@example.com', 's3cret-pass'), null);
});
