import type { Writable } from 'node:stream';
import { parseArgs } from 'node:util';
import {
  Category,
  DEMO_SKU_PREFIX,
  MAX_DEMO_NUMBER,
  Role,
  demoCategories,
  type DemoCategory,
  type Orm,
} from '@tandem/models';
import { UsageError, type Command } from '../command.js';
import { withOrm } from '../database.js';
import { insertDemoProducts } from '../seed/insert-products.js';

/** The role API clients get for reading the catalog from the fast service. */
export const READER_ROLE = {
  name: 'reader',
  scopes: ['catalog:read'],
  permissions: ['view_category', 'view_product'],
};

const DEFAULT_CATEGORIES = 12;
const MAX_CATEGORIES = 1000;

/**
 * Fills the database with a demo catalog. Safe to run again: the role and categories are created
 * only when missing, and new products continue the SKU numbering instead of colliding.
 */
export const seedCommand: Command = {
  name: 'seed',
  summary: 'Create a demo catalog: categories, N products and a `reader` role (scope catalog:read).',
  usage: `seed --products N [--categories K]   (K defaults to ${DEFAULT_CATEGORIES})`,
  async run(argv, { config, stdout, stderr }) {
    const { values } = parseArgs({
      args: argv,
      options: { products: { type: 'string' }, categories: { type: 'string' } },
      strict: true,
    });
    if (values.products === undefined) throw new UsageError('--products is required.');
    const productCount = wholeNumber('--products', values.products, 0, MAX_DEMO_NUMBER);
    const categoryCount = wholeNumber(
      '--categories',
      values.categories ?? String(DEFAULT_CATEGORIES),
      1,
      MAX_CATEGORIES,
    );

    return withOrm(config, async (orm) => {
      const started = performance.now();
      const role = await ensureReaderRole(orm);
      stdout.write(`Role ${READER_ROLE.name} (scopes: ${READER_ROLE.scopes.join(' ')}): ${role}.\n`);
      const categories = await ensureCategories(orm, demoCategories(categoryCount));
      stdout.write(
        `Categories: ${categories.created} created, ${categoryCount - categories.created} already there.\n`,
      );

      const firstNumber = (await lastDemoNumber(orm, config.database.dialect)) + 1;
      if (firstNumber - 1 + productCount > MAX_DEMO_NUMBER)
        throw new UsageError(
          `--products ${productCount} would go past the last demo SKU ${MAX_DEMO_NUMBER}.`,
        );
      const progress = progressPrinter(stderr, productCount);
      await insertDemoProducts(orm, {
        dialect: config.database.dialect,
        firstNumber,
        count: productCount,
        categories: categories.rows,
        onProgress: progress,
      });
      const seconds = ((performance.now() - started) / 1000).toFixed(1);
      stdout.write(`Products: ${format(productCount)} created in ${seconds} s.\n`);
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

async function ensureReaderRole(orm: Orm): Promise<'created' | 'already there' | 'scope added'> {
  const em = orm.em.fork();
  const existing = await em.findOne(Role, { name: READER_ROLE.name });
  if (!existing) {
    em.create(Role, {
      ...READER_ROLE,
      scopes: [...READER_ROLE.scopes],
      permissions: [...READER_ROLE.permissions],
    });
    await em.flush();
    return 'created';
  }
  // Someone may have edited the role in the admin: keep their changes, only restore the scope seeding promises.
  const missing = READER_ROLE.scopes.filter((scope) => !existing.scopes.includes(scope));
  if (missing.length === 0) return 'already there';
  existing.scopes = [...existing.scopes, ...missing];
  await em.flush();
  return 'scope added';
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

/** The highest number among existing demo SKUs (0 when none), so a second run continues after it. */
async function lastDemoNumber(orm: Orm, dialect: 'sqlite' | 'postgresql'): Promise<number> {
  // Only SKUs this command made (prefix + 8 digits): a hand-made "DEMO-special" must not break the numbering.
  const demoPattern =
    dialect === 'sqlite'
      ? ['sku glob ?', `${DEMO_SKU_PREFIX}${'[0-9]'.repeat(8)}`]
      : ['sku ~ ?', `^${DEMO_SKU_PREFIX}[0-9]{8}$`];
  const row = (await orm.em
    .getKnex()('products')
    .whereRaw(demoPattern[0]!, [demoPattern[1]!])
    .max({ sku: 'sku' })
    .first()) as { sku: string | null } | undefined;
  const number = Number(row?.sku?.slice(DEMO_SKU_PREFIX.length));
  return Number.isSafeInteger(number) ? number : 0;
}

function format(count: number): string {
  return count.toLocaleString('en-US');
}

/** One line per committed transaction (overwritten in place on a terminal). */
function progressPrinter(stream: Writable & { isTTY?: boolean }, total: number) {
  const started = performance.now();
  return (inserted: number) => {
    const percent = total === 0 ? 100 : Math.floor((inserted / total) * 100);
    const rate = inserted / Math.max(0.001, (performance.now() - started) / 1000);
    const line = `Seeding products: ${format(inserted)}/${format(total)} (${percent}%, ${format(Math.round(rate))}/s)`;
    stream.write(stream.isTTY ? `\r${line}${inserted === total ? '\n' : ''}` : `${line}\n`);
  };
}
