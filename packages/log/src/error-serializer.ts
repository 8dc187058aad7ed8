import { stdSerializers } from 'pino';
import { sanitizeError } from './database-error.js';
import { withoutSqlValues } from './sql-text.js';

/**
 * pino's `err` serializer, after the failed query's SQL and values are taken out of the error and its
 * causes (database-error.ts). What services put under `err` varies: the Error itself, `{ message,
 * stack }` copied from it, or just its message; each is cleaned.
 */
export function serializeError(value: unknown): unknown {
  if (typeof value === 'string') return withoutSqlValues(value);
  return stdSerializers.err(sanitizeError(value) as Error);
}

/**
 * The message pino takes from an error when the call gives none (`log.error(error)`,
 * `log.error({ err })`): that path skips the serializer, so the same cleaning happens here. Undefined
 * when pino would not take one.
 */
export function implicitErrorMessage(args: readonly unknown[]): string | undefined {
  if (args.length !== 1) return undefined;
  const [first] = args;
  if (first instanceof Error) return sanitizeError(first).message;
  if (typeof first !== 'object' || first === null || (first as { msg?: unknown }).msg !== undefined)
    return undefined;
  const err = (first as { err?: unknown }).err;
  if (typeof err !== 'object' || err === null) return undefined;
  const message = (sanitizeError(err) as { message?: unknown }).message;
  return typeof message === 'string' ? message : undefined;
}
