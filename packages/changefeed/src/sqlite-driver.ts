import { createRequire } from 'node:module';

/** The few better-sqlite3 calls the feed makes (the package ships no types of its own). */
export interface SqliteStatement {
  all(...params: unknown[]): unknown[];
  get(...params: unknown[]): unknown;
  run(...params: unknown[]): { changes: number };
  iterate(...params: unknown[]): IterableIterator<unknown>;
}
export interface SqliteDatabase {
  prepare(sql: string): SqliteStatement;
  pragma(source: string): unknown;
  transaction<T>(fn: () => T): () => T;
  readonly inTransaction: boolean;
  close(): void;
}
type SqliteConstructor = new (
  file: string,
  options?: { fileMustExist?: boolean; timeout?: number },
) => SqliteDatabase;

const require = createRequire(import.meta.url);

export function openSqlite(file: string): SqliteDatabase {
  const Database = require('better-sqlite3') as SqliteConstructor;
  // fileMustExist: the fast service never creates the database, it follows the one the others write.
  const db = new Database(file, { fileMustExist: true, timeout: 0 });
  db.pragma('journal_mode = WAL');
  // Never block the event loop waiting for the writer's lock (pruning simply retries next time).
  db.pragma('busy_timeout = 0');
  return db;
}
