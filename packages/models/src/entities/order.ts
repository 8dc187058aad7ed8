import { defineEntity, type InferEntity } from '@mikro-orm/core';
import { User } from './user.js';
import { timestamps } from './timestamps.js';
import {
  MAX_ORDER_CENTS,
  MAX_ORDER_LINES,
  MAX_ORDER_QUANTITY,
  ORDER_STATUSES,
  orderLinesProblem,
  orderTotal,
  type OrderLine,
  type OrderStatus,
  type StockTaken,
} from './order-lines.js';
import { isCurrencyCode, isNonNegativeInteger, throwIfInvalid, type FieldErrors } from '../validation.js';
import { defineModel } from '../model.js';
import { SEED_EXAMPLE_TIME } from '../seed/demo-catalog.js';
import { demoOrder } from '../seed/demo-orders.js';

const p = defineEntity.properties;

/**
 * A customer's order: the per-user model (issue 14). Its lines keep the product id and the unit price
 * paid, not a reference: an order is a record of what was sold, and must not change (or block a
 * product's deletion) when the catalog does. The total is the sum of the lines, checked on every
 * write, so a client can trust `totalCents` without adding the lines up itself.
 */
export const Order = defineEntity({
  name: 'Order',
  tableName: 'orders',
  properties: {
    id: p.integer().primary().autoincrement(),
    /**
     * The owner. `restrict`: orders are business records, so a user with orders is deactivated rather
     * than deleted (the admin says the user is still referenced).
     */
    user: () => p.manyToOne(User).deleteRule('restrict').index(),
    /**
     * One of ORDER_STATUSES. A string column with a hand-written CHECK rather than `p.enum`: MikroORM's
     * SQLite introspection reads only two values back from an enum's CHECK, so every migrated SQLite
     * database would look out of date.
     */
    status: p.string().length(16).$type<OrderStatus>().default('pending'),
    /** ISO 4217 alphabetic code, e.g. EUR: every line is priced in it. */
    currency: p.string().length(3),
    /** Minor units (cents): the sum of quantity × unitPriceCents over the lines. */
    totalCents: p.integer(),
    /** `json`, not `jsonb`, on PostgreSQL: the feed embeds the compact text verbatim (see Product.tags). */
    lines: p.json<OrderLine[]>().columnType('json'),
    /**
     * What placing the order through the API took from stock, per product: exactly what cancelling it
     * puts back. Null for an order that took none (created or seeded by staff) and once cancelled, so
     * a cancel can never add stock that was not taken. Not served.
     */
    stockTaken: p.json<StockTaken[]>().columnType('json').nullable(),
    ...timestamps,
  },
  indexes: [
    {
      // The applier's sweep of unpaid orders whose stock hold ran out (ORDER_HOLD_SECONDS): only the
      // orders holding stock are in it, so the sweep costs the same at 1,000 orders or 1,000,000.
      name: 'orders_stock_held_idx',
      expression: `create index "orders_stock_held_idx" on "orders" ("created_at") where "status" = 'pending' and "stock_taken" is not null`,
    },
    {
      // The applier's count of the stock a buyer's unpaid orders hold (ORDER_HOLD_MAX_UNITS), read for
      // every order placed: its cost is the buyer's holds, never their order history.
      name: 'orders_held_by_buyer_idx',
      expression: `create index "orders_held_by_buyer_idx" on "orders" ("user_id") where "status" = 'pending' and "stock_taken" is not null`,
    },
  ],
  hooks: {
    beforeCreate: [({ entity }) => validateOrder(entity)],
    beforeUpdate: [({ entity }) => validateOrder(entity)],
  },
});

export type Order = InferEntity<typeof Order>;

const example = demoOrder(1, 1, SEED_EXAMPLE_TIME);

/** Orders: served as `orders`, each row to its owner only (issue 14). */
export const orderModel = defineModel(Order, {
  hot: {
    collection: 'orders',
    fields: {
      id: 'id',
      userId: 'user',
      status: 'status',
      currency: 'currency',
      totalCents: 'totalCents',
      lines: 'lines',
      createdAt: 'createdAt',
      updatedAt: 'updatedAt',
    },
    scope: 'orders:read',
    // Each order is served and pushed to its owner only (the token whose `sub` is its `userId`);
    // trusted machine clients with orders:read:any read every order.
    rowAccess: { field: 'userId', claim: 'sub', anyScope: 'orders:read:any' },
    filterable: ['status'],
    // Placing and cancelling orders through the fast service (issue 15), applied by the applier's
    // `orders` handler: it checks the products are published and in stock, prices the lines and
    // decrements the stock atomically; the owner is the writer's token, never the body.
    writes: {
      scope: 'orders:write',
      create: { fields: ['lines'], required: ['lines'] },
      update: { fields: ['status'] },
      handler: 'orders',
      schema: {
        lines: {
          type: 'array',
          minItems: 1,
          maxItems: MAX_ORDER_LINES,
          items: {
            type: 'object',
            additionalProperties: false,
            required: ['productId', 'quantity'],
            properties: {
              productId: { type: 'integer', minimum: 1, maximum: 2 ** 31 - 1 },
              quantity: { type: 'integer', minimum: 1, maximum: MAX_ORDER_QUANTITY },
            },
          },
          description:
            'What to buy: the prices come from the products when the order is applied. A pending order ' +
            'holds the stock it took until it is paid or cancelled: by its owner, or by the service once ' +
            "its hold (ORDER_HOLD_SECONDS, one hour by default) runs out unpaid. One buyer's unpaid " +
            'orders may hold ORDER_HOLD_MAX_UNITS units together (100 by default): an order past it is ' +
            'rejected with 409 when applied.',
        },
        // A client may only cancel (while pending: checked when applied); staff change the rest.
        status: { enum: ['cancelled'] },
      },
    },
    schema: {
      // A string column (see `status` above), so the values are stated here for the OpenAPI document.
      status: {
        enum: [...ORDER_STATUSES],
        description:
          '`pending` until staff mark it paid; `cancelled` by its owner, by staff, or by the service ' +
          'when a pending order placed through the API outlives its stock hold.',
      },
      currency: { pattern: '^[A-Z]{3}$', description: 'ISO 4217 code.' },
      totalCents: {
        minimum: 0,
        description: 'Minor units (cents): the sum of quantity × unitPriceCents over the lines.',
      },
      lines: {
        type: 'array',
        minItems: 1,
        items: {
          type: 'object',
          additionalProperties: false,
          required: ['productId', 'quantity', 'unitPriceCents'],
          properties: {
            productId: { type: 'integer', minimum: 1 },
            quantity: { type: 'integer', minimum: 1 },
            unitPriceCents: { type: 'integer', minimum: 0 },
          },
        },
      },
    },
  },
  admin: {
    navigation: 'Sales',
    icon: 'ShoppingCart',
    listProperties: ['id', 'user', 'status', 'totalCents', 'currency', 'createdAt', 'updatedAt'],
    filterProperties: ['q', 'status', 'user', 'currency', 'createdAt', 'updatedAt'],
    // The Search box finds a customer's orders by (part of) their email.
    searchFields: ['user.email'],
    titleProperty: 'id',
    defaultSort: { sortBy: 'id', direction: 'desc' },
    propertyLabels: {
      user: 'Owner',
      totalCents: 'Total',
      createdAt: 'Created',
      updatedAt: 'Updated',
    },
    money: { totalCents: { currencyProperty: 'currency' } },
    // Written when an order is placed through the API and cleared by the cancel that puts it back
    // (the owner's through the API, or staff's here: services/admin/src/resources/order-stock.ts).
    readOnly: ['stockTaken'],
    descriptions: {
      lines: 'JSON list of {"productId": 1, "quantity": 2, "unitPriceCents": 1999}.',
      totalCents: 'In minor units (1999 is 19.99): the sum of quantity × unit price over the lines.',
      stockTaken:
        'What placing the order through the API took from stock; cancelling a pending or paid order (through the API or here) or deleting it here puts exactly this back. Empty for orders created here, and once put back.',
    },
  },
  // What `tandem seed --orders` writes as the first order (owned by the first seeded user).
  example: { id: 1, user: 1, ...example },
});

interface OrderFields {
  user?: unknown;
  status?: unknown;
  currency?: unknown;
  totalCents?: unknown;
  lines?: unknown;
}

export function validateOrder(order: OrderFields): void {
  const errors: FieldErrors = {};
  if (order.user === undefined || order.user === null) errors.user = 'An order belongs to a user.';
  // status has a database default: absent means "pending".
  if (order.status !== undefined && !(ORDER_STATUSES as readonly unknown[]).includes(order.status))
    errors.status = `Status must be one of ${ORDER_STATUSES.join(', ')}.`;
  if (!isCurrencyCode(order.currency)) errors.currency = 'Use an ISO 4217 currency code such as EUR or USD.';
  const linesProblem = orderLinesProblem(order.lines);
  if (linesProblem) errors.lines = linesProblem;
  if (!isNonNegativeInteger(order.totalCents))
    errors.totalCents = 'The total must be a whole number of cents, 0 or more.';
  else if ((order.totalCents as number) > MAX_ORDER_CENTS)
    errors.totalCents = `The total must be at most ${MAX_ORDER_CENTS} cents.`;
  else if (!linesProblem && order.totalCents !== orderTotal(order.lines as OrderLine[]))
    errors.totalCents = `The total must equal the sum of the lines: ${orderTotal(order.lines as OrderLine[])} cents.`;
  throwIfInvalid(errors);
}
