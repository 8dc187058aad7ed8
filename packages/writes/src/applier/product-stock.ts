import type { EntityManager } from './handler.js';
import type { Dialect } from './handler.js';

/** What an order line needs from its product, read in the write's transaction. */
export interface ProductForSale {
  readonly id: number;
  readonly priceCents: number;
  readonly currency: string;
  readonly published: boolean;
  /** As read (locked on PostgreSQL, under the write lock on SQLite): what the order may take at most. */
  readonly stock: number;
}

interface ProductRow {
  id: number | string;
  price_cents: number | string;
  currency: string;
  published: boolean | number;
  stock: number | string;
}

const idList = (ids: readonly number[]) => {
  // Ids are validated integers; checked again here because they are written into the SQL.
  for (const id of ids) if (!Number.isSafeInteger(id)) throw new TypeError(`not a product id: ${id}`);
  return [...new Set(ids)].sort((a, b) => a - b).join(', ');
};

/** A statement in the entity manager's transaction: rows ('all') or `{ affectedRows }` ('run'). */
function run(
  em: EntityManager,
  sql: string,
  params: readonly unknown[],
  method: 'all' | 'run',
): Promise<unknown> {
  return em.getConnection().execute(sql, [...params], method, em.getTransactionContext());
}

/**
 * PostgreSQL: locks the products' rows (SELECT ... FOR UPDATE) in id order. Every batch that touches
 * products takes its locks this way before its first write, so two appliers' batches wait for each
 * other instead of deadlocking (a batch holds its locks until it commits). SQLite has one writer at a
 * time (the applier takes the write lock first), so there is nothing to order there.
 */
export async function lockProducts(
  em: EntityManager,
  dialect: Dialect,
  ids: readonly number[],
): Promise<void> {
  if (dialect !== 'postgresql' || ids.length === 0) return;
  await run(em, `select id from products where id in (${idList(ids)}) order by id for update`, [], 'all');
}

/** The products of an order's lines, by id (absent ids are missing from the map), locked on PostgreSQL. */
export async function productsForSale(
  em: EntityManager,
  dialect: Dialect,
  ids: readonly number[],
): Promise<Map<number, ProductForSale>> {
  const lock = dialect === 'postgresql' ? ' for update' : '';
  const rows = (await run(
    em,
    `select id, price_cents, currency, published, stock from products where id in (${idList(ids)}) order by id${lock}`,
    [],
    'all',
  )) as ProductRow[];
  return new Map(
    rows.map((row) => [
      Number(row.id),
      {
        id: Number(row.id),
        priceCents: Number(row.price_cents),
        currency: row.currency,
        published: row.published === true || row.published === 1,
        stock: Number(row.stock),
      },
    ]),
  );
}

/** `updated_at` as each dialect stores the ORM's datetimes (SQLite: epoch milliseconds). */
const now = (dialect: Dialect) => (dialect === 'postgresql' ? 'current_timestamp' : String(Date.now()));

/**
 * Takes `quantity` from the product's stock if, and only if, that much is left: the check and the
 * decrement are one conditional UPDATE, so concurrent orders can never take the stock below zero
 * whatever their interleaving. Returns false (nothing changed) when not enough is left.
 */
export async function takeStock(
  em: EntityManager,
  dialect: Dialect,
  productId: number,
  quantity: number,
): Promise<boolean> {
  const result = (await run(
    em,
    `update products set stock = stock - ?, updated_at = ${now(dialect)} where id = ? and stock >= ?`,
    [quantity, productId, quantity],
    'run',
  )) as { affectedRows: number };
  return result.affectedRows === 1;
}

/** Puts `quantity` back (a cancelled order); a product deleted since has nothing to restore. */
export async function returnStock(
  em: EntityManager,
  dialect: Dialect,
  productId: number,
  quantity: number,
): Promise<void> {
  await run(
    em,
    `update products set stock = stock + ?, updated_at = ${now(dialect)} where id = ?`,
    [quantity, productId],
    'run',
  );
}
