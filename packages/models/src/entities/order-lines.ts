/**
 * What an order holds besides its owner: its status and its lines, and the rules a line list obeys.
 * Apart from order.ts so the demo data (seed/demo-orders.ts) can use them without importing the
 * entity that takes its example from that data.
 */

export const ORDER_STATUSES = ['pending', 'paid', 'shipped', 'cancelled'] as const;
export type OrderStatus = (typeof ORDER_STATUSES)[number];

/** One line of an order: a product (by id, see below), how many, at what unit price in cents. */
export interface OrderLine {
  readonly productId: number;
  readonly quantity: number;
  readonly unitPriceCents: number;
}

/** Stock an order took when it was placed, per product (Order.stockTaken). */
export type StockTaken = Pick<OrderLine, 'productId' | 'quantity'>;

/** The keys a line has, and no others (a form's or client's extra keys are refused, not stored). */
const LINE_KEYS: readonly string[] = ['productId', 'quantity', 'unitPriceCents'];
/** An order of more lines is not a shop's order; it also bounds the row the fast service holds. */
export const MAX_ORDER_LINES = 100;
/** The most of one product a client may order in one line through the fast service. */
export const MAX_ORDER_QUANTITY = 10_000;
/** Ids are 32-bit integer columns. */
const MAX_ID = 2 ** 31 - 1;
/**
 * The most an order may total, in cents, and so the most a line's quantity, unit price or amount may
 * be: `orders.total_cents` is a 32-bit `int` on PostgreSQL (as `products.price_cents` is). SQLite
 * would store more, but the rule is the same on both databases. An order beyond it is refused as
 * invalid, at the edge and by the applier, before any INSERT: the database's own refusal (SQLSTATE
 * 22003) would come after the stock was taken, as an error rather than a verdict on the write.
 */
export const MAX_ORDER_CENTS = 2 ** 31 - 1;

const isPositiveId = (value: unknown) =>
  typeof value === 'number' && Number.isSafeInteger(value) && value >= 1 && value <= MAX_ID;
const isPositiveInteger = (value: unknown) =>
  typeof value === 'number' && Number.isSafeInteger(value) && value >= 1;
const isCents = (value: unknown) => typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;

/** The order's total: the sum of quantity × unit price over its lines (no shipping, tax or discount). */
export function orderTotal(lines: readonly OrderLine[]): number {
  return lines.reduce((sum, line) => sum + line.quantity * line.unitPriceCents, 0);
}

/**
 * Why priced lines cannot make one order (a message for the writer), or null when they can: each
 * line's quantity, unit price and quantity × unit price, and the total, at most MAX_ORDER_CENTS. The
 * one rule for the model's validation, the fast service's edge (the prices it serves) and the applier
 * (the prices when the order is placed); the lines are otherwise well formed (orderLinesProblem).
 */
export function orderAmountsProblem(lines: readonly OrderLine[]): string | null {
  for (const [index, { quantity, unitPriceCents }] of lines.entries()) {
    const at = `Line ${index + 1}`;
    if (quantity > MAX_ORDER_CENTS) return `${at}: quantity must be at most ${MAX_ORDER_CENTS}.`;
    if (unitPriceCents > MAX_ORDER_CENTS)
      return `${at}: unitPriceCents must be at most ${MAX_ORDER_CENTS} cents.`;
    if (quantity * unitPriceCents > MAX_ORDER_CENTS)
      return `${at} (${quantity} × ${unitPriceCents} cents) comes to more than an order may total (${MAX_ORDER_CENTS} cents); order fewer.`;
  }
  const total = orderTotal(lines);
  return total > MAX_ORDER_CENTS
    ? `The lines add up to ${total} cents, more than an order may total (${MAX_ORDER_CENTS} cents); split the order.`
    : null;
}

/** Why `value` is not a valid line list (a message for the form), or null when it is one. */
export function orderLinesProblem(value: unknown): string | null {
  if (!Array.isArray(value) || value.length === 0)
    return 'An order needs a list of at least one line ({"productId", "quantity", "unitPriceCents"}).';
  if (value.length > MAX_ORDER_LINES) return `An order has at most ${MAX_ORDER_LINES} lines.`;
  for (const [index, line] of value.entries()) {
    const at = `Line ${index + 1}`;
    if (typeof line !== 'object' || line === null || Array.isArray(line))
      return `${at} must be an object with productId, quantity and unitPriceCents.`;
    const extra = Object.keys(line).filter((key) => !LINE_KEYS.includes(key));
    if (extra.length > 0)
      return `${at} has unknown keys (${extra.map((key) => JSON.stringify(key)).join(', ')}); a line has only productId, quantity and unitPriceCents.`;
    const { productId, quantity, unitPriceCents } = line as Record<string, unknown>;
    if (!isPositiveId(productId)) return `${at}: productId must be a product id (a whole number, 1 or more).`;
    if (!isPositiveInteger(quantity)) return `${at}: quantity must be a whole number, 1 or more.`;
    if (!isCents(unitPriceCents)) return `${at}: unitPriceCents must be a whole number of cents, 0 or more.`;
  }
  return orderAmountsProblem(value as OrderLine[]);
}

/** The units of stock an order of these lines takes (what a buyer's hold counts). */
export const orderUnits = (lines: readonly { readonly quantity: number }[]): number =>
  lines.reduce((sum, line) => sum + line.quantity, 0);

/**
 * Why an order of `units` can never be placed under a hold limit (ORDER_HOLD_MAX_UNITS, 0: none): it
 * takes more units of stock on its own than one buyer's unpaid orders may hold together. One message for
 * the fast service's edge (422 before anything is queued) and the applier, which checks it again with
 * its own setting.
 */
export function orderHoldProblem(units: number, maxHeldUnits: number): string | null {
  return maxHeldUnits > 0 && units > maxHeldUnits
    ? `This order takes ${units} units of stock; one buyer's unpaid orders may hold ${maxHeldUnits} at most. Order fewer.`
    : null;
}
