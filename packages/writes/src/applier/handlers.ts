import { GENERIC_WRITE_HANDLER } from '@tandem/models';
import { genericHandler } from './generic-handler.js';
import type { WriteHandler } from './handler.js';
import { ordersHandler, type OrderLimits } from './orders-handler.js';

/** The handlers a write declaration may name (WriteDeclaration.handler), by name, with the applier's limits. */
export function writeHandlers(limits: OrderLimits = {}): ReadonlyMap<string, WriteHandler> {
  return new Map([
    [GENERIC_WRITE_HANDLER, genericHandler],
    ['orders', ordersHandler(limits)],
  ]);
}

/** The standard handlers without limits beyond stock (tests, tools that apply writes directly). */
export const WRITE_HANDLERS: ReadonlyMap<string, WriteHandler> = writeHandlers();
