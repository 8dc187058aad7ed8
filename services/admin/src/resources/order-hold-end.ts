import type { ShownField } from './shown-field.js';

/**
 * When a pending order placed through the API loses its stock: the applier's sweep
 * (packages/writes/src/applier/order-holds.ts) cancels it at its first round after this time, worked
 * out here as the sweep does, from when the order was created. Staff see how long a buyer has to pay
 * before marking an order paid or chasing it. Not shown when holds are off (ORDER_HOLD_SECONDS=0).
 */
export const orderHoldEnd: ShownField = {
  name: 'stockHeldUntil',
  label: 'Stock held until',
  after: 'stockTaken',
  property: {
    type: 'datetime',
    isVisible: { list: false, show: true, edit: false, filter: false },
    description:
      'When the applier cancels this order, if it is still unpaid, and puts back the stock it holds: ' +
      'ORDER_HOLD_SECONDS after it was placed through the API. Empty when it holds no stock.',
  },
  valuesWith({ orderHoldSeconds = 0 }) {
    if (orderHoldSeconds <= 0) return undefined;
    return ({ status, stockTaken, createdAt }) => {
      const holds = status === 'pending' && stockTaken != null && createdAt instanceof Date;
      return {
        stockHeldUntil: holds ? new Date(createdAt.getTime() + orderHoldSeconds * 1000) : null,
      };
    };
  },
};
