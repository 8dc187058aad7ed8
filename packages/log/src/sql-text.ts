/**
 * knex (under MikroORM) reports a failed query as `<the SQL, every parameter value inlined> - <the
 * database's message>`, and MikroORM then appends PostgreSQL's `detail` on a line of its own (`Key
 * (email)=(ann@example.com) already exists.`). Whatever the failing write carried (an argon2 hash, a
 * token's hash, an email) was in the message, hence in the logs and on the CLI's stderr. These
 * functions keep what says what failed (the statement, its table, the database's own message) and
 * drop the rest. Redaction by key name (redact.ts) cannot help: the values sit inside one string.
 */

/**
 * A message that starts with an SQL statement (knex's format starts with the query), by the shape of
 * its first words, so that a sentence such as `Update failed - try again` is left alone.
 */
const STATEMENT = new RegExp(
  '^\\s*(?:' +
    [
      'insert\\s+(?:or\\s+\\w+\\s+)?into',
      'replace\\s+into',
      'merge\\s+into',
      'update\\s+(?:or\\s+\\w+\\s+)?\\S+\\s+set',
      'delete\\s+from',
      'with\\s+(?:recursive\\s+)?\\S+\\s+as',
      'select|upsert|truncate|pragma|copy|call',
      '(?:create|alter|drop)\\s+(?:(?:or\\s+replace|temp|temporary|unique)\\s+)*(?:table|index|trigger|function|view|schema|sequence|type|extension|database|procedure)',
    ].join('|') +
    ')\\b',
  'i',
);

/** The statement's verb and its table, e.g. insert into `users`: what failed, without values. */
const TARGET =
  /^\s*(insert\s+(?:or\s+\w+\s+)?into|replace\s+into|update(?:\s+or\s+\w+)?|delete\s+from|merge\s+into)\s+((?:`[^`]*`|"[^"]*"|[\w$]+)(?:\.(?:`[^`]*`|"[^"]*"|[\w$]+))?)/i;

/** MikroORM's PostgreSQL converter appends `\n - detail: <detail>`; the detail quotes the row's values. */
const DETAIL = /\n - detail: [\s\S]*$/;

/** knex's separator between the query and the driver's message. */
const SEPARATOR = ' - ';

export const SQL_OMITTED = '(SQL and values omitted)';

/**
 * Where the database's message starts: after the last ` - ` outside quoted literals and identifiers.
 * The last one, because the query may itself hold a ` - ` (`stock - 1`) and comes first; outside
 * quotes, because any value may hold one. knex escapes quotes in values by doubling them, so every
 * literal it inlined is balanced. -1 when there is none.
 */
function messageStart(text: string): number {
  let quote: string | undefined;
  let found = -1;
  for (let i = 0; i < text.length; i++) {
    const char = text[i]!;
    if (quote !== undefined) {
      if (char !== quote) continue;
      if (text[i + 1] === quote) i++;
      else quote = undefined;
    } else if (char === "'" || char === '"' || char === '`') quote = char;
    else if (text.startsWith(SEPARATOR, i)) found = i + SEPARATOR.length;
  }
  return found;
}

function statementHead(text: string): string {
  const target = TARGET.exec(text);
  if (target) return `${target[1]!.replace(/\s+/g, ' ').toLowerCase()} ${target[2]!}`;
  return STATEMENT.exec(text)![0].trim().split(/\s+/)[0]!.toLowerCase();
}

/**
 * `text` without the SQL and its values when it is a failed query's message (`insert into "users"
 * (SQL and values omitted) - duplicate key value violates unique constraint "users_email_lower_unique"`);
 * any other text unchanged.
 */
export function withoutSqlValues(text: string): string {
  if (!STATEMENT.test(text)) return text;
  const body = text.replace(DETAIL, '');
  const start = messageStart(body);
  const head = `${statementHead(body)} ${SQL_OMITTED}`;
  return start < 0 ? head : `${head}${SEPARATOR}${body.slice(start)}`;
}

/** A database driver's message: as `withoutSqlValues`, and never PostgreSQL's `detail` line. */
export function databaseMessage(text: string): string {
  return withoutSqlValues(text.replace(DETAIL, ''));
}
