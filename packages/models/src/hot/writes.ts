import type { JsonSchema } from '../json-schema.js';

/**
 * Writes through the fast service (issue 15): which fields a client may send to create or change a
 * record of a hot collection, under which scope, and which applier handler applies them. The fast
 * service validates bodies at the edge against the JSON Schemas derived from this and the ORM metadata
 * (`writeBodySchemas`), queues them durably, and the applier applies them through the models.
 *
 * The row-access owner field (rowAccess.field) is never writable: the applier sets it from the token
 * (`checkHotProjections` refuses a declaration that lists it), so nobody can write a row for someone else.
 */
export interface WriteDeclaration {
  /** Scope a token needs to write this collection, e.g. "orders:write" (one scope token). */
  readonly scope: string;
  /** POST: exposed field names a body may hold, and which of them are required. */
  readonly create?: { readonly fields: readonly string[]; readonly required?: readonly string[] };
  /** PATCH (JSON Merge Patch, RFC 7396): exposed field names a patch may change. */
  readonly update?: { readonly fields: readonly string[] };
  /** DELETE allowed. */
  readonly delete?: boolean;
  /**
   * Per body field, JSON Schema keywords merged over the read schema where the write shape differs
   * (order lines on create carry productId and quantity only; status on update is only "cancelled").
   */
  readonly schema?: Readonly<Record<string, JsonSchema>>;
  /** The applier's handler for this collection, by name (registered by the applier); default "generic". */
  readonly handler?: string;
}

/** The applier handler a declaration names when it names none. */
export const GENERIC_WRITE_HANDLER = 'generic';

/** The handler that applies writes of a declaration. */
export function writeHandlerOf(writes: WriteDeclaration): string {
  return writes.handler ?? GENERIC_WRITE_HANDLER;
}
