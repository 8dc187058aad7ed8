/**
 * Attack: a staff member who may manage users (change_user) or roles (change_role), but is not a
 * superuser, climbs to every permission by giving themselves a role that holds them all, or by adding
 * permissions to a role they are a member of. The rule (services/admin/README.md): a non-superuser may
 * add to a user only roles whose permissions they hold, and to a role only permissions they hold. Each
 * test sends the forms an attacker would (every flattened shape of the list field) straight to the API.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { hashPassword } from '@tandem/accounts';
import { ALL_PERMISSION_CODENAMES, Role, User } from '@tandem/models';
import { testDialect } from '@tandem/models/testing';
import { Client, PASSWORD, startFixture, type Fixture } from './support.js';

interface Answer {
  error?: string;
  message?: string;
  notice?: { message: string; type: string };
}

const USER_MANAGER = ['view_user', 'add_user', 'change_user', 'view_role'];
const ROLE_MANAGER = ['view_role', 'add_role', 'change_role', 'view_product'];

describe(`attack: a user or role manager grants themselves more (${testDialect()})`, () => {
  let fixture: Fixture;
  let userManager: Client;
  let roleManager: Client;
  let root: Client;
  const ids = { everything: 0, userManagers: 0, roleManagers: 0, viewUsers: 0, userManager: 0, bystander: 0 };

  before(async () => {
    fixture = await startFixture();
    const em = fixture.db.orm.em.fork();
    const passwordHash = await hashPassword(PASSWORD);
    const everything = em.create(Role, {
      name: 'everything',
      scopes: [],
      permissions: [...ALL_PERMISSION_CODENAMES],
    });
    const userManagers = em.create(Role, { name: 'user managers', scopes: [], permissions: USER_MANAGER });
    const roleManagers = em.create(Role, { name: 'role managers', scopes: [], permissions: ROLE_MANAGER });
    const viewUsers = em.create(Role, { name: 'view users', scopes: [], permissions: ['view_user'] });
    const manager = em.create(User, { email: 'users@example.com', passwordHash, isStaff: true });
    manager.roles.add(userManagers);
    const roles = em.create(User, { email: 'roles@example.com', passwordHash, isStaff: true });
    roles.roles.add(roleManagers);
    const bystander = em.create(User, { email: 'bystander@example.com', passwordHash, isStaff: true });
    bystander.roles.add(everything);
    await em.flush();
    Object.assign(ids, {
      everything: everything.id,
      userManagers: userManagers.id,
      roleManagers: roleManagers.id,
      viewUsers: viewUsers.id,
      userManager: manager.id,
      bystander: bystander.id,
    });
    userManager = new Client(fixture.origin);
    roleManager = new Client(fixture.origin);
    root = new Client(fixture.origin);
    assert.equal((await userManager.login('users@example.com')).status, 302);
    assert.equal((await roleManager.login('roles@example.com')).status, 302);
    assert.equal((await root.login('root@example.com')).status, 302);
  });
  after(() => fixture.close());

  const rolesOf = async (userId: number) =>
    (await fixture.db.orm.em.fork().findOneOrFail(User, userId, { populate: ['roles'] })).roles
      .getItems()
      .map((role) => role.id)
      .sort((a, b) => a - b);
  const permissionsOf = async (roleId: number) =>
    [...(await fixture.db.orm.em.fork().findOneOrFail(Role, roleId)).permissions].sort();

  it('a user manager cannot add a role holding more than they hold to themselves, in any form shape', async () => {
    const own = String(ids.userManagers);
    const everything = String(ids.everything);
    const forms: Array<Record<string, string>> = [
      { 'roles.0': own, 'roles.1': everything },
      { 'roles.0': everything },
      { 'roles.1': everything },
      { roles: everything },
      { 'roles.0.id': everything },
      { 'roles[0]': everything },
    ];
    for (const form of forms) {
      const { status, body } = await userManager.api<Answer>(
        `/resources/User/records/${ids.userManager}/edit`,
        {
          form,
        },
      );
      assert.ok(
        status === 403 || status === 400,
        `${JSON.stringify(form)}: ${status} ${JSON.stringify(body)}`,
      );
      assert.notEqual(body.notice?.type, 'success');
      assert.deepEqual(await rolesOf(ids.userManager), [ids.userManagers], JSON.stringify(form));
    }
    // The plain shapes reach the rule itself, which names the role.
    const { status, body } = await userManager.api<Answer>(
      `/resources/User/records/${ids.userManager}/edit`,
      {
        form: { 'roles.0': own, 'roles.1': everything },
      },
    );
    assert.equal(status, 403);
    assert.equal(body.error, 'role_not_held');
    assert.match(body.message ?? '', /"everything"/);
  });

  it('nor give it to anybody else, on edit or on create', async () => {
    const customer = await fixture.db.orm.em.fork().findOneOrFail(User, { email: 'customer@example.com' });
    const edit = await userManager.api<Answer>(`/resources/User/records/${customer.id}/edit`, {
      form: { 'roles.0': String(ids.everything) },
    });
    assert.equal(edit.status, 403, JSON.stringify(edit.body));
    assert.deepEqual(await rolesOf(customer.id), []);
    const created = await userManager.api<Answer>('/resources/User/actions/new', {
      form: {
        email: 'accomplice@example.com',
        password: 'long enough pass',
        'roles.0': String(ids.everything),
      },
    });
    assert.equal(created.status, 403, JSON.stringify(created.body));
    assert.equal(created.body.error, 'role_not_held');
    assert.equal(await fixture.db.orm.em.fork().count(User, { email: 'accomplice@example.com' }), 0);
  });

  it('may still give roles within what they hold, and keep or remove roles a user already has', async () => {
    const customer = await fixture.db.orm.em.fork().findOneOrFail(User, { email: 'customer@example.com' });
    const grant = await userManager.api<Answer>(`/resources/User/records/${customer.id}/edit`, {
      form: { 'roles.0': String(ids.viewUsers) },
    });
    assert.equal(grant.body.notice?.type, 'success', JSON.stringify(grant.body));
    assert.deepEqual(await rolesOf(customer.id), [ids.viewUsers]);
    // The edit page sends the customer's role back unchanged: that is not adding it.
    const rename = await userManager.api<Answer>(`/resources/User/records/${customer.id}/edit`, {
      form: { email: 'customer2@example.com', 'roles.0': String(ids.viewUsers) },
    });
    assert.equal(rename.body.notice?.type, 'success', JSON.stringify(rename.body));
    const remove = await userManager.api<Answer>(`/resources/User/records/${customer.id}/edit`, {
      form: { roles: '' },
    });
    assert.equal(remove.body.notice?.type, 'success', JSON.stringify(remove.body));
    assert.deepEqual(await rolesOf(customer.id), []);
  });

  it('cannot take over, rename, strip or delete an account that holds more than they do', async () => {
    const before = await fixture.db.orm.em
      .fork()
      .findOneOrFail(User, ids.bystander, { populate: ['passwordHash', 'roles'] });
    const attempts: Array<[string, Record<string, string> | undefined]> = [
      [`/resources/User/records/${ids.bystander}/edit`, { password: 'attacker chosen password' }],
      [`/resources/User/records/${ids.bystander}/edit`, { 'password.0': 'attacker chosen password' }],
      [`/resources/User/records/${ids.bystander}/edit`, { email: 'attacker@example.com' }],
      [`/resources/User/records/${ids.bystander}/edit`, { roles: '' }],
      [`/resources/User/records/${ids.bystander}/edit`, { isActive: 'false' }],
      [`/resources/User/records/${ids.bystander}/delete`, {}],
      [`/resources/User/bulk/bulkDelete?recordIds=${ids.bystander}`, {}],
    ];
    for (const [path, form] of attempts) {
      const { status, body } = await userManager.api<Answer>(path, { form });
      assert.ok(status === 403 || status === 400, `${path} ${JSON.stringify(form)}: ${status}`);
      assert.notEqual(body.notice?.type, 'success', `${path}: ${JSON.stringify(body)}`);
    }
    const plain = await userManager.api<Answer>(`/resources/User/records/${ids.bystander}/edit`, {
      form: { password: 'attacker chosen password' },
    });
    assert.equal(plain.body.error, 'account_outranks_you', JSON.stringify(plain.body));
    assert.match(plain.body.message ?? '', /bystander@example\.com/);
    const after = await fixture.db.orm.em
      .fork()
      .findOneOrFail(User, ids.bystander, { populate: ['passwordHash', 'roles'] });
    assert.equal(after.passwordHash, before.passwordHash, 'the password is unchanged');
    assert.equal(after.email, before.email);
    assert.equal(after.isActive, true);
    assert.deepEqual(await rolesOf(ids.bystander), [ids.everything]);
    const login = await new Client(fixture.origin).login('bystander@example.com', 'attacker chosen password');
    assert.equal(login.status, 401, 'the attacker cannot log in as the bystander');
  });

  it('a superuser may give any role', async () => {
    const { body } = await root.api<Answer>(`/resources/User/records/${ids.userManager}/edit`, {
      form: { 'roles.0': String(ids.userManagers), 'roles.1': String(ids.everything) },
    });
    assert.equal(body.notice?.type, 'success', JSON.stringify(body));
    assert.deepEqual(
      await rolesOf(ids.userManager),
      [ids.everything, ids.userManagers].sort((a, b) => a - b),
    );
  });

  it('a role manager cannot add a permission they lack to their own role, or to a new one', async () => {
    const own = ids.roleManagers;
    const forms: Array<Record<string, string>> = [
      Object.fromEntries(
        [...ROLE_MANAGER, 'change_user'].map((codename, i) => [`permissions.${i}`, codename]),
      ),
      { permissions: 'change_user' },
      { 'permissions.7': 'change_user' },
    ];
    for (const form of forms) {
      const { status, body } = await roleManager.api<Answer>(`/resources/Role/records/${own}/edit`, { form });
      assert.equal(status, 403, `${JSON.stringify(form)}: ${JSON.stringify(body)}`);
      assert.equal(body.error, 'permission_not_held');
      assert.match(body.message ?? '', /change_user/);
      assert.deepEqual(await permissionsOf(own), [...ROLE_MANAGER].sort());
    }
    const created = await roleManager.api<Answer>('/resources/Role/actions/new', {
      form: { name: 'stepping stone', 'permissions.0': 'view_product', 'permissions.1': 'delete_user' },
    });
    assert.equal(created.status, 403, JSON.stringify(created.body));
    assert.match(created.body.message ?? '', /delete_user/);
    assert.equal(await fixture.db.orm.em.fork().count(Role, { name: 'stepping stone' }), 0);
  });

  it('the role matrix: a ticked box they lack is refused, in the shape the matrix sends and forged ones', async () => {
    const own = ids.roleManagers;
    // What components/PermissionMatrix.jsx sends: the ticked codenames in registry order, as a list.
    const matrix = (codenames: readonly string[]) =>
      Object.fromEntries(
        ALL_PERMISSION_CODENAMES.filter((codename) => codenames.includes(codename)).map((codename, i) => [
          `permissions.${i}`,
          codename,
        ]),
      );
    const oneMore = await roleManager.api<Answer>(`/resources/Role/records/${own}/edit`, {
      form: matrix([...ROLE_MANAGER, 'delete_role']),
    });
    assert.equal(oneMore.status, 403, JSON.stringify(oneMore.body));
    assert.equal(oneMore.body.error, 'permission_not_held');
    assert.match(oneMore.body.message ?? '', /delete_role/);
    const everyBox = await roleManager.api<Answer>('/resources/Role/actions/new', {
      form: { name: 'every box', ...matrix(ALL_PERMISSION_CODENAMES) },
    });
    assert.equal(everyBox.status, 403, JSON.stringify(everyBox.body));
    assert.match(everyBox.body.message ?? '', /delete_user/);
    // A forged matrix: the cell as a nested key, an object per codename, brackets, a list in a list.
    const forged: Array<Record<string, string>> = [
      { 'permissions.role.delete': 'on' },
      { 'permissions.delete_role': 'true' },
      { 'permissions.0.codename': 'delete_role' },
      { 'permissions[delete_role]': 'on' },
      { 'permissions.0': 'view_role', 'permissions.1.0': 'delete_role' },
    ];
    for (const form of forged) {
      const { status, body } = await roleManager.api<Answer>(`/resources/Role/records/${own}/edit`, { form });
      assert.ok(
        status === 400 || status === 403,
        `${JSON.stringify(form)}: ${status} ${JSON.stringify(body)}`,
      );
      assert.notEqual(body.notice?.type, 'success');
    }
    assert.deepEqual(await permissionsOf(own), [...ROLE_MANAGER].sort());
    assert.equal(await fixture.db.orm.em.fork().count(Role, { name: 'every box' }), 0);
  });

  it('the role matrix: unticking a box they lack (the role had it) is allowed', async () => {
    const em = fixture.db.orm.em.fork();
    const holds = em.create(Role, {
      name: 'holds delete_user',
      scopes: [],
      permissions: ['view_product', 'delete_user'],
    });
    await em.flush();
    const { body } = await roleManager.api<Answer>(`/resources/Role/records/${holds.id}/edit`, {
      form: { 'permissions.0': 'view_product' },
    });
    assert.equal(body.notice?.type, 'success', JSON.stringify(body));
    assert.deepEqual(await permissionsOf(holds.id), ['view_product']);
  });

  it('what the guard judges is what is stored: padded codenames and typed JSON values do not slip past', async () => {
    // The write trims each codename and turns a JSON `true` into an id; the guard must judge the same.
    for (const padded of [' delete_user', 'delete_user\t', '\ndelete_user ']) {
      const form = {
        ...Object.fromEntries(ROLE_MANAGER.map((c, i) => [`permissions.${i}`, c])),
        'permissions.9': padded,
      };
      const { status, body } = await roleManager.api<Answer>(
        `/resources/Role/records/${ids.roleManagers}/edit`,
        {
          form,
        },
      );
      assert.equal(status, 403, `${JSON.stringify(padded)}: ${JSON.stringify(body)}`);
      assert.equal(body.error, 'permission_not_held');
      assert.deepEqual(await permissionsOf(ids.roleManagers), [...ROLE_MANAGER].sort());
    }
    const json = async (client: Client, path: string, payload: unknown) => {
      const response = await client.request(`/admin/api${path}`, { json: payload });
      return { status: response.status, body: (await response.json()) as Answer };
    };
    const rolePath = `/resources/Role/records/${ids.roleManagers}/edit`;
    const jsonRole = await json(roleManager, rolePath, { permissions: [...ROLE_MANAGER, ' delete_user'] });
    assert.equal(jsonRole.status, 403, JSON.stringify(jsonRole.body));
    assert.deepEqual(await permissionsOf(ids.roleManagers), [...ROLE_MANAGER].sort());
    // `true` is no role id: never role 1 (or any), however the body spells it.
    const userPath = `/resources/User/records/${ids.userManager}/edit`;
    const rolesBefore = await rolesOf(ids.userManager);
    for (const roles of [
      [ids.userManagers, true],
      [true],
      true,
      [ids.userManagers, ' 1e0'],
      [{ id: ids.everything }],
    ]) {
      const answer = await json(userManager, userPath, { roles });
      // Refused by the rule (403) or, for what is no id at all, by the form ("Choose an existing role").
      assert.notEqual(answer.body.notice?.type, 'success', `${JSON.stringify(roles)}: ${answer.status}`);
      assert.deepEqual(await rolesOf(ids.userManager), rolesBefore, JSON.stringify(roles));
    }
  });

  it('a role manager may add permissions they hold, and leave ones they lack where they are', async () => {
    const added = await roleManager.api<Answer>(`/resources/Role/records/${ids.viewUsers}/edit`, {
      form: { 'permissions.0': 'view_user', 'permissions.1': 'view_product' },
    });
    assert.equal(added.body.notice?.type, 'success', JSON.stringify(added.body));
    assert.deepEqual(await permissionsOf(ids.viewUsers), ['view_product', 'view_user']);
    const created = await roleManager.api<Answer>('/resources/Role/actions/new', {
      form: { name: 'readers', 'permissions.0': 'view_product' },
    });
    assert.equal(created.body.notice?.type, 'success', JSON.stringify(created.body));
  });
});
