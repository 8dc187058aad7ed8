import { defineEntity, type InferEntity } from '@mikro-orm/core';

const p = defineEntity.properties;

/**
 * The stock units each buyer's unpaid orders hold: the sum, over the buyer's pending orders that took
 * stock when placed, of what a cancel would put back. The applier reads it for every order placed
 * (ORDER_HOLD_MAX_UNITS), so it is kept as the orders change, not summed from them each time. Rows
 * are written only by database triggers on `orders` (installed by the migration that made this
 * table), in the same transaction as the change, so every writer keeps it true: the applier, the
 * hold sweep, staff in the admin, a script.
 */
export const BuyerHold = defineEntity({
  name: 'BuyerHold',
  tableName: 'buyer_holds',
  properties: {
    /** The buyer (users.id); no foreign key: a deleted user's orders are deleted after it by cascade. */
    userId: p.integer().primary().autoincrement(false),
    /** 64-bit: without a limit (ORDER_HOLD_MAX_UNITS=0) nothing bounds the sum. */
    units: p.bigint().default(0),
  },
});

export type BuyerHold = InferEntity<typeof BuyerHold>;
