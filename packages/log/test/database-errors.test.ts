/**
 * The cleaning of failed queries' messages, on the exact text knex and MikroORM produce (copied from
 * real SQLite and PostgreSQL errors). packages/cli/test/database-errors-redacted.test.ts does the same
 * with errors a real database raises, through the logger and the CLI.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createLogger, describeError } from '../src/index.js';
import { withoutSqlValues } from '../src/sql-text.js';

const HASH = '$argon2id$v=19$m=65536,t=3,p=4$c2FsdC1zZWNyZXQ$SECRET-HASH-value';

/** A logged line: `err` as pino's serializer writes it. */
interface Line {
  readonly msg: string;
  readonly err: {
    readonly type: string;
    readonly message: string;
    readonly stack: string;
    readonly status?: number;
    readonly code?: string;
    readonly table?: string;
    readonly constraint?: string;
    readonly detail?: string;
  };
}

function capture() {
  const lines: string[] = [];
  const logger = createLogger('test', 'debug', { write: (line: string) => void lines.push(line) });
  return { logger, text: () => lines.join(''), last: () => JSON.parse(lines.at(-1)!) as Line };
}

/** The shapes of MikroORM's exceptions (matched by class name, as the log package cannot import them). */
class DriverException extends Error {}
class UniqueConstraintViolationException extends DriverException {
  override name = 'UniqueConstraintViolationException';
}

test('a knex message keeps the statement, its table and the database message, never the values', () => {
  const cases: [string, string][] = [
    [
      `insert into \`users\` (\`email\`, \`password_hash\`, \`created_at\`) values ('a@example.com', '${HASH}', 1796438726973) returning \`id\` - UNIQUE constraint failed: index 'users_email_lower_unique'`,
      "insert into `users` (SQL and values omitted) - UNIQUE constraint failed: index 'users_email_lower_unique'",
    ],
    [
      `insert into "users" ("email", "password_hash") values ('a@example.com', '${HASH}') - duplicate key value violates unique constraint "users_email_lower_unique"\n - detail: Key (lower(email::text))=(a@example.com) already exists.`,
      'insert into "users" (SQL and values omitted) - duplicate key value violates unique constraint "users_email_lower_unique"',
    ],
    // A value holding the separator, a quote and a newline; an expression holding the separator.
    [
      `update "products" set "stock" = "stock" - 1, "name" = 'it''s - ${HASH}\n - x' where "id" = 5 - new row violates check constraint "products_stock_check"`,
      'update "products" (SQL and values omitted) - new row violates check constraint "products_stock_check"',
    ],
    [
      `delete from sessions where id = 'SECRET-ID' - audit refuses delete on sessions, can't continue`,
      "delete from sessions (SQL and values omitted) - audit refuses delete on sessions, can't continue",
    ],
    [
      `select * from users where password_hash = '${HASH}' - no such column`,
      'select (SQL and values omitted) - no such column',
    ],
    ['connect ECONNREFUSED 127.0.0.1:5432', 'connect ECONNREFUSED 127.0.0.1:5432'],
    ['Update failed - try again', 'Update failed - try again'],
    [
      `with "t" as (select 1) update "users" set "password_hash" = '${HASH}' - database is locked`,
      'with (SQL and values omitted) - database is locked',
    ],
  ];
  for (const [message, expected] of cases) assert.equal(withoutSqlValues(message), expected);
});

test('a logged database error keeps class, code, table and constraint; drops detail and the values', () => {
  const { logger, text, last } = capture();
  const error = Object.assign(
    new UniqueConstraintViolationException(
      `insert into "users" ("email", "password_hash") values ('ann@example.com', '${HASH}') - duplicate key value violates unique constraint "users_email_lower_unique"\n - detail: Key (lower(email::text))=(ann@example.com) already exists.`,
    ),
    {
      code: '23505',
      detail: 'Key (lower(email::text))=(ann@example.com) already exists.',
      where: `SQL statement "insert ... '${HASH}'"`,
      table: 'users',
      constraint: 'users_email_lower_unique',
    },
  );
  logger.error({ err: error, path: '/admin/x' }, 'admin request failed');
  const err = last().err;
  assert.equal(err.type, 'UniqueConstraintViolationException');
  assert.equal(
    err.message,
    'insert into "users" (SQL and values omitted) - duplicate key value violates unique constraint "users_email_lower_unique"',
  );
  assert.deepEqual([err.code, err.table, err.constraint], ['23505', 'users', 'users_email_lower_unique']);
  assert.equal(err.detail, undefined);
  assert.match(
    err.stack,
    /^UniqueConstraintViolationException: insert into "users" \(SQL and values omitted\)/,
  );
  assert.match(err.stack, /\n\s+at /, 'the frames are kept');
  assert.equal(last().msg, 'admin request failed');

  logger.error(error); // pino takes the message from the error
  assert.match(last().msg, /^insert into "users" \(SQL and values omitted\) - duplicate key/);
  logger.error({ err: error });
  assert.match(last().msg, /^insert into "users" \(SQL and values omitted\)/);
  logger.error({ err: { message: error.message, stack: error.stack } }, 'copied fields'); // auth's shape
  logger.warn({ err: error.message }, 'just the message'); // the change feed's shape
  logger.error({ err: new Error('could not save the user', { cause: error }) }, 'wrapped');
  assert.match(last().err.message, /could not save the user: insert into "users" \(SQL and values omitted\)/);
  assert.ok(!text().includes(HASH.slice(20)), text());
  assert.ok(!text().includes('ann@example.com'), text());
});

test('other errors are logged as before; describeError is the CLI line', () => {
  const { logger, last } = capture();
  const plain = Object.assign(new Error('boom - again'), { status: 500 });
  logger.error({ err: plain }, 'failed');
  assert.equal(last().err.message, 'boom - again');
  assert.equal(last().err.status, 500);
  assert.equal(describeError(plain), 'Error: boom - again');
  assert.equal(describeError('text'), 'text');
  class SqliteError extends Error {}
  const sqlite = Object.assign(new SqliteError(`insert into t (a) values ('${HASH}') - no such table: t`), {
    code: 'SQLITE_ERROR',
  });
  assert.equal(describeError(sqlite), 'Error: insert into t (SQL and values omitted) - no such table: t');
});
