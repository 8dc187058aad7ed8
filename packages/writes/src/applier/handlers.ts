import { GENERIC_WRITE_HANDLER } from '@tandem/models';
import { genericHandler } from './generic-handler.js';
import type { WriteHandler } from './handler.js';
import { ordersHandler } from './orders-handler.js';

/** The handlers a write declaration may name (WriteDeclaration.handler), by name. */
export const WRITE_HANDLERS: ReadonlyMap<string, WriteHandler> = new Map([
  [GENERIC_WRITE_HANDLER, genericHandler],
  ['orders', ordersHandler],
]);
