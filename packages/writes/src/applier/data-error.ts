import { WriteRejected } from './write-rejected.js';

/**
 * A value the database refuses to hold: PostgreSQL's SQLSTATE class 22, "data exception" (22003 a
 * number out of range, 22001 text too long for its column, 22P02 text that is no valid value of its
 * type, 22021 a NUL byte, ...); SQLite's datatype mismatch and value too big. SQLite's other refusals
 * (constraints) are MikroORM's exceptions, which rejectionOf maps already.
 */
const DATA_ERROR = /^22[0-9A-Z]{3}$|^SQLITE_(MISMATCH|TOOBIG)$/;

/**
 * The rejection a data error raised inside one write's savepoint stands for, or undefined when the
 * error is something else. Only there: the savepoint has been rolled back, the transaction goes on, and
 * the values were that write's, so the write alone is refused. Left to fail the batch, the error would
 * be treated as poison (backoff, a split, five more tries of the write alone) while the partition's
 * other writes wait. Outside a savepoint the error stays the batch's: PostgreSQL has aborted the
 * transaction. The driver's message is not passed on (it may quote SQL); its code is.
 */
export function dataErrorRejection(error: unknown): WriteRejected | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code !== 'string' || !DATA_ERROR.test(code)) return undefined;
  return new WriteRejected(422, {
    _: `The database cannot store a value of this write (${code}: out of range, too long or malformed); it was not applied.`,
  });
}
