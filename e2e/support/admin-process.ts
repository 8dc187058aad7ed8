/**
 * Starts the compiled admin (services/admin/dist/src/main.js) as a child process, the way
 * `tandem start` does (through startServiceProcess), against a database seeded for the browser tests.
 */
import type { ChildProcess } from 'node:child_process';
import { hashPassword } from '@tandem/accounts';
import { Category, Product, Role, User } from '@tandem/models';
import { createMigratedDatabase, type MigratedTestDatabase } from '@tandem/models/testing';
import { ENTRY_POINTS, startServiceProcess, type ServiceProcess } from './service-process.js';

export const STAFF_PASSWORD = 'browser test password';
/** The TANDEM_SECRET_KEY the e2e processes share (sessions, signing keys at rest). */
export const E2E_SECRET_KEY = 'e2e-secret-key-that-is-long-enough-0123456789';

export interface SeededAdmin {
  readonly db: MigratedTestDatabase;
  /** e.g. http://127.0.0.1:40123/admin */
  readonly url: string;
  readonly child: ChildProcess;
  /** Everything the admin wrote to stderr (shown when a test fails). */
  readonly logs: () => string;
  /** SIGTERM, wait for the exit, drop the database; resolves to the exit code (null if killed by a signal). */
  stop(): Promise<number | null>;
}

/** A staff superuser, a staff "catalog editor" whose role lacks delete_product, two categories, 30 products. */
export async function seedCatalog(db: MigratedTestDatabase): Promise<void> {
  const em = db.orm.em.fork();
  const passwordHash = await hashPassword(STAFF_PASSWORD);
  const editorRole = em.create(Role, {
    name: 'catalog editor',
    scopes: ['catalog:read'],
    permissions: ['view_product', 'add_product', 'change_product', 'view_category'],
  });
  em.create(User, { email: 'admin@example.com', passwordHash, isStaff: true, isSuperuser: true });
  const editor = em.create(User, { email: 'editor@example.com', passwordHash, isStaff: true });
  editor.roles.add(editorRole);
  const garden = em.create(Category, { name: 'Garden tools', slug: 'garden-tools' });
  const kitchen = em.create(Category, { name: 'Kitchen', slug: 'kitchen' });
  for (let i = 1; i <= 30; i += 1) {
    const inGarden = i % 2 === 1;
    em.create(Product, {
      sku: `SKU-${String(i).padStart(3, '0')}`,
      name: inGarden ? `Garden item ${i}` : `Kitchen item ${i}`,
      priceCents: 100 * i,
      currency: 'EUR',
      stock: i,
      category: inGarden ? garden : kitchen,
      tags: inGarden ? ['garden'] : ['kitchen', i === 2 ? 'cast-iron' : 'steel'],
    });
  }
  await em.flush();
}

/**
 * The compiled admin as a child process on `databaseUrl` (already migrated). Its `url` is the admin's
 * root, e.g. http://127.0.0.1:40123/admin.
 */
export async function startAdminProcess(
  databaseUrl: string,
  env: Record<string, string> = {},
): Promise<ServiceProcess> {
  const service = await startServiceProcess('admin', ENTRY_POINTS.admin, {
    env: {
      DATABASE_URL: databaseUrl,
      HOST: '127.0.0.1',
      ADMIN_PORT: '0',
      TANDEM_SECRET_KEY: E2E_SECRET_KEY,
      ...env,
    },
  });
  return { ...service, url: `${service.url}/admin` };
}

/** Settings for the admin, or a function that prepares them from the seeded database (e.g. starts fast on it). */
export type AdminEnv =
  Record<string, string> | ((db: MigratedTestDatabase) => Promise<Record<string, string>>);

/** A fresh migrated database seeded by seedCatalog, with the admin running on it. */
export async function startSeededAdmin(env: AdminEnv = {}): Promise<SeededAdmin> {
  const db = await createMigratedDatabase();
  let admin: ServiceProcess;
  try {
    await seedCatalog(db);
    admin = await startAdminProcess(db.url, typeof env === 'function' ? await env(db) : env);
  } catch (error) {
    await db.close();
    throw error;
  }
  let dropped = false;
  return {
    db,
    url: admin.url,
    child: admin.child,
    logs: admin.logs,
    async stop() {
      const code = await admin.stop();
      if (!dropped) {
        dropped = true;
        await db.close();
      }
      return code;
    },
  };
}
