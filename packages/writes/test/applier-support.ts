import { compileProjections, openFeedSource, recordEtag } from '@tandem/changefeed';
import { createLogger, type Logger } from '@tandem/log';
import { after, before } from 'node:test';
import { Category, Order, Product, User, hotProjections } from '@tandem/models';
import { createMigratedDatabase, type MigratedTestDatabase } from '@tandem/models/testing';
import type { WriteOp, WriteRequest } from '../src/index.js';
import { BatchApplier, WRITE_HANDLERS, writeBodyHash } from '../src/index.js';

/** The applier's logs in tests: errors only (a failing test shows them), never the whole batch chatter. */
export const quietLogger: Logger = createLogger(
  'applier-test',
  process.env.TEST_LOG_LEVEL === 'debug' ? 'debug' : 'error',
);

/** The SQL sent through the ORM's connection while `work` runs, in order (knex's query events). */
export async function statementsOf<T>(
  db: MigratedTestDatabase,
  work: () => Promise<T>,
): Promise<{ result: T; statements: string[] }> {
  const statements: string[] = [];
  const knex = db.orm.em.getKnex();
  const listen = (query: { sql: string }) => statements.push(query.sql);
  knex.on('query', listen);
  try {
    return { result: await work(), statements };
  } finally {
    knex.off('query', listen);
  }
}

/** Users who place orders, as the token's `sub` (the user id in decimal). */
export async function createUsers(
  db: MigratedTestDatabase,
  count: number,
  prefix = 'buyer',
): Promise<string[]> {
  const em = db.orm.em.fork();
  const users = Array.from({ length: count }, (_, index) =>
    em.create(User, { email: `${prefix}-${index}-${Date.now()}@example.com`, passwordHash: 'not-a-hash' }),
  );
  await em.flush();
  return users.map((user) => String(user.id));
}

export interface ProductSpec {
  readonly stock: number;
  readonly priceCents?: number;
  readonly currency?: string;
  readonly published?: boolean;
}

let skuSerial = 0;

/** Products in one new category; returns their ids in the order given. */
export async function createProducts(
  db: MigratedTestDatabase,
  specs: readonly ProductSpec[],
): Promise<number[]> {
  const em = db.orm.em.fork();
  const serial = ++skuSerial;
  const category = em.create(Category, {
    name: `Category ${serial}`,
    slug: `category-${serial}-${Date.now()}`,
  });
  const products = specs.map((spec, index) =>
    em.create(Product, {
      sku: `SKU-${serial}-${index}-${Date.now()}`,
      name: `Product ${serial}.${index}`,
      priceCents: spec.priceCents ?? 1999,
      currency: spec.currency ?? 'EUR',
      stock: spec.stock,
      category,
      published: spec.published ?? true,
    }),
  );
  await em.flush();
  return products.map((product) => product.id);
}

export async function stockOf(db: MigratedTestDatabase, productId: number): Promise<number> {
  const product = await db.orm.em.fork().findOneOrFail(Product, productId);
  return product.stock;
}

/** Ids the tests give writes they hand to a BatchApplier directly (as the Redis queue would). */
let nextWriteId = 1_000;

/** A write as the fast service queues it, with an id as the queue gives it. */
export function write(
  fields: Partial<Omit<WriteRequest, 'collection' | 'op'>> & { collection: string; op: WriteOp },
): WriteRequest {
  const body = fields.body ?? null;
  const subject = fields.subject ?? 'client:1';
  return {
    id: fields.id ?? nextWriteId++,
    recordId: null,
    subject,
    ownerKey: null,
    sessionId: 'sid-test',
    ifMatch: null,
    idempotencyKey: null,
    bodyHash: writeBodyHash('POST', `/v1/${fields.collection}`, Buffer.from(JSON.stringify(body))),
    partition: 0,
    acceptedAt: Date.now(),
    ...fields,
    body,
  };
}

/** A user's order of `quantity` of each product. */
export function orderWrite(
  user: string,
  lines: readonly [productId: number, quantity: number][],
  extra: Partial<WriteRequest> = {},
) {
  return write({
    collection: 'orders',
    op: 'create',
    subject: user,
    ownerKey: user,
    body: { lines: lines.map(([productId, quantity]) => ({ productId, quantity })) },
    ...extra,
  });
}

/** A user's cancellation of an order. */
export function cancelWrite(user: string, orderId: string, extra: Partial<WriteRequest> = {}) {
  return write({
    collection: 'orders',
    op: 'update',
    recordId: orderId,
    subject: user,
    ownerKey: user,
    body: { status: 'cancelled' },
    ...extra,
  });
}

/**
 * The ETag the fast service serves for a record: computed from the JSON a change-feed snapshot builds
 * (its own database connection, not the ORM's), exactly as the fast service's store does.
 */
export async function servedEtag(
  db: MigratedTestDatabase,
  collection: string,
  id: number,
): Promise<string | null> {
  const projections = compileProjections(
    hotProjections,
    (name) => db.orm.getMetadata().find(name) ?? undefined,
    db.target.dialect,
  );
  const source = openFeedSource(db.target, projections);
  await source.connect(
    () => undefined,
    () => undefined,
  );
  try {
    return await source.snapshot(async (snapshot) => {
      let found: string | null = null;
      for await (const rows of snapshot.collections.get(collection) ?? [])
        for (const row of rows) if (row.id === id) found = recordEtag(row.json);
      return found;
    });
  } finally {
    await source.close();
  }
}

/** What a suite of applier tests works with: its own migrated database, a BatchApplier, some buyers. */
export interface ApplierFixture {
  db: MigratedTestDatabase;
  batches: BatchApplier;
  users: string[];
}

/** Registers the suite's `before` (a database, an applier, `userCount` buyers) and `after` hooks. */
export function applierFixture(userPrefix: string, userCount: number): ApplierFixture {
  const fixture = {} as ApplierFixture;
  before(async () => {
    fixture.db = await createMigratedDatabase();
    fixture.batches = new BatchApplier(fixture.db.orm, fixture.db.target.dialect, WRITE_HANDLERS);
    fixture.users = await createUsers(fixture.db, userCount, userPrefix);
  });
  after(() => fixture.db.close());
  return fixture;
}

/** An order staff created in the admin: pending, and it took no stock (`stockTaken` null). */
export async function createStaffOrder(
  db: MigratedTestDatabase,
  user: string,
  productId: number,
  quantity: number,
  unitPriceCents: number,
): Promise<number> {
  const em = db.orm.em.fork();
  const order = em.create(Order, {
    user: Number(user),
    status: 'pending',
    currency: 'EUR',
    totalCents: quantity * unitPriceCents,
    lines: [{ productId, quantity, unitPriceCents }],
  });
  await em.flush();
  return order.id;
}

/** The query plan of `query`, with sequential scans made as dear as the database allows. */
export async function queryPlan(db: MigratedTestDatabase, query: string): Promise<string> {
  return db.orm.em.fork().transactional(async (tx) => {
    const connection = tx.getConnection();
    const context = tx.getTransactionContext();
    if (db.target.dialect === 'sqlite') {
      const rows = await connection.execute<{ detail: string }[]>(
        `explain query plan ${query}`,
        [],
        'all',
        context,
      );
      return rows.map((row) => row.detail).join('\n');
    }
    // A small test table is cheapest to read whole; this asks whether the index can serve the query.
    await connection.execute('set local enable_seqscan = off', [], 'run', context);
    const rows = await connection.execute<Record<string, string>[]>(`explain ${query}`, [], 'all', context);
    return rows.map((row) => Object.values(row)[0]).join('\n');
  });
}
