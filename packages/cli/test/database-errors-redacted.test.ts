/**
 * A write the database refuses: knex puts the statement with every value inlined in the error's message
 * (and PostgreSQL's `detail` quotes the row), so an argon2 hash reached the services' logs and the
 * CLI's stderr. Real errors from the database under test (SQLite or PostgreSQL), logged through
 * @tandem/log as the services log them and printed by `tandem` as it prints a failure.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { User } from '@tandem/models';
import { createLogger } from '@tandem/log';
import { createMigratedDatabase, testDialect, type MigratedTestDatabase } from '@tandem/models/testing';
import { tandem } from './helpers.js';

const dialect = testDialect();
/** A value no log line would hold by accident; its tail is what must never appear. */
const HASH = '$argon2id$v=19$m=65536,t=3,p=4$c2FsdC1zZWNyZXQ$Hash-Secret-Value-8d3f1e2a';
const SECRET_TAIL = 'Hash-Secret-Value-8d3f1e2a';
const REFUSAL = 'test refuses insert on users';

let db: MigratedTestDatabase;
before(async () => {
  db = await createMigratedDatabase();
  const em = db.orm.em.fork();
  em.create(User, { email: 'taken@example.com', passwordHash: 'not-a-hash' });
  await em.flush();
});
after(() => db.close());

interface LoggedError {
  readonly type: string;
  readonly message: string;
  readonly stack: string;
  readonly code: string;
  readonly table?: string;
  readonly constraint?: string;
}

function capture() {
  const lines: string[] = [];
  const logger = createLogger('test', 'info', { write: (line: string) => void lines.push(line) });
  return { logger, lines, text: () => lines.join('') };
}

/** The error the database raises for `write` (which must fail). */
async function refusal(write: () => Promise<unknown>): Promise<Error> {
  try {
    await write();
  } catch (error) {
    return error as Error;
  }
  throw new Error('the write succeeded');
}

test(`a refused insert (${dialect}) is logged with what failed and without its values`, async () => {
  const duplicate = await refusal(async () => {
    const em = db.orm.em.fork();
    em.create(User, { email: 'TAKEN@example.com', passwordHash: HASH });
    await em.flush();
  });
  const raw = await refusal(() =>
    db.orm.em.fork().getKnex()('users').insert({ email: 'taken@example.com', password_hash: HASH }),
  );
  assert.ok(
    duplicate.message.includes(SECRET_TAIL),
    'the raw error holds the value (the test is not vacuous)',
  );

  const { logger, lines, text } = capture();
  for (const error of [duplicate, raw]) {
    logger.error({ err: error, path: '/admin/api/users' }, 'admin request failed'); // admin, fast, applier
    logger.error({ err: { message: error.message, stack: error.stack } }, 'server error'); // auth
    logger.error(error); // pino takes the message from the error
    logger.error({ err: new Error('could not create the user', { cause: error }) }, 'wrapped');
  }
  assert.ok(!text().includes(SECRET_TAIL), `the hash is logged:\n${text()}`);
  assert.ok(!text().includes('TAKEN@example.com'), 'no value of the statement is logged');
  assert.ok(!/Key \(/.test(text()), "PostgreSQL's detail (it quotes the row) is not logged");

  const [first] = lines.map((line) => JSON.parse(line) as { err: LoggedError; msg: string });
  assert.equal(first!.err.type, 'UniqueConstraintViolationException');
  assert.match(first!.err.message, /^insert into [`"]users[`"] \(SQL and values omitted\) - /);
  assert.match(first!.err.message, /users_email_lower_unique/, "the database's own message is kept");
  assert.equal(first!.err.code, dialect === 'postgresql' ? '23505' : 'SQLITE_CONSTRAINT_UNIQUE');
  if (dialect === 'postgresql') {
    assert.equal(first!.err.table, 'users');
    assert.equal(first!.err.constraint, 'users_email_lower_unique');
  }
  assert.match(first!.err.stack, /\n\s+at /, 'the stack frames are kept');
});

test(`tandem prints a failed insert (${dialect}) without its values`, async () => {
  const knex = db.orm.em.getKnex();
  if (dialect === 'postgresql') {
    await knex.raw(
      `create function test_refuse() returns trigger language plpgsql as $$ begin raise exception '${REFUSAL}'; end $$`,
    );
    await knex.raw(
      'create trigger test_refuse before insert on users for each row execute function test_refuse()',
    );
  } else {
    await knex.raw(
      `create trigger test_refuse before insert on users begin select raise(abort, '${REFUSAL}'); end`,
    );
  }
  const password = 'Cli-Password-Secret-5150';
  const result = await tandem(['createuser', 'eve@example.com'], {
    DATABASE_URL: db.url,
    LOG_LEVEL: 'silent',
    TANDEM_PASSWORD: password,
  });
  assert.equal(result.code, 1, result.stderr);
  assert.match(
    result.stderr,
    new RegExp(
      `^tandem createuser: failed: \\w+: insert into [\`"]users[\`"] \\(SQL and values omitted\\) - .*${REFUSAL}`,
    ),
  );
  assert.doesNotMatch(result.stderr, /\$argon2/, 'the new hash is not printed');
  assert.ok(!result.stderr.includes('eve@example.com'), result.stderr);
  assert.ok(!result.stderr.includes(password), result.stderr);
});
