export { Applier, type ApplierOptions, type ApplierStats } from './applier.js';
export { BatchApplier, type ApplyOptions, type BatchResult } from './batch.js';
export type { Outcome } from './outcomes.js';
export type {
  BatchContext,
  Dialect,
  WritableProjection,
  WriteContext,
  WriteEffect,
  WriteHandler,
} from './handler.js';
export { WRITE_HANDLERS, writeHandlers } from './handlers.js';
export { genericHandler } from './generic-handler.js';
export { lockOrdersForCancel, ordersHandler, putBackTakenStock, type OrderLimits } from './orders-handler.js';
export { MAX_STOCK, takeStock } from './product-stock.js';
export { takeSqliteWriteLock } from './sqlite-write-lock.js';
export { WriteRejected, type RejectionStatus } from './write-rejected.js';
export { ifMatchHolds } from './record-json.js';
export { purgeWrites, type PurgeResult } from './purge.js';
export {
  cancelExpiredHolds,
  HOLD_EXPIRY_ACTOR,
  type HoldSweep,
  type HoldSweepOptions,
} from './order-holds.js';
