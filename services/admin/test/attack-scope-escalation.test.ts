/**
 * Attack: a staff member who may manage users or roles, but is not a superuser, gives themselves a
 * token scope they do not hold. A role carrying `orders:read:any` and no admin permission at all passed
 * the permission guard, and the password grant then minted tokens reading every customer's orders.
 * The rule (services/admin/README.md): besides permissions, a non-superuser may add to a user only roles
 * whose token scopes their own roles grant, add to a role only such scopes, and change only accounts
 * whose roles' scopes they hold. Forms are sent as an attacker would, straight to the API.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { hashPassword } from '@tandem/accounts';
import { Client as OAuthClient, Role, User } from '@tandem/models';
import { testDialect } from '@tandem/models/testing';
import { roleScopes } from '@tandem/tokens';
import { Client, PASSWORD, startFixture, type Fixture } from './support.js';
import { waitForJob } from './job-support.js';

interface Answer {
  error?: string;
  message?: string;
  notice?: { message: string; type: string };
}

const MANAGER = [
  'view_user',
  'add_user',
  'change_user',
  'view_role',
  'add_role',
  'change_role',
  'view_client',
  'add_client',
  'change_client',
];

describe(`attack: a user or role manager gives themselves a token scope (${testDialect()})`, () => {
  let fixture: Fixture;
  let manager: Client;
  let root: Client;
  const ids = { managers: 0, everyOrder: 0, catalog: 0, manager: 0, auditor: 0 };

  before(async () => {
    fixture = await startFixture();
    const em = fixture.db.orm.em.fork();
    const passwordHash = await hashPassword(PASSWORD);
    const managers = em.create(Role, { name: 'managers', scopes: ['catalog:read'], permissions: MANAGER });
    // No admin permission at all: only the permission guard stood between it and a user manager.
    const everyOrder = em.create(Role, { name: 'every order', scopes: ['orders:read:any'], permissions: [] });
    const catalog = em.create(Role, { name: 'catalog', scopes: ['catalog:read'], permissions: [] });
    const user = em.create(User, { email: 'manager@example.com', passwordHash, isStaff: true });
    user.roles.add(managers);
    const auditor = em.create(User, { email: 'auditor@example.com', passwordHash, isStaff: true });
    auditor.roles.add(everyOrder);
    await em.flush();
    Object.assign(ids, {
      managers: managers.id,
      everyOrder: everyOrder.id,
      catalog: catalog.id,
      manager: user.id,
      auditor: auditor.id,
    });
    manager = new Client(fixture.origin);
    root = new Client(fixture.origin);
    assert.equal((await manager.login('manager@example.com')).status, 302);
    assert.equal((await root.login('root@example.com')).status, 302);
  });
  after(() => fixture.close());

  const scopesOfUser = async (id: number) =>
    [...roleScopes(await fixture.db.orm.em.fork().findOneOrFail(User, id, { populate: ['roles'] }))].sort();
  const scopesOfRole = async (id: number) =>
    [...(await fixture.db.orm.em.fork().findOneOrFail(Role, id)).scopes].sort();

  it('cannot add a role carrying a scope they lack to themselves or anyone, in any form shape', async () => {
    const forms: Array<Record<string, string>> = [
      { 'roles.0': String(ids.managers), 'roles.1': String(ids.everyOrder) },
      { roles: String(ids.everyOrder) },
      { 'roles.5': String(ids.everyOrder) },
    ];
    for (const form of forms) {
      const { status, body } = await manager.api<Answer>(`/resources/User/records/${ids.manager}/edit`, {
        form,
      });
      assert.equal(status, 403, `${JSON.stringify(form)}: ${JSON.stringify(body)}`);
      assert.equal(body.error, 'role_not_held');
      assert.match(body.message ?? '', /orders:read:any/);
    }
    assert.deepEqual(await scopesOfUser(ids.manager), ['catalog:read']);
    const created = await manager.api<Answer>('/resources/User/actions/new', {
      form: {
        email: 'friend@example.com',
        password: 'a long enough password',
        'roles.0': String(ids.everyOrder),
      },
    });
    assert.equal(created.status, 403, JSON.stringify(created.body));
    assert.equal(await fixture.db.orm.em.fork().count(User, { email: 'friend@example.com' }), 0);
  });

  it('cannot add a scope they lack to their own role or a new one, alone or in parallel', async () => {
    const forms: Array<Record<string, string>> = [
      { 'scopes.0': 'catalog:read', 'scopes.1': 'orders:read:any' },
      { scopes: 'orders:read:any' },
      { 'scopes.3': 'orders:write' },
    ];
    const attempts = forms.flatMap((form) => Array.from({ length: 4 }, () => form));
    const answers = await Promise.all(
      attempts.map((form) => manager.api<Answer>(`/resources/Role/records/${ids.managers}/edit`, { form })),
    );
    for (const { status, body } of answers) {
      assert.equal(status, 403, JSON.stringify(body));
      assert.equal(body.error, 'scope_not_held');
    }
    assert.deepEqual(await scopesOfRole(ids.managers), ['catalog:read']);
    const created = await manager.api<Answer>('/resources/Role/actions/new', {
      form: { name: 'stepping stone', 'scopes.0': 'orders:read:any' },
    });
    assert.equal(created.status, 403, JSON.stringify(created.body));
    assert.match(created.body.message ?? '', /orders:read:any/);
    assert.equal(await fixture.db.orm.em.fork().count(Role, { name: 'stepping stone' }), 0);
  });

  it('cannot take over an account whose roles carry a scope they lack', async () => {
    const { status, body } = await manager.api<Answer>(`/resources/User/records/${ids.auditor}/edit`, {
      form: { password: 'taken over password' },
    });
    assert.equal(status, 403, JSON.stringify(body));
    assert.equal(body.error, 'account_outranks_you');
    assert.match(body.message ?? '', /orders:read:any/);
  });

  it('cannot create or widen a machine client with a scope they lack (its tokens would carry it)', async () => {
    const created = await manager.api<Answer>('/resources/Client/actions/new', {
      form: { name: 'Every order', 'scopes.0': 'catalog:read', 'scopes.1': 'orders:read:any' },
    });
    assert.equal(created.status, 403, JSON.stringify(created.body));
    assert.equal(created.body.error, 'scope_not_held');
    assert.match(created.body.message ?? '', /orders:read:any/);
    assert.equal(await fixture.db.orm.em.fork().count(OAuthClient, { name: 'Every order' }), 0);

    const own = await manager.api<Answer & { record?: { id: string } }>('/resources/Client/actions/new', {
      form: { name: 'Catalog sync', 'scopes.0': 'catalog:read' },
    });
    assert.equal(own.body.notice?.type, 'success', JSON.stringify(own.body));
    const id = own.body.record!.id;
    const widenings: Array<Record<string, string>> = [
      { 'scopes.0': 'catalog:read', 'scopes.1': 'orders:read:any' },
      { scopes: 'orders:read:any' },
    ];
    for (const form of widenings) {
      const widened = await manager.api<Answer>(`/resources/Client/records/${id}/edit`, { form });
      assert.equal(widened.status, 403, JSON.stringify(widened.body));
      assert.equal(widened.body.error, 'scope_not_held');
    }
    assert.deepEqual((await fixture.db.orm.em.fork().findOneOrFail(OAuthClient, Number(id))).scopes, [
      'catalog:read',
    ]);
  });

  it("cannot redirect a more powerful client's codes to a page of theirs (redirect URIs, origins, first party)", async () => {
    const em = fixture.db.orm.em.fork();
    const app = em.create(OAuthClient, {
      clientId: 'tc_orders_app',
      name: 'Orders app',
      secretHash: '0'.repeat(64),
      scopes: ['orders:read:any'],
      redirectUris: ['https://orders.example/cb'],
      allowedOrigins: [],
      grantTypes: ['authorization_code', 'refresh_token'],
      isPublic: true,
      isFirstParty: false,
      isActive: true,
    });
    await em.flush();
    const forms: Array<Record<string, string>> = [
      { 'redirectUris.0': 'https://attacker.example/cb' },
      { redirectUris: 'https://attacker.example/cb' },
      { 'allowedOrigins.0': 'https://attacker.example' },
      { isFirstParty: 'true' },
      { name: 'Renamed' },
    ];
    const answers = await Promise.all(
      forms.map((form) => manager.api<Answer>(`/resources/Client/records/${app.id}/edit`, { form })),
    );
    for (const [i, { status, body }] of answers.entries()) {
      assert.equal(status, 403, `${JSON.stringify(forms[i])}: ${JSON.stringify(body)}`);
      assert.equal(body.error, 'client_outranks_you');
      assert.match(body.message ?? '', /orders:read:any/);
    }
    // Nor deactivate it (its sessions would be revoked) or activate one a superuser switched off, alone,
    // in a selection, or as "all matching".
    for (const action of ['deactivate', 'activate']) {
      const bulk = await manager.api<Answer>(`/resources/Client/bulk/${action}?recordIds=${app.id}`, {
        form: {},
      });
      assert.equal(bulk.status, 403, `${action}: ${JSON.stringify(bulk.body)}`);
      assert.equal(bulk.body.error, 'client_outranks_you');
    }
    const everyClient = await manager.api<{ job?: { id: string } }>('/resources/Client/actions/allMatching', {
      form: { operation: 'deactivate' },
    });
    if (everyClient.status === 200) {
      const job = await waitForJob(manager, 'Client', everyClient.body.job!.id);
      assert.equal(job.state, 'failed');
      assert.match(job.message ?? '', /orders:read:any/);
    } else assert.equal(everyClient.status, 403, JSON.stringify(everyClient.body));
    const stored = await fixture.db.orm.em.fork().findOneOrFail(OAuthClient, app.id);
    assert.equal(stored.isActive, true);
    assert.deepEqual(stored.redirectUris, ['https://orders.example/cb']);
    assert.deepEqual(stored.allowedOrigins, []);
    assert.equal(stored.isFirstParty, false);
    assert.equal(stored.name, 'Orders app');
    // A client within theirs stays theirs to change; a superuser changes any.
    const own = await manager.api<Answer & { record?: { id: string } }>('/resources/Client/actions/new', {
      form: { name: 'Catalog app', 'scopes.0': 'catalog:read' },
    });
    const ownEdit = await manager.api<Answer>(`/resources/Client/records/${own.body.record!.id}/edit`, {
      form: { 'redirectUris.0': 'https://catalog.example/cb' },
    });
    assert.equal(ownEdit.body.notice?.type, 'success', JSON.stringify(ownEdit.body));
    const byRoot = await root.api<Answer>(`/resources/Client/records/${app.id}/edit`, {
      form: { name: 'Orders app (renamed)' },
    });
    assert.equal(byRoot.body.notice?.type, 'success', JSON.stringify(byRoot.body));
  });

  it('may give what they hold; a superuser may give any scope', async () => {
    const own = await manager.api<Answer>('/resources/Role/actions/new', {
      form: { name: 'readers', 'scopes.0': 'catalog:read' },
    });
    assert.equal(own.body.notice?.type, 'success', JSON.stringify(own.body));
    const given = await manager.api<Answer>('/resources/User/actions/new', {
      form: {
        email: 'reader@example.com',
        password: 'a long enough password',
        'roles.0': String(ids.catalog),
      },
    });
    assert.equal(given.body.notice?.type, 'success', JSON.stringify(given.body));
    const bySuperuser = await root.api<Answer>(`/resources/User/records/${ids.manager}/edit`, {
      form: { 'roles.0': String(ids.managers), 'roles.1': String(ids.everyOrder) },
    });
    assert.equal(bySuperuser.body.notice?.type, 'success', JSON.stringify(bySuperuser.body));
    assert.deepEqual(await scopesOfUser(ids.manager), ['catalog:read', 'orders:read:any']);
  });
});
