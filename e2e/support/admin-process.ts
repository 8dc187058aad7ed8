/**
 * Starts the compiled admin (services/admin/dist/src/main.js) as a child process, the way
 * `tandem start` does, against a fresh migrated database seeded for the browser tests.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { hashPassword } from '@tandem/accounts';
import { Category, Product, Role, User } from '@tandem/models';
import { createMigratedDatabase, type MigratedTestDatabase } from '@tandem/models/testing';

export const ADMIN_MAIN = fileURLToPath(new URL('../../../services/admin/dist/src/main.js', import.meta.url));
export const STAFF_PASSWORD = 'browser test password';

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

export async function startSeededAdmin(env: Record<string, string> = {}): Promise<SeededAdmin> {
  const db = await createMigratedDatabase();
  await seedCatalog(db);
  let output = '';
  let dropped = false;
  const child = fork(ADMIN_MAIN, [], {
    env: {
      PATH: process.env.PATH ?? '',
      DATABASE_URL: db.url,
      HOST: '127.0.0.1',
      ADMIN_PORT: '0',
      LOG_LEVEL: 'warn',
      TANDEM_SECRET_KEY: 'e2e-secret-key-that-is-long-enough-0123456789',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  });
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  try {
    const url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`admin did not become ready in 30 s:\n${output}`)),
        30_000,
      );
      child.on('message', (message: { type?: string; url?: string }) => {
        if (message.type === 'ready' && message.url) {
          clearTimeout(timer);
          resolve(`${message.url.replace(/\/+$/, '')}/admin`);
        }
      });
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`admin exited with code ${code} before it was ready:\n${output}`));
      });
    });
    return {
      db,
      url,
      child,
      logs: () => output,
      async stop() {
        if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
        const code = await exited;
        if (!dropped) {
          dropped = true;
          await db.close();
        }
        return code;
      },
    };
  } catch (error) {
    if (child.exitCode === null) child.kill('SIGKILL');
    await exited;
    await db.close();
    throw error;
  }
}
