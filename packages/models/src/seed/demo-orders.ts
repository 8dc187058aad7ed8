/**
 * Deterministic demo orders and their owners for `tandem seed --users U --orders N`: order number n
 * always has the same owner, status, lines and dates, so a re-run and the OpenAPI example agree.
 * Kept with the models, like the demo catalog.
 */
import { orderTotal, type OrderLine, type OrderStatus } from '../entities/order-lines.js';

/** Seeded owners are `seed-user-000001@example.com`...: numbered, so a second run finds them. */
export const DEMO_USER_PREFIX = 'seed-user-';
export const DEMO_USER_DOMAIN = '@example.com';
const USER_DIGITS = 6;
/** The highest user number a 6-digit address can hold. */
export const MAX_DEMO_USER_NUMBER = 10 ** USER_DIGITS - 1;

export function demoUserEmail(number: number): string {
  return `${DEMO_USER_PREFIX}${String(number).padStart(USER_DIGITS, '0')}${DEMO_USER_DOMAIN}`;
}

export interface DemoOrder {
  readonly status: OrderStatus;
  readonly currency: string;
  readonly totalCents: number;
  readonly lines: OrderLine[];
  readonly createdAt: Date;
  readonly updatedAt: Date;
}

/** Most orders are done; a few are still open or were cancelled, for the admin's filters to find. */
const STATUSES: readonly OrderStatus[] = [
  'shipped',
  'shipped',
  'shipped',
  'shipped',
  'paid',
  'paid',
  'pending',
  'cancelled',
];
const CURRENCIES = ['EUR', 'EUR', 'EUR', 'USD', 'USD', 'GBP'];
const DAY_MS = 24 * 60 * 60 * 1000;

/** A small multiplicative hash: enough spread for demo data, no state to carry between orders. */
function mix(value: number): number {
  let t = Math.imul(value ^ (value >>> 15), 0x2c1b3c6d);
  t = Math.imul(t ^ (t >>> 12), 0x297a2d39);
  return (t ^ (t >>> 15)) >>> 0;
}

/**
 * Order number `number` (1-based): one to four lines over the first `productCount` product ids (ids
 * 1..100 when there is no catalog: lines keep a product id, not a reference, see order.ts).
 */
export function demoOrder(number: number, productCount: number, now: Date): DemoOrder {
  let state = mix(number);
  const next = (modulo: number) => {
    state = mix(state + 0x9e3779b9);
    return state % modulo;
  };
  const products = Math.max(1, productCount);
  const lines: OrderLine[] = Array.from({ length: 1 + next(4) }, () => ({
    productId: 1 + next(products),
    quantity: 1 + next(3),
    unitPriceCents: (4 + next(200)) * 100 + 99,
  }));
  const createdAt = new Date(now.getTime() - next(365) * DAY_MS - next(DAY_MS));
  return {
    status: STATUSES[next(STATUSES.length)]!,
    currency: CURRENCIES[next(CURRENCIES.length)]!,
    totalCents: orderTotal(lines),
    lines,
    createdAt,
    updatedAt: new Date(Math.min(now.getTime(), createdAt.getTime() + next(7) * DAY_MS)),
  };
}
