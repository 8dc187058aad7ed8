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

/** The most a product's stock holds: `products.stock` is a 32-bit integer column. */
export const MAX_STOCK = 2 ** 31 - 1;

/**
 * Puts `quantity` back (a cancelled order); a product deleted since has nothing to restore. The stock
 * stops at MAX_STOCK: staff may set a product's stock to the most the column holds (stock without a
 * count) while orders hold some of it, and then a plain `stock + quantity` is out of the column's range
 * on PostgreSQL, which refused the owner's cancel, failed staff's, and stopped every hold sweep.
 */
export async function returnStock(
  em: EntityManager,
  dialect: Dialect,
  productId: number,
  quantity: number,
): Promise<void> {
  if (!Number.isSafeInteger(quantity) || quantity < 0 || quantity > MAX_STOCK)
    throw new TypeError(`not a stock return: ${quantity}`);
  // min(stock, MAX - q) + q is min(stock + q, MAX) without ever passing MAX on the way.
  const least = dialect === 'postgresql' ? 'least' : 'min';
  await run(
    em,
    `update products set stock = ${least}(stock, ${MAX_STOCK} - ?) + ?, updated_at = ${now(dialect)} where id = ?`,
    [quantity, quantity, productId],
    'run',
  );
}

/** The run's takes did not all fit the stock: the run is redone write by write (see takeStocks). */
export class StockMovedError extends Error {
  override name = 'StockMovedError';
}

/**
 * Takes a run of orders' summed quantities, per product, in one statement: each product's stock is
 * decremented only if that much is left (the same guard as takeStock's). The quantities were decided
 * from a read of the locked rows, so every product must be updated; if one is not (its stock moved
 * under us, which the locks exclude), StockMovedError undoes the run's savepoint and the run is redone
 * write by write with takeStock.
 */
export async function takeStocks(
  em: EntityManager,
  dialect: Dialect,
  taken: ReadonlyMap<number, number>,
): Promise<void> {
  if (taken.size === 0) return;
  for (const [id, quantity] of taken)
    if (!Number.isSafeInteger(id) || !Number.isSafeInteger(quantity) || quantity < 1)
      throw new TypeError(`not a stock take: ${id} × ${quantity}`);
  // Validated integers, written into the SQL (a CASE of parameters would need casts on PostgreSQL).
  const cases = [...taken].map(([id, quantity]) => `when ${id} then ${quantity}`).join(' ');
  const take = `(case id ${cases} end)`;
  const result = (await run(
    em,
    `update products set stock = stock - ${take}, updated_at = ${now(dialect)} where id in (${idList([...taken.keys()])}) and stock >= ${take}`,
    [],
    'run',
  )) as { affectedRows: number };
  if (result.affectedRows !== taken.size)
    throw new StockMovedError(`${taken.size - result.affectedRows} products no longer had the stock read`);
}
