import { createRequire } from 'node:module';
import {
  BigIntType,
  defineEntity,
  type EntityProperty,
  type InferEntity,
  type Platform,
} from '@mikro-orm/core';

/** Loaded when a column type is asked for, not at import (see orm.ts: each driver costs start-up time). */
const sqlitePlatform = () =>
  (createRequire(import.meta.url)('@mikro-orm/better-sqlite') as typeof import('@mikro-orm/better-sqlite'))
    .BetterSqlitePlatform;

const p = defineEntity.properties;

/**
 * A 64-bit sequence id: bigserial on PostgreSQL (an int4 serial could run out on a busy outbox),
 * INTEGER on SQLite, the only type it auto-increments (and 64-bit there anyway).
 */
class OutboxIdType extends BigIntType {
  override getColumnType(prop: EntityProperty, platform: Platform): string {
    return platform instanceof sqlitePlatform() ? 'integer' : super.getColumnType(prop, platform);
  }
}

/**
 * The transactional outbox of the change feed. Rows are written only by database triggers (installed
 * by the changefeed migrations) in the same transaction as the change, so every writer is captured.
 * It carries no payload: the reader re-reads the current row, which makes applying events idempotent
 * and independent of their order (see packages/changefeed/README.md).
 */
export const ChangeEvent = defineEntity({
  name: 'ChangeEvent',
  tableName: 'change_event',
  properties: {
    id: p.type(OutboxIdType).primary().autoincrement(),
    /** The table the change happened in, e.g. `products`. */
    tableName: p.string().length(63),
    /** `insert`, `update` or `delete`. */
    op: p.string().length(6),
    /** Primary key of the changed row, as text (integer ids and session uuids alike). */
    recordId: p.string().length(64),
    /** PostgreSQL transaction id (`pg_current_xact_id()`); null on SQLite, where commit order is id order. */
    txid: p.bigint().nullable().index(),
    createdAt: p.datetime().defaultRaw('CURRENT_TIMESTAMP').index(),
  },
});

export type ChangeEvent = InferEntity<typeof ChangeEvent>;
