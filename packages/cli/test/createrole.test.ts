import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { AuditEntry, Role } from '@tandem/models';
import { createMigratedDatabase, testDialect, type MigratedTestDatabase } from '@tandem/models/testing';
import { tandem } from './helpers.js';

let db: MigratedTestDatabase;
let env: NodeJS.ProcessEnv;
before(async () => {
  db = await createMigratedDatabase();
  env = { DATABASE_URL: db.url, LOG_LEVEL: 'silent' };
});
after(() => db.close());

const roleNamed = (name: string) => db.orm.em.fork().findOne(Role, { name });

test(`createrole on ${testDialect()}: stores the permissions and scopes, and roles lists them`, async () => {
  const created = await tandem(
    [
      'createrole',
      'catalog editor',
      '--perm',
      'view_product',
      '--perm',
      'change_product',
      '--perm',
      'view_product',
      '--scope',
      'catalog:read',
    ],
    env,
  );
  assert.equal(created.code, 0, created.stderr);
  assert.match(created.stdout, /Role "catalog editor" created with permissions view_product, change_product/);
  const role = await roleNamed('catalog editor');
  assert.deepEqual(role?.permissions, ['view_product', 'change_product']);
  assert.deepEqual(role?.scopes, ['catalog:read']);
  const entry = await db.orm.em.fork().findOne(AuditEntry, { model: 'Role', recordId: String(role!.id) });
  assert.equal(entry?.actorEmail, 'command:createrole', 'the role is in the audit log, by the command');
  assert.equal(entry?.action, 'create');
  assert.deepEqual(entry?.diff, {
    name: { before: null, after: 'catalog editor' },
    permissions: { before: null, after: ['view_product', 'change_product'] },
    scopes: { before: null, after: ['catalog:read'] },
  });

  assert.equal((await tandem(['createrole', 'reader'], env)).code, 0);
  const listed = await tandem(['roles'], env);
  assert.equal(listed.code, 0, listed.stderr);
  assert.match(
    listed.stdout,
    /catalog editor\n {2}permissions: view_product, change_product\n {2}scopes: +catalog:read\n/,
  );
  assert.match(listed.stdout, /reader\n {2}permissions: -\n {2}scopes: +-\n/);
  const json = await tandem(['roles', '--json'], env);
  assert.deepEqual(JSON.parse(json.stdout), [
    { name: 'catalog editor', permissions: ['view_product', 'change_product'], scopes: ['catalog:read'] },
    { name: 'reader', permissions: [], scopes: [] },
  ]);
});

test('createrole warns of a scope nothing in this project asks for, and creates the role', async () => {
  const created = await tandem(
    ['createrole', 'typo role', '--scope', 'catlog:read', '--scope', 'catalog:read'],
    env,
  );
  assert.equal(created.code, 0, created.stderr);
  assert.match(created.stderr, /^warning: nothing in this project asks for scope "catlog:read" \(a typo\?\)/);
  assert.equal(created.stderr.split('\n').filter(Boolean).length, 1, 'catalog:read is known');
  assert.deepEqual((await roleNamed('typo role'))?.scopes, ['catlog:read', 'catalog:read']);
});

test('createrole refuses an unknown permission codename, naming it, and writes nothing', async () => {
  const result = await tandem(
    ['createrole', 'typo', '--perm', 'view_product', '--perm', 'veiw_product'],
    env,
  );
  assert.equal(result.code, 2);
  assert.match(result.stderr, /unknown permission codename: veiw_product\. Known: .*view_product/);
  assert.equal(await roleNamed('typo'), null);
});

test('createrole refuses a scope with spaces (one scope per --scope) and a malformed scope', async () => {
  const spaced = await tandem(['createrole', 'spaced', '--scope', 'catalog:read catalog:write'], env);
  assert.equal(spaced.code, 2);
  assert.match(spaced.stderr, /one scope per --scope, without spaces: "catalog:read catalog:write"/);
  const malformed = await tandem(['createrole', 'malformed', '--scope', 'Catalog:READ'], env);
  assert.equal(malformed.code, 1);
  assert.match(malformed.stderr, /scopes: Scopes are lowercase words such as catalog:read\./);
  assert.equal(await roleNamed('spaced'), null);
  assert.equal(await roleNamed('malformed'), null);
});

test('createrole refuses a duplicate name and keeps the existing role as it was', async () => {
  assert.equal((await tandem(['createrole', 'auditors', '--perm', 'view_auditentry'], env)).code, 0);
  const again = await tandem(['createrole', 'auditors', '--perm', 'delete_user'], env);
  assert.equal(again.code, 1);
  assert.match(again.stderr, /A role named "auditors" already exists/);
  assert.deepEqual((await roleNamed('auditors'))?.permissions, ['view_auditentry']);
});

test('createrole and roles refuse bad arguments with their usage', async () => {
  for (const [argv, message] of [
    [['createrole'], /NAME is required/],
    [['createrole', 'a', 'b'], /give exactly one NAME/],
    [['createrole', '   '], /NAME must not be blank/],
    [['createrole', 'x'.repeat(81)], /NAME is at most 80 characters/],
    [['createrole', 'x', '--permission', 'view_product'], /Unknown option '--permission'/],
    [['roles', 'extra'], /roles takes no arguments/],
  ] as const) {
    const result = await tandem([...argv], env);
    assert.equal(result.code, 2, argv.join(' '));
    assert.match(result.stderr, message);
  }
});
