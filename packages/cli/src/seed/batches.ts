import type { Orm } from '@tandem/models';

/** Rows per INSERT statement: 11 columns × 500 rows stays far below SQLite's and PostgreSQL's parameter limits. */
export const ROWS_PER_STATEMENT = 500;
/** Rows per transaction: big enough to amortize the commit, small enough to report progress often. */
const ROWS_PER_TRANSACTION = 10_000;

export type Row = Record<string, string | number | boolean | Date>;
export type Knex = ReturnType<Orm['em']['getKnex']>;
type Transaction = Parameters<Parameters<Knex['transaction']>[0]>[0];

export interface BatchPlan {
  readonly count: number;
  /** The row at `index` (0-based), as the table stores it. */
  readonly row: (index: number) => Row;
  /** Writes one statement's rows, inside the batch's transaction. */
  readonly insert: (trx: Transaction, rows: Row[]) => Promise<unknown>;
  /** Called after each committed transaction with the number of rows inserted so far. */
  readonly onProgress?: (inserted: number) => void;
}

/**
 * Inserts many generated rows with multi-row INSERTs through the ORM's knex, bypassing the unit of
 * work: creating 100,000 entities one by one would spend minutes in change tracking.
 */
export async function insertInBatches(knex: Knex, plan: BatchPlan): Promise<void> {
  let inserted = 0;
  while (inserted < plan.count) {
    const size = Math.min(ROWS_PER_TRANSACTION, plan.count - inserted);
    await knex.transaction(async (trx) => {
      for (let offset = 0; offset < size; offset += ROWS_PER_STATEMENT) {
        const rows: Row[] = [];
        const end = Math.min(size, offset + ROWS_PER_STATEMENT);
        for (let i = offset; i < end; i++) rows.push(plan.row(inserted + i));
        await plan.insert(trx, rows);
      }
    });
    inserted += size;
    plan.onProgress?.(inserted);
  }
}

/** SQLite (as MikroORM stores it) keeps dates as epoch milliseconds and booleans as 0/1; PostgreSQL takes them as is. */
export function storedValues(dialect: 'sqlite' | 'postgresql') {
  return dialect === 'sqlite'
    ? { date: (value: Date): Date | number => value.getTime(), bool: (value: boolean) => (value ? 1 : 0) }
    : { date: (value: Date): Date | number => value, bool: (value: boolean): boolean | number => value };
}
