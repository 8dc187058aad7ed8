export { writeBodyHash, writePartition, type WriteOp, type WriteRequest } from './write-request.js';
export type { AcceptResult, QueuedWrite, WriteQueue, WriteSource } from './queue.js';
export { openWriteQueue, openWriteSource } from './open.js';
export * from './applier/index.js';
