import { databaseMessage, withoutSqlValues } from './sql-text.js';

/**
 * Errors from the database drivers, recognised without importing them (every service logs through this
 * package; none should load a driver for it): MikroORM's DriverException family, better-sqlite3's
 * SqliteError and pg's DatabaseError, or anything carrying mysql-style `sql`/`sqlMessage` fields.
 */
const DRIVER_ERROR_CLASSES = new Set(['DriverException', 'SqliteError', 'DatabaseError']);
const QUERY_FIELDS = ['sql', 'sqlMessage'] as const;

/**
 * What a database error keeps besides its class, message and stack: what kind of failure and where
 * (PostgreSQL's error fields name the table, column and constraint). Left out on purpose: `detail`
 * and `where` (they quote the row's values), `internalQuery`, `hint`, and `sql`/`sqlMessage`/
 * `parameters` of other drivers: anything that may hold a value of the failed statement.
 */
const KEPT_FIELDS = [
  'code',
  'errno',
  'sqlState',
  'severity',
  'schema',
  'table',
  'column',
  'constraint',
  'dataType',
  'routine',
] as const;

/** Deeper than any cause chain a service builds; bounds the walk on a cause that refers to itself. */
const MAX_CAUSES = 8;

type ErrorLike = Error & Record<string, unknown>;

function isErrorLike(value: unknown): value is ErrorLike {
  return typeof value === 'object' && value !== null && typeof (value as Error).message === 'string';
}

export function isDatabaseError(error: object): boolean {
  for (let proto: unknown = Object.getPrototypeOf(error); proto; proto = Object.getPrototypeOf(proto)) {
    const name = (proto as { constructor?: { name?: unknown } }).constructor?.name;
    if (typeof name === 'string' && DRIVER_ERROR_CLASSES.has(name)) return true;
  }
  return QUERY_FIELDS.some((field) => typeof (error as Record<string, unknown>)[field] === 'string');
}

/** The stack's frames under a new first line: the original first lines repeat the unsafe message. */
function restack(error: ErrorLike, message: string): string | undefined {
  if (typeof error.stack !== 'string') return undefined;
  const frames = error.stack.split('\n').filter((line) => /^\s+at /.test(line));
  const name = typeof error.name === 'string' ? error.name : 'Error';
  return [`${name}: ${message}`, ...frames].join('\n');
}

function define(target: object, key: string, value: unknown): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

/**
 * The error as it may be logged or printed: the same object when nothing in it (or its causes) holds a
 * failed query, else a copy of the same class (pino names the class from it) with the message
 * `insert into "users" (SQL and values omitted) - <the database's message>`, the same stack frames and,
 * for a database error, only the fields in KEPT_FIELDS.
 */
export function sanitizeError<T>(value: T, depth = 0): T {
  if (!isErrorLike(value) || depth > MAX_CAUSES) return value;
  const database = isDatabaseError(value);
  const message = database ? databaseMessage(value.message) : withoutSqlValues(value.message);
  const cause = sanitizeError(value.cause, depth + 1);
  const errors = Array.isArray(value.errors)
    ? (value.errors as unknown[]).map((item) => sanitizeError(item, depth + 1))
    : undefined;
  const errorsChanged = errors?.some((item, index) => item !== (value.errors as unknown[])[index]);
  if (!database && message === value.message && cause === value.cause && !errorsChanged) return value;

  const copy = Object.create(Object.getPrototypeOf(value) as object) as ErrorLike;
  const fields = database ? KEPT_FIELDS.filter((key) => key in value) : Object.keys(value);
  for (const key of fields) if (key !== 'cause' && key !== 'errors') define(copy, key, value[key]);
  if (value.name !== undefined) define(copy, 'name', value.name);
  define(copy, 'message', message);
  const stack = restack(value, message);
  if (stack !== undefined) define(copy, 'stack', stack);
  if (cause !== undefined) define(copy, 'cause', cause);
  if (errors !== undefined) define(copy, 'errors', errors);
  return copy as T;
}

/** One line for a person (the CLI's stderr): `Name: message`, without a failed query's SQL or values. */
export function describeError(error: unknown): string {
  if (!isErrorLike(error)) return String(error);
  const safe = sanitizeError(error);
  return `${safe.name}: ${safe.message}`;
}
