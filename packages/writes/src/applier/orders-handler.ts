import { LockMode } from '@mikro-orm/core';
import {
  Order,
  orderUnits,
  fieldDiff,
  orderAmountsProblem,
  orderTotal,
  validateOrder,
  type OrderLine,
  type StockTaken,
} from '@tandem/models';
import { lockBuyers, refuseOverHold, unitsHeldBy } from './buyer-holds.js';
import { ownerKeyOfValue, ownerValue, userIdOfOwnerKey } from './entity-fields.js';
import type {
  BatchContext,
  Dialect,
  EntityManager,
  RunContext,
  RunVerdict,
  WriteContext,
  WriteEffect,
  WriteHandler,
} from './handler.js';
import {
  lockProducts,
  productsForSale,
  returnStock,
  takeStock,
  takeStocks,
  type ProductForSale,
} from './product-stock.js';
import type { WriteRequest } from '../write-request.js';
import { WriteRejected, recordNotFound } from './write-rejected.js';

/** A line as the client sends it (the edge validated the shape; the price is the source's). */
interface RequestedLine {
  readonly productId: number;
  readonly quantity: number;
}

function requestedLines(body: Readonly<Record<string, unknown>> | null): RequestedLine[] {
  const lines = body?.lines;
  const valid =
    Array.isArray(lines) &&
    lines.length > 0 &&
    lines.every(
      (line: unknown) =>
        typeof line === 'object' &&
        line !== null &&
        Number.isSafeInteger((line as RequestedLine).productId) &&
        (line as RequestedLine).productId >= 1 &&
        Number.isSafeInteger((line as RequestedLine).quantity) &&
        (line as RequestedLine).quantity >= 1,
    );
  if (!valid) throw new WriteRejected(422, { lines: 'An order needs lines of {"productId", "quantity"}.' });
  return (lines as RequestedLine[]).map(({ productId, quantity }) => ({ productId, quantity }));
}

/**
 * What an order took from stock when it was placed (`stockTaken`, written here only), parsed or not:
 * nothing for an order placed otherwise (by staff) or already cancelled.
 */
function stockTakenBy(value: unknown): readonly StockTaken[] {
  const taken: unknown = typeof value === 'string' ? JSON.parse(value) : value;
  return Array.isArray(taken) ? (taken as StockTaken[]) : [];
}

/**
 * The products `check` read for a write, for `placeOrder` right after it (no write happens in between,
 * and the rows are locked on PostgreSQL, under the write lock on SQLite: still current).
 */
const checkedProducts = new WeakMap<WriteRequest, Map<number, ProductForSale>>();

/** The requested lines at their products' current prices (every product is known: refuseUnfillable). */
function pricedLines(
  lines: readonly RequestedLine[],
  products: ReadonlyMap<number, ProductForSale>,
): OrderLine[] {
  return lines.map(({ productId, quantity }) => ({
    productId,
    quantity,
    unitPriceCents: products.get(productId)!.priceCents,
  }));
}

/**
 * Every product published, one currency, amounts an order can hold at the current prices (the edge
 * checked the prices it served, which may have risen since), enough stock for each line as read
 * (`stockLeft`: the stock read, less what a run's earlier orders took in memory).
 */
function refuseUnfillable(
  lines: readonly RequestedLine[],
  products: ReadonlyMap<number, ProductForSale>,
  stockLeft: (productId: number) => number = (productId) => products.get(productId)!.stock,
): string {
  for (const { productId } of lines)
    if (products.get(productId)?.published !== true)
      throw new WriteRejected(422, { lines: `Product ${productId} is not available.` });
  const currencies = new Set(lines.map((line) => products.get(line.productId)!.currency));
  if (currencies.size > 1)
    throw new WriteRejected(422, {
      lines: `These products are priced in different currencies (${[...currencies].join(', ')}); order them separately.`,
    });
  // Checked here, not left to the INSERT: PostgreSQL's `int` total would fail it (22003) after the
  // stock was taken, an error that says nothing about which write of the batch caused it.
  const amounts = orderAmountsProblem(pricedLines(lines, products));
  if (amounts !== null) throw new WriteRejected(422, { lines: amounts });
  for (const { productId, quantity } of lines)
    if (stockLeft(productId) < quantity)
      throw new WriteRejected(422, { lines: `Product ${productId} is out of stock.` });
  return [...currencies][0]!;
}

/** What the orders handler enforces beyond stock (the applier's settings). */
export interface OrderLimits {
  /** ORDER_HOLD_MAX_UNITS: the stock units one buyer's unpaid orders may hold at once; 0, no limit. */
  readonly maxHeldUnits?: number;
}

/**
 * With a hold limit, refuses an order that would take its buyer past it. The caller took the buyer's
 * lock first (PostgreSQL), so the count cannot be passed by another applier's order before this one
 * commits.
 */
async function refuseOverBuyerHold(
  em: EntityManager,
  dialect: Dialect,
  user: number,
  lines: readonly RequestedLine[],
  limits: OrderLimits,
): Promise<void> {
  const maxUnits = limits.maxHeldUnits ?? 0;
  if (maxUnits === 0) return;
  const held = (await unitsHeldBy(em, dialect, [user])).get(user) ?? 0;
  refuseOverHold(held, orderUnits(lines), maxUnits);
}

/**
 * With a hold limit, the buyers' locks (PostgreSQL), before any row lock of the transaction: see
 * lockBatch for the order every writer takes its locks in.
 */
async function lockBuyersFirst(
  em: EntityManager,
  dialect: Dialect,
  users: readonly number[],
  limits: OrderLimits,
): Promise<void> {
  if ((limits.maxHeldUnits ?? 0) > 0) await lockBuyers(em, dialect, users);
}

/**
 * Refuses, from one read and before any savepoint is opened, an order its products cannot fill, or
 * one that would take its buyer past the hold limit.
 */
async function checkOrder(
  { em, write, projection, dialect }: WriteContext,
  limits: OrderLimits,
): Promise<void> {
  const user = ownerValue(projection, write.ownerKey) as number;
  const lines = requestedLines(write.body);
  await lockBuyersFirst(em, dialect, [user], limits);
  const products = await productsForSale(
    em,
    dialect,
    lines.map((line) => line.productId),
  );
  refuseUnfillable(lines, products);
  await refuseOverBuyerHold(em, dialect, user, lines, limits);
  checkedProducts.set(write, products);
}

/**
 * Places an order: every product must exist and be published, all in one currency; stock is taken
 * line by line with a conditional UPDATE (never below zero, whatever runs beside it), each line priced
 * from its product; the order is created through the ORM (Order's validation hooks) for the writer.
 * Any refusal is a WriteRejected, and the savepoint undoes the lines already taken.
 */
async function placeOrder(
  { em, write, projection, dialect }: WriteContext,
  limits: OrderLimits,
): Promise<WriteEffect> {
  const user = ownerValue(projection, write.ownerKey) as number;
  const lines = requestedLines(write.body);
  const checked = checkedProducts.get(write);
  if (checked === undefined) await lockBuyersFirst(em, dialect, [user], limits);
  const products =
    checked ??
    (await productsForSale(
      em,
      dialect,
      lines.map((line) => line.productId),
    ));
  checkedProducts.delete(write);
  const currency = refuseUnfillable(lines, products);
  if (checked === undefined) await refuseOverBuyerHold(em, dialect, user, lines, limits);
  // The stock read settled what it could; the conditional UPDATE is the guarantee (two lines of one
  // product, any other writer).
  for (const { productId, quantity } of lines)
    if (!(await takeStock(em, dialect, productId, quantity)))
      throw new WriteRejected(422, { lines: `Product ${productId} is out of stock.` });
  const values = orderValues(user, currency, lines, products);
  const order = em.create(Order, values);
  await em.flush();
  return {
    httpStatus: 201,
    recordId: String(order.id),
    action: 'create',
    model: 'Order',
    diff: fieldDiff(null, values),
  };
}

/** A new order's row as placeOrder has the ORM create it (before its id and timestamps). */
function orderValues(
  user: number,
  currency: string,
  lines: readonly RequestedLine[],
  products: ReadonlyMap<number, ProductForSale>,
) {
  const priced = pricedLines(lines, products);
  const stockTaken = lines.map(({ productId, quantity }) => ({ productId, quantity }));
  return {
    user,
    status: 'pending' as const,
    currency,
    totalCents: orderTotal(priced),
    lines: priced,
    stockTaken,
  };
}

/**
 * The ids of a multi-row INSERT's rows, in the rows' order. PostgreSQL returns them (RETURNING, in the
 * VALUES order). SQLite gives the last row's id only: one statement under the write lock (no other
 * writer in between) numbers its rows consecutively (the next rowid is the largest one plus one), so
 * they are the `count` ids ending there.
 */
function insertedIds(
  dialect: Dialect,
  result: { readonly rows?: readonly Record<string, unknown>[]; readonly insertId?: unknown },
  count: number,
): number[] {
  const returned = result.rows?.map((row) => Number(row.id)) ?? [];
  const ids =
    returned.length === count
      ? returned
      : dialect !== 'sqlite' || returned.length > 0
        ? []
        : Array.from({ length: count }, (_, index) => Number(result.insertId) - count + 1 + index);
  if (ids.length !== count || ids.some((id) => !Number.isSafeInteger(id) || id < 1))
    throw new Error(`the orders' insert gave no ids for its ${count} rows`);
  return ids;
}

/**
 * A run of new orders at once (the bulk path). Every verdict is decided in memory from one read of
 * the run's products, in the writes' order, with the same rules and messages as checkOrder and
 * placeOrder: each order sees the stock its predecessors in the run left (its lines taken one by one,
 * as the conditional UPDATEs would), and is validated by the model's own validateOrder, as its
 * beforeCreate hook would. Only then are the accepted orders written: one multi-row INSERT, and one
 * guarded UPDATE of the summed quantities (takeStocks), which throws if the stock is not what was read.
 */
async function placeOrders(
  { em, writes, projection, dialect }: RunContext,
  limits: OrderLimits,
): Promise<RunVerdict[]> {
  type Request = { user: number; lines: RequestedLine[] } | { refused: unknown };
  const requests = writes.map((write): Request => {
    try {
      return { user: ownerValue(projection, write.ownerKey) as number, lines: requestedLines(write.body) };
    } catch (refused) {
      return { refused };
    }
  });
  const ids = requests
    .flatMap((request) => ('lines' in request ? request.lines : []))
    .map((l) => l.productId);
  const maxHeld = limits.maxHeldUnits ?? 0;
  const buyers = requests.flatMap((request) => ('lines' in request ? [request.user] : []));
  await lockBuyersFirst(em, dialect, buyers, limits);
  const products =
    ids.length === 0 ? new Map<number, ProductForSale>() : await productsForSale(em, dialect, ids);
  const held = maxHeld > 0 ? await unitsHeldBy(em, dialect, buyers) : new Map<number, number>();
  const taken = new Map<number, number>();
  const left = (productId: number) => products.get(productId)!.stock - (taken.get(productId) ?? 0);
  type Decided = { values: ReturnType<typeof orderValues> } | { refused: unknown };
  const decided = requests.map((request): Decided => {
    if (!('lines' in request)) return request;
    try {
      const currency = refuseUnfillable(request.lines, products, left);
      const units = orderUnits(request.lines);
      if (maxHeld > 0) refuseOverHold(held.get(request.user) ?? 0, units, maxHeld);
      const takes = new Map<number, number>();
      for (const { productId, quantity } of request.lines) {
        const already = takes.get(productId) ?? 0;
        if (left(productId) - already < quantity)
          throw new WriteRejected(422, { lines: `Product ${productId} is out of stock.` });
        takes.set(productId, already + quantity);
      }
      const values = orderValues(request.user, currency, request.lines, products);
      validateOrder(values);
      for (const [productId, quantity] of takes) taken.set(productId, (taken.get(productId) ?? 0) + quantity);
      held.set(request.user, (held.get(request.user) ?? 0) + units);
      return { values };
    } catch (refused) {
      return { refused };
    }
  });
  const placed = decided.flatMap((verdict) => ('values' in verdict ? [verdict.values] : []));
  if (placed.length === 0) return decided as RunVerdict[];
  await takeStocks(em, dialect, taken);
  // The ORM's timestamps, as its onCreate would set them (SQLite stores them as epoch milliseconds).
  const at = new Date();
  const inserted = await em.getDriver().nativeInsertMany(
    Order.meta.className,
    placed.map((values) => ({ ...values, createdAt: at, updatedAt: at })),
    { ctx: em.getTransactionContext() },
  );
  const orderIds = insertedIds(dialect, inserted, placed.length);
  let next = 0;
  return decided.map((verdict) => {
    if (!('values' in verdict)) return verdict;
    const { values } = verdict;
    return {
      effect: {
        httpStatus: 201,
        recordId: String(orderIds[next++]),
        action: 'create',
        model: 'Order',
        diff: fieldDiff(null, values),
      },
    };
  });
}

/**
 * Cancels the writer's own order while it is pending, and puts its lines' stock back in the same
 * savepoint. Another user's order is the missing-record 404 (as on GET); a paid, shipped or cancelled
 * one is a 409 with the reason.
 */
async function cancelOrder({ em, write, projection, dialect }: WriteContext): Promise<WriteEffect> {
  const body = write.body ?? {};
  const extra = Object.keys(body).filter((key) => key !== 'status');
  if (extra.length > 0 || body.status !== 'cancelled')
    throw new WriteRejected(422, {
      [extra[0] ?? 'status']: 'An order can only be changed to {"status": "cancelled"}.',
    });
  const id = Number(write.recordId);
  const order = Number.isSafeInteger(id)
    ? await em.findOne(Order, id, dialect === 'postgresql' ? { lockMode: LockMode.PESSIMISTIC_WRITE } : {})
    : null;
  if (order === null || ownerKeyOfValue(order.user) !== write.ownerKey)
    throw recordNotFound(projection.collection, write.recordId);
  if (order.status !== 'pending')
    throw new WriteRejected(409, {
      status: `Only a pending order can be cancelled; this one is ${order.status}.`,
    });
  await putBackTakenStock(em, dialect, order);
  order.status = 'cancelled';
  await em.flush();
  return {
    httpStatus: 200,
    recordId: String(order.id),
    action: 'update',
    model: 'Order',
    diff: { status: { before: 'pending', after: 'cancelled' } },
  };
}

/**
 * Puts back what placing `order` took from stock, and clears `stockTaken` so nothing is put back
 * twice: a cancel, through the API (the owner, while pending) or by staff in the admin. What placing
 * took, not the lines: staff may have created the order (taking nothing) or changed its lines since.
 * PostgreSQL: the caller holds the products' locks first, then the order's (lockOrdersForCancel).
 */
export async function putBackTakenStock(
  em: EntityManager,
  dialect: Dialect,
  order: { stockTaken?: StockTaken[] | null },
): Promise<void> {
  const returned = [...stockTakenBy(order.stockTaken)].sort((a, b) => a.productId - b.productId);
  for (const { productId, quantity } of returned) await returnStock(em, dialect, productId, quantity);
  order.stockTaken = null;
}

/**
 * PostgreSQL: locks what a cancel of the orders `ids` writes, in the one order every writer takes them
 * in: first the products it would put stock back to (with `alsoProducts`, those the caller's new
 * orders take), in id order and in one statement, then the orders themselves in id order. Two writers
 * that took the same rows in different orders (an order, then its products; or one order, then
 * another) could deadlock: PostgreSQL would end one of them with an error.
 */
export async function lockOrdersForCancel(
  em: EntityManager,
  dialect: Dialect,
  ids: readonly number[],
  alsoProducts: readonly number[] = [],
): Promise<void> {
  if (dialect !== 'postgresql') return;
  const orders =
    ids.length === 0
      ? []
      : await em
          .createQueryBuilder(Order)
          .select(['id', 'stockTaken'])
          .where({ id: { $in: [...ids] } })
          .execute('all');
  await lockProducts(em, dialect, [
    ...alsoProducts,
    ...orders.flatMap((order) => stockTakenBy(order.stockTaken).map((line) => line.productId)),
  ]);
  await lockOrders(
    em,
    orders.map((order) => Number(order.id)),
  );
}

/** Locks the orders `ids` (existing ones), in id order and in one statement. */
async function lockOrders(em: EntityManager, ids: readonly number[]): Promise<void> {
  if (ids.length === 0) return;
  await em
    .createQueryBuilder(Order)
    .select(['id'])
    .where({ id: { $in: [...ids] } })
    .orderBy({ id: 'asc' })
    .setLockMode(LockMode.PESSIMISTIC_WRITE)
    .execute('all');
}

/**
 * The batch's locks, all at once and in the one order: (with a hold limit) the buyers of its new orders,
 * then (lockOrdersForCancel) the products its new orders take stock from and those its cancellations
 * put stock back to, then the orders it cancels. A batch holds its locks until it commits, so locks
 * taken write by write, in whatever order the writes come, could deadlock two appliers' batches, or a
 * batch and a staff member's bulk delete. The buyers come first because only appliers take them: a
 * batch waiting for a buyer then holds no row another writer waits for. (Taken after the products, a
 * cancel's late product lock, of an order another applier committed while this batch waited for the
 * buyer, closed a cycle with a third applier holding that product and waiting for the same buyer.)
 */
async function lockBatch(
  { em, writes, dialect, inRuns, onlyHandler }: BatchContext,
  limits: OrderLimits,
): Promise<void> {
  if (dialect !== 'postgresql') return;
  // A batch of new orders only, applied as one run (or a single order): its one read of the products
  // (placeOrders, or checkOrder) locks them all in id order in one statement, the batch's only product
  // locks, so locking them here first would only cost a round trip.
  if (onlyHandler && (inRuns || writes.length === 1) && writes.every((write) => write.op === 'create'))
    return;
  const ids: number[] = [];
  for (const write of writes)
    if (write.op === 'create' && Array.isArray(write.body?.lines))
      for (const line of write.body.lines as unknown[]) {
        const productId = (line as Partial<RequestedLine> | null)?.productId;
        if (typeof productId === 'number' && Number.isSafeInteger(productId)) ids.push(productId);
      }
  const cancelled = writes.flatMap((write) => {
    const id = Number(write.recordId);
    return write.op === 'update' && Number.isSafeInteger(id) ? [id] : [];
  });
  await lockBuyersFirst(
    em,
    dialect,
    writes.flatMap((write) => {
      // A malformed owner is refused by the write itself (ownerValue); it needs no lock.
      const user = write.op === 'create' ? userIdOfOwnerKey(write.ownerKey) : undefined;
      return user === undefined ? [] : [user];
    }),
    limits,
  );
  await lockOrdersForCancel(em, dialect, cancelled, ids);
}

/** The `orders` handler (Order's write declaration names it): place and cancel orders. */
export function ordersHandler(limits: OrderLimits = {}): WriteHandler {
  return {
    prepare: (batch) => lockBatch(batch, limits),
    runs: (write) => write.op === 'create',
    applyRun: (run) => placeOrders(run, limits),
    async check(context: WriteContext): Promise<void> {
      if (context.write.op === 'create') await checkOrder(context, limits);
    },
    async apply(context: WriteContext): Promise<WriteEffect> {
      switch (context.write.op) {
        case 'create':
          return placeOrder(context, limits);
        case 'update':
          return cancelOrder(context);
        case 'delete':
          throw new WriteRejected(422, { _: 'Orders are cancelled, not deleted.' });
      }
    },
  };
}
