/**
 * Mass assignment through the AdminJS API: protected fields sent in every shape AdminJS's flattened
 * forms allow (`f=x`, `f.0=x`, `f.a=x`, `f.a.b=x`, `__proto__.f=x`, `constructor.prototype.f=x`), to
 * every model, by a superuser (so only the allow-list can refuse them) and, for the superuser flag, by
 * a staff member with change_user. Each must be refused (400/403) and leave the database as it was.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { hashPassword } from '@tandem/accounts';
import { AuditEntry, Client as ClientEntity, Role, Session, SigningKey, User } from '@tandem/models';
import { ensureSigningKeys } from '@tandem/tokens';
import { Client, PASSWORD, startFixture, type Fixture } from './support.js';

const SECRET_KEY = 'test-secret-key-that-is-long-enough-0123456789';

interface Target {
  readonly model: string;
  /** The record attacked through `edit` (undefined: only `new`). */
  readonly id: () => string | number;
  /** A valid form for `new` and a harmless change for `edit`, so only the protected field is wrong. */
  readonly form: Record<string, string>;
  readonly protectedFields: Record<string, string>;
}

/** Every way AdminJS's flattened forms let a field arrive. */
function shapes(field: string, value: string): Array<Record<string, string>> {
  return [
    { [field]: value },
    { [`${field}.0`]: value },
    { [`${field}.a`]: value },
    { [`${field}.a.b`]: value },
    { [`${field}.0`]: value, [`${field}.1`]: value },
    { [`__proto__.${field}`]: value },
    { [`constructor.prototype.${field}`]: value },
  ];
}

describe('attack: mass assignment of protected fields', () => {
  let fixture: Fixture;
  let root: Client;
  let manager: Client;
  let managerId: number;
  let roleId: number;
  let clientId: number;
  let sessionId: string;
  let keyId: number;
  let auditId: number;

  /** The whole row, hidden columns included, straight from the table. */
  const row = async (model: string, id: string | number) => {
    const em = fixture.db.orm.em.fork();
    const meta = fixture.db.orm.getMetadata().get(model);
    const table = em.getPlatform().quoteIdentifier(meta.tableName);
    const rows = await em.getConnection().execute(`select * from ${table} where id = ?`, [id]);
    return JSON.stringify(rows);
  };
  const count = async (model: string) => fixture.db.orm.em.fork().count(model, {});

  before(async () => {
    fixture = await startFixture();
    const em = fixture.db.orm.em.fork();
    const managers = em.create(Role, {
      name: 'user managers',
      scopes: [],
      permissions: ['view_user', 'add_user', 'change_user'],
    });
    const user = em.create(User, {
      email: 'manager@example.com',
      passwordHash: await hashPassword(PASSWORD),
      isStaff: true,
    });
    user.roles.add(managers);
    const client = em.create(ClientEntity, {
      name: 'Sync',
      clientId: 'tc_attack',
      secretHash: 'a'.repeat(64),
      scopes: ['catalog:read'],
    });
    await em.flush();
    sessionId = randomUUID();
    em.create(Session, {
      id: sessionId,
      user: em.getReference(User, fixture.ids.editor),
      client: null,
      grantType: 'password',
      scope: 'catalog:read',
      expiresAt: new Date(Date.now() + 86_400_000),
    });
    await em.flush();
    await ensureSigningKeys(fixture.db.orm.em, SECRET_KEY);
    keyId = (await fixture.db.orm.em.fork().findOneOrFail(SigningKey, { id: { $gt: 0 } })).id;
    managerId = user.id;
    roleId = managers.id;
    clientId = client.id;
    root = new Client(fixture.origin);
    manager = new Client(fixture.origin);
    assert.equal((await root.login('root@example.com')).status, 302);
    assert.equal((await manager.login('manager@example.com')).status, 302);
    // One audit entry to attack (a plain edit writes it).
    await root.api(`/resources/Category/records/${fixture.ids.categories[1]}/edit`, {
      form: { name: 'Kitchens' },
    });
    auditId = (await fixture.db.orm.em.fork().findOneOrFail(AuditEntry, { model: 'Category' })).id;
  });
  after(() => fixture.close());

  const targets = (): Target[] => [
    {
      model: 'Product',
      id: () => fixture.ids.products[0]!,
      form: {
        sku: 'NEW-1',
        name: 'New',
        priceCents: '100',
        currency: 'EUR',
        category: String(fixture.ids.categories[0]),
      },
      protectedFields: {
        id: '999',
        createdAt: '2000-01-01T00:00:00.000Z',
        updatedAt: '2000-01-01T00:00:00.000Z',
      },
    },
    {
      model: 'Category',
      id: () => fixture.ids.categories[0]!,
      form: { name: 'New', slug: 'new-category' },
      protectedFields: { id: '999', createdAt: '2000-01-01T00:00:00.000Z' },
    },
    {
      model: 'User',
      id: () => managerId,
      form: { email: 'new@example.com', password: 'a long enough password', isStaff: 'true' },
      protectedFields: {
        id: '999',
        passwordHash: '$argon2id$v=19$m=65536,t=3,p=4$forged',
        createdAt: '2000-01-01T00:00:00.000Z',
        lastLoginAt: '2000-01-01T00:00:00.000Z',
      },
    },
    {
      model: 'Role',
      id: () => roleId,
      form: { name: 'new role' },
      protectedFields: { id: '999' },
    },
    {
      model: 'Client',
      id: () => clientId,
      form: { name: 'New client', 'scopes.0': 'catalog:read' },
      protectedFields: {
        id: '999',
        clientId: 'tc_forged',
        secretHash: 'b'.repeat(64),
        isActive: 'false',
        createdAt: '2000-01-01T00:00:00.000Z',
      },
    },
    {
      model: 'Session',
      id: () => sessionId,
      form: { scope: 'catalog:write' },
      protectedFields: { revokedAt: '2000-01-01T00:00:00.000Z', user: String(fixture.ids.superuser) },
    },
    {
      model: 'SigningKey',
      id: () => keyId,
      form: { state: 'retired' },
      protectedFields: { kid: 'forged', privateKeyEncrypted: 'x' },
    },
    {
      model: 'AuditEntry',
      id: () => auditId,
      form: { action: 'forged' },
      protectedFields: { actorEmail: 'someone@example.com', diff: '{}' },
    },
  ];

  it('refuses protected fields of every model, in every form shape, and changes nothing', async () => {
    const failures: string[] = [];
    for (const target of targets()) {
      for (const [field, value] of Object.entries(target.protectedFields)) {
        for (const shape of shapes(field, value)) {
          const label = `${target.model} ${JSON.stringify(shape)}`;
          const id = target.id();
          const rowBefore = await row(target.model, id);
          const countBefore = await count(target.model);
          const edit = await root.api(`/resources/${target.model}/records/${id}/edit`, {
            form: { ...target.form, ...shape },
          });
          const created = await root.api(`/resources/${target.model}/actions/new`, {
            form: { ...target.form, ...shape },
          });
          for (const [action, response] of [
            ['edit', edit],
            ['new', created],
          ] as const) {
            if (response.status !== 400 && response.status !== 403)
              failures.push(`${action} ${label}: ${response.status} ${JSON.stringify(response.body)}`);
            else if (typeof response.body.message !== 'string' && typeof response.body.notice !== 'object')
              failures.push(`${action} ${label}: no message`);
          }
          if ((await row(target.model, id)) !== rowBefore) failures.push(`edit ${label}: the row changed`);
          if ((await count(target.model)) !== countBefore) failures.push(`new ${label}: a row was created`);
        }
      }
    }
    assert.equal(({} as Record<string, unknown>).createdAt, undefined, 'Object.prototype untouched');
    assert.deepEqual(failures, []);
  });

  it('keeps a change_user staff member from granting superuser, in any form shape', async () => {
    const failures: string[] = [];
    const forms = [...shapes('isSuperuser', 'true'), { isSuperuser: 'on' }, { isSuperuser: '1' }];
    for (const shape of forms) {
      const countBefore = await count('User');
      const edit = await manager.api(`/resources/User/records/${managerId}/edit`, {
        form: { isActive: 'true', ...shape },
      });
      const created = await manager.api('/resources/User/actions/new', {
        form: {
          email: `x${randomUUID().slice(0, 8)}@example.com`,
          password: 'a long enough password',
          ...shape,
        },
      });
      if (![400, 403].includes(edit.status)) failures.push(`edit ${JSON.stringify(shape)}: ${edit.status}`);
      if (![400, 403].includes(created.status))
        failures.push(`new ${JSON.stringify(shape)}: ${created.status}`);
      if (
        await fixture.db.orm.em.fork().count(User, { isSuperuser: true, id: { $ne: fixture.ids.superuser } })
      )
        failures.push(`${JSON.stringify(shape)}: someone became superuser`);
      if ((await count('User')) !== countBefore)
        failures.push(`new ${JSON.stringify(shape)}: a user was created`);
    }
    assert.deepEqual(failures, []);
    const plain = await manager.api(`/resources/User/records/${managerId}/edit`, {
      form: { isSuperuser: 'true' },
    });
    assert.equal(plain.status, 403);
    assert.equal(plain.body.error, 'superuser_only');
  });

  it('still lets change_user manage ordinary accounts, and a superuser grant superuser', async () => {
    const made = await manager.api<{ record: { id: string }; notice: { type: string } }>(
      '/resources/User/actions/new',
      {
        form: {
          email: 'staffer@example.com',
          password: 'a long enough password',
          isStaff: 'true',
          isSuperuser: 'false',
        },
      },
    );
    assert.equal(made.status, 200, JSON.stringify(made.body));
    assert.equal(made.body.notice.type, 'success');
    const id = Number(made.body.record.id);
    const staffer = await fixture.db.orm.em.fork().findOneOrFail(User, id);
    assert.equal(staffer.isStaff, true);
    assert.equal(staffer.isSuperuser, false);
    const takeover = await manager.api(`/resources/User/records/${fixture.ids.superuser}/edit`, {
      form: { password: 'taken over password' },
    });
    assert.equal(takeover.status, 403);
    const granted = await root.api<{ notice: { type: string } }>(`/resources/User/records/${id}/edit`, {
      form: { isSuperuser: 'true' },
    });
    assert.equal(granted.body.notice.type, 'success');
    assert.equal((await fixture.db.orm.em.fork().findOneOrFail(User, id)).isSuperuser, true);
  });

  it('accepts the edit form as the browser sends it: the whole record back, one field changed', async () => {
    const id = fixture.ids.products[1]!;
    const page = await root.api<{ record: { params: Record<string, unknown> } }>(
      `/resources/Product/records/${id}/edit`,
    );
    const form: Record<string, string> = {};
    for (const [key, value] of Object.entries(page.body.record.params))
      form[key] =
        value === null
          ? '__FORM_VALUE_NULL__'
          : Array.isArray(value)
            ? '__FORM_VALUE_EMPTY_ARRAY__'
            : String(value);
    form.name = 'Renamed rake';
    const saved = await root.api<{ notice: { type: string } }>(`/resources/Product/records/${id}/edit`, {
      form,
    });
    assert.equal(saved.status, 200, JSON.stringify(saved.body));
    assert.equal(saved.body.notice.type, 'success');
    assert.match(await row('Product', id), /Renamed rake/);
  });
});
