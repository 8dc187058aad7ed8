import { orderAmountsProblem, orderHoldProblem, orderUnits, type OrderLine } from '@tandem/models';
import type { CollectionStore, HotStore } from '../data/store.js';
import type { PreparedRecord } from '../data/prepared-record.js';
import type { FieldErrors } from './body-validator.js';

/** The write handler whose creates are orders (Order's write declaration names it). */
export const ORDERS_HANDLER = 'orders';
/** The hot collection an order's products are served in (productModel's). */
const PRODUCTS = 'products';

/**
 * Each served product version's price, parsed once: a record is replaced, never changed, when its
 * row changes, so the entry goes with the old version.
 */
const prices = new WeakMap<PreparedRecord, number | undefined>();

function servedPrice(products: CollectionStore, productId: number): number | undefined {
  const record = products.get(productId);
  if (record === undefined) return undefined;
  if (!prices.has(record)) {
    const price = (JSON.parse(record.bytes.toString('utf8')) as { priceCents?: unknown }).priceCents;
    prices.set(record, typeof price === 'number' ? price : undefined);
  }
  return prices.get(record);
}

/**
 * A new order refused at the edge (422, never queued) when it can never be placed: its amounts at the
 * prices this node serves come to more than an order may hold (orderAmountsProblem, which the applier
 * applies again with the prices when the order is placed: they may have risen since), or it takes more
 * units than a buyer's unpaid orders may hold under `maxHeldUnits` (orderHoldProblem, ORDER_HOLD_MAX_UNITS;
 * what the buyer already holds is the applier's to count). The body passed the schema (lines of integer
 * productId and quantity); a line whose product is not served counts as nothing for the amounts (the
 * applier refuses it as unavailable) and keeps the other lines' numbers.
 */
export function orderAmountErrors(
  store: HotStore,
  body: Readonly<Record<string, unknown>>,
  maxHeldUnits = 0,
): FieldErrors | undefined {
  const products = store.get(PRODUCTS);
  if (products === undefined || !Array.isArray(body.lines)) return undefined;
  const lines = body.lines as readonly { productId: number; quantity: number }[];
  const priced: OrderLine[] = lines.map(({ productId, quantity }) => ({
    productId,
    quantity,
    unitPriceCents: servedPrice(products, productId) ?? 0,
  }));
  // In the applier's order: the amounts, then the hold.
  const problem = orderAmountsProblem(priced) ?? orderHoldProblem(orderUnits(lines), maxHeldUnits);
  return problem === null ? undefined : { lines: problem };
}
