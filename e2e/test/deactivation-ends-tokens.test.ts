/**
 * Issue 10 item 6, end to end: a staff member deactivates (or deletes) a user in the admin, and that
 * user's access token, still well before its `exp`, stops reading at the fast service within a second,
 * and their refresh token is refused by the auth service. Before the fix the deactivation touched only
 * the users row: the token kept reading until it expired or was refreshed. Admin, auth and fast run
 * compiled as child processes on one fresh database; the only path from the admin to fast is the change
 * feed (the sessions revoked in the admin's transaction), with the feed's default timings.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { hashPassword } from '@tandem/accounts';
import { Product, Role, User } from '@tandem/models';
import { createMigratedDatabase, eventually, type MigratedTestDatabase } from '@tandem/models/testing';
import { STAFF_PASSWORD, seedCatalog, startAdminProcess } from '../support/admin-process.js';
import type { ServiceProcess } from '../support/service-process.js';
import {
  REVOCATION_DEADLINE_MS,
  passwordLogin,
  refreshStatus,
  startTokenServices,
  withServiceLogs,
} from '../support/token-services.js';

const PASSWORD = 'a reader password for e2e';

describe('deactivating or deleting a user in the admin ends their tokens', () => {
  let db: MigratedTestDatabase;
  const processes: ServiceProcess[] = [];
  let auth: ServiceProcess;
  let fast: ServiceProcess;
  let admin: ServiceProcess;
  let productId = 0;
  let cookie = '';
  const userIds = new Map<string, number>();

  const login = (email: string) => passwordLogin(auth.url, email, PASSWORD);
  const fastStatus = async (token: string) =>
    (await fetch(`${fast.url}/v1/products/${productId}`, { headers: { authorization: `Bearer ${token}` } }))
      .status;
  /** The admin's JSON API as the staff superuser (session cookie from the login form). */
  const adminPost = async (path: string, form: Record<string, string> = {}) => {
    const response = await fetch(`${admin.url}/api${path}`, {
      method: 'POST',
      headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(form).toString(),
      redirect: 'manual',
    });
    const body = (await response.json()) as { notice?: { type: string; message: string } };
    assert.equal(body.notice?.type, 'success', JSON.stringify(body));
  };
  const withLogs = (fn: () => Promise<void>) => withServiceLogs(processes, fn);

  before(async () => {
    db = await createMigratedDatabase();
    await seedCatalog(db);
    const em = db.orm.em.fork();
    const reader = em.create(Role, { name: 'reader', scopes: ['catalog:read'], permissions: [] });
    const passwordHash = await hashPassword(PASSWORD);
    for (const email of ['deactivated@example.com', 'deleted@example.com']) {
      const user = em.create(User, { email, passwordHash });
      user.roles.add(reader);
      await em.flush();
      userIds.set(email, user.id);
    }
    const product = await em.findOneOrFail(Product, { sku: 'SKU-001' });
    product.published = true;
    await em.flush();
    productId = product.id;

    const services = await startTokenServices(db.url);
    processes.push(...services.processes);
    ({ auth, fast } = services);
    admin = await startAdminProcess(db.url);
    processes.push(admin);

    const response = await fetch(`${admin.url}/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ email: 'admin@example.com', password: STAFF_PASSWORD }).toString(),
      redirect: 'manual',
    });
    assert.equal(response.status, 302, 'staff login');
    cookie = (response.headers.get('set-cookie') ?? '').split(';')[0]!;
  });

  after(async () => {
    for (const service of processes.reverse()) await service.stop();
    await db?.close();
  });

  it('deactivation: the access token is refused at fast within a second, the refresh token at auth', () =>
    withLogs(async () => {
      const tokens = await login('deactivated@example.com');
      await eventually(
        'fast serves the product to the user',
        async () => (await fastStatus(tokens.access_token)) === 200,
      );

      await adminPost(`/resources/User/records/${userIds.get('deactivated@example.com')}/edit`, {
        isActive: 'false',
      });
      await eventually(
        'the access token is refused within the promised second (plus margin)',
        async () => (await fastStatus(tokens.access_token)) === 401,
        REVOCATION_DEADLINE_MS,
      );
      assert.equal(await refreshStatus(auth.url, tokens.refresh_token), 400);
    }));

  it('deletion: the access token is refused at fast within a second', () =>
    withLogs(async () => {
      const tokens = await login('deleted@example.com');
      await eventually(
        'fast serves the product to the user',
        async () => (await fastStatus(tokens.access_token)) === 200,
      );

      await adminPost(`/resources/User/records/${userIds.get('deleted@example.com')}/delete`);
      await eventually(
        'the access token is refused within the promised second (plus margin)',
        async () => (await fastStatus(tokens.access_token)) === 401,
        REVOCATION_DEADLINE_MS,
      );
      assert.equal(await refreshStatus(auth.url, tokens.refresh_token), 400);
    }));
});
