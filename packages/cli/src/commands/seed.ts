import { parseArgs } from 'node:util';
import { hashPassword, passwordProblem } from '@tandem/accounts';
import {
  Category,
  DEMO_SKU_PREFIX,
  DEMO_USER_DOMAIN,
  DEMO_USER_PREFIX,
  MAX_DEMO_NUMBER,
  MAX_DEMO_USER_NUMBER,
  Role,
  demoCategories,
  demoUserEmail,
  type DemoCategory,
  type Orm,
} from '@tandem/models';
import { UsageError, type Command } from '../command.js';
import { withOrm } from '../database.js';
import { PASSWORD_VARIABLE, givenPassword } from '../password-input.js';
import { insertDemoOrders } from '../seed/insert-orders.js';
import { insertDemoProducts } from '../seed/insert-products.js';
import { insertDemoUsers } from '../seed/insert-users.js';
import { lastNumber } from '../seed/numbering.js';
import { format, progressPrinter, secondsSince } from '../seed/progress.js';

/**
 * The role API clients and the seeded users get: reading the catalog, and each user their own orders,
 * placing and cancelling them (orders:write) and reading the outcomes of their writes (writes:read).
 */
export const READER_ROLE = {
  name: 'reader',
  scopes: ['catalog:read', 'orders:read', 'orders:write', 'writes:read'],
  permissions: ['view_category', 'view_product'],
};

/**
 * What every seeded user signs in with unless TANDEM_PASSWORD says otherwise: one hash for all of them
 * (argon2id per user would take hours for 100,000), so a benchmark can get tokens of many different
 * users with the password grant. Demo data: never seed users into a database real people use.
 */
export const DEFAULT_SEED_PASSWORD = 'tandem-seed-password';

const DEFAULT_CATEGORIES = 12;
const MAX_CATEGORIES = 1000;
const MAX_ORDERS = 100_000_000;

/**
 * Fills the database with demo data: a catalog (categories and products) and/or users with the reader
 * role and orders spread over them. Safe to run again: the role and categories are created only when
 * missing, and new products and users continue the numbering instead of colliding.
 */
export const seedCommand: Command = {
  name: 'seed',
  summary:
    'Create demo data: categories and N products; U users (role reader, scopes catalog:read orders:read orders:write writes:read) and N orders spread over them.',
  usage:
    `seed [--products N [--categories K]] [--users U [--orders N]]\n` +
    `  K defaults to ${DEFAULT_CATEGORIES}; users are ${demoUserEmail(1)}... and sign in with ${PASSWORD_VARIABLE} (default ${DEFAULT_SEED_PASSWORD});\n` +
    `  order i belongs to the i-th new user modulo U`,
  async run(argv, { config, env, stdout, stderr }) {
    const { values } = parseArgs({
      args: argv,
      options: {
        products: { type: 'string' },
        categories: { type: 'string' },
        users: { type: 'string' },
        orders: { type: 'string' },
        password: { type: 'string' },
      },
      strict: true,
    });
    if (values.products === undefined && values.users === undefined)
      throw new UsageError('Give --products N, --users U (with --orders N), or both.');
    const productCount =
      values.products === undefined
        ? undefined
        : wholeNumber('--products', values.products, 0, MAX_DEMO_NUMBER);
    const categoryCount = wholeNumber(
      '--categories',
      values.categories ?? String(DEFAULT_CATEGORIES),
      1,
      MAX_CATEGORIES,
    );
    const userCount =
      values.users === undefined ? 0 : wholeNumber('--users', values.users, 0, MAX_DEMO_USER_NUMBER);
    const orderCount =
      values.orders === undefined ? 0 : wholeNumber('--orders', values.orders, 0, MAX_ORDERS);
    if (orderCount > 0 && userCount === 0)
      throw new UsageError('--orders N needs --users U (U ≥ 1): the orders are spread over the new users.');
    const given = givenPassword('seed', values.password, { env, stderr });
    const password = given ?? DEFAULT_SEED_PASSWORD;
    const badPassword = passwordProblem(password);
    if (badPassword)
      throw new UsageError(
        `${values.password === undefined ? PASSWORD_VARIABLE : '--password'}: ${badPassword}`,
      );

    return withOrm(config, async (orm) => {
      const dialect = config.database.dialect;
      const started = performance.now();
      const role = await ensureReaderRole(orm);
      stdout.write(`Role ${READER_ROLE.name} (scopes: ${READER_ROLE.scopes.join(' ')}): ${role.outcome}.\n`);

      if (productCount !== undefined) {
        const categories = await ensureCategories(orm, demoCategories(categoryCount));
        stdout.write(
          `Categories: ${categories.created} created, ${categoryCount - categories.created} already there.\n`,
        );
        const firstNumber =
          (await lastNumber(orm, dialect, {
            table: 'products',
            column: 'sku',
            prefix: DEMO_SKU_PREFIX,
            digits: 8,
          })) + 1;
        if (firstNumber - 1 + productCount > MAX_DEMO_NUMBER)
          throw new UsageError(
            `--products ${productCount} would go past the last demo SKU ${MAX_DEMO_NUMBER}.`,
          );
        await insertDemoProducts(orm, {
          dialect,
          firstNumber,
          count: productCount,
          categories: categories.rows,
          onProgress: progressPrinter(stderr, 'products', productCount),
        });
        stdout.write(`Products: ${format(productCount)} created in ${secondsSince(started)} s.\n`);
      }

      if (userCount > 0) {
        const usersStarted = performance.now();
        const firstNumber =
          (await lastNumber(orm, dialect, {
            table: 'users',
            column: 'email',
            prefix: DEMO_USER_PREFIX,
            digits: 6,
            suffix: DEMO_USER_DOMAIN,
          })) + 1;
        if (firstNumber - 1 + userCount > MAX_DEMO_USER_NUMBER)
          throw new UsageError(
            `--users ${userCount} would go past the last demo user ${MAX_DEMO_USER_NUMBER}.`,
          );
        const owners = await insertDemoUsers(orm, {
          dialect,
          firstNumber,
          count: userCount,
          passwordHash: await hashPassword(password),
          roleId: role.id,
          onProgress: progressPrinter(stderr, 'users', userCount),
        });
        stdout.write(
          `Users: ${format(userCount)} created in ${secondsSince(usersStarted)} s ` +
            `(${demoUserEmail(firstNumber)} to ${demoUserEmail(firstNumber + userCount - 1)}, ` +
            `role ${READER_ROLE.name}, password ${given === undefined ? JSON.stringify(password) : 'as given'}).\n`,
        );
        if (orderCount > 0) {
          const ordersStarted = performance.now();
          await insertDemoOrders(orm, {
            dialect,
            firstNumber: (await maxId(orm, 'orders')) + 1,
            count: orderCount,
            owners,
            productCount: (await maxId(orm, 'products')) || 100,
            onProgress: progressPrinter(stderr, 'orders', orderCount),
          });
          stdout.write(
            `Orders: ${format(orderCount)} created in ${secondsSince(ordersStarted)} s ` +
              `(${format(Math.floor(orderCount / userCount))} to ${format(Math.ceil(orderCount / userCount))} per user).\n`,
          );
        }
      }
      stdout.write(`Done in ${secondsSince(started)} s.\n`);
      return 0;
    });
  },
};

function wholeNumber(option: string, raw: string, min: number, max: number): number {
  const value = /^\d+$/.test(raw.replace(/_/g, '')) ? Number(raw.replace(/_/g, '')) : Number.NaN;
  if (!Number.isSafeInteger(value) || value < min || value > max)
    throw new UsageError(
      `${option} must be a whole number from ${min} to ${format(max)} (got ${JSON.stringify(raw)}).`,
    );
  return value;
}

async function ensureReaderRole(
  orm: Orm,
): Promise<{ id: number; outcome: 'created' | 'already there' | 'scopes added' }> {
  const em = orm.em.fork();
  const existing = await em.findOne(Role, { name: READER_ROLE.name });
  if (!existing) {
    const role = em.create(Role, {
      ...READER_ROLE,
      scopes: [...READER_ROLE.scopes],
      permissions: [...READER_ROLE.permissions],
    });
    await em.flush();
    return { id: role.id, outcome: 'created' };
  }
  // Someone may have edited the role in the admin: keep their changes, only restore the scopes seeding promises.
  const missing = READER_ROLE.scopes.filter((scope) => !existing.scopes.includes(scope));
  if (missing.length === 0) return { id: existing.id, outcome: 'already there' };
  existing.scopes = [...existing.scopes, ...missing];
  await em.flush();
  return { id: existing.id, outcome: 'scopes added' };
}

async function ensureCategories(
  orm: Orm,
  wanted: DemoCategory[],
): Promise<{ created: number; rows: { id: number; demo: DemoCategory }[] }> {
  const em = orm.em.fork();
  const existing = await em.find(Category, { slug: { $in: wanted.map((category) => category.slug) } });
  const bySlug = new Map(existing.map((category) => [category.slug, category]));
  const created = wanted
    .filter((demo) => !bySlug.has(demo.slug))
    .map((demo) => em.create(Category, { name: demo.name, slug: demo.slug }));
  await em.flush();
  for (const category of created) bySlug.set(category.slug, category);
  return { created: created.length, rows: wanted.map((demo) => ({ id: bySlug.get(demo.slug)!.id, demo })) };
}

async function maxId(orm: Orm, table: string): Promise<number> {
  const row = (await orm.em.getKnex()(table).max({ id: 'id' }).first()) as { id: number | null } | undefined;
  return Number(row?.id ?? 0);
}
