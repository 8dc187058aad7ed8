import { Migration } from '@mikro-orm/migrations';

const NARROW = "check (`grant_type` in ('password', 'client_credentials'))";
const WIDE = "check (`grant_type` in ('password', 'client_credentials', 'authorization_code'))";
const SESSION_COLUMNS =
  '`id`, `user_id`, `client_id`, `grant_type`, `scope`, `created_at`, `last_used_at`, `expires_at`, `revoked_at`, `revoked_reason`';
const REFRESH_COLUMNS = '`id`, `session_id`, `token_hash`, `created_at`, `used_at`';

/**
 * Sessions started by the authorization code flow say so: sessions.grant_type accepts
 * 'authorization_code' (it had to store 'password' for them). SQLite cannot change a CHECK in place,
 * and this migration runs inside the migrator's one transaction, where `foreign_keys` cannot be
 * turned off, so the table is rebuilt under its own name around its rows:
 * - the table's own CREATE statement is edited (so any column a later model change added is kept,
 *   and an unexpected shape is refused rather than guessed);
 * - a DROP TABLE with foreign keys on deletes the sessions' refresh tokens by cascade (it fires no
 *   trigger, so the change feed sees nothing), so they are copied aside and put back with their ids;
 * - the indexes and triggers (the change capture of the session feed) are re-created from their own
 *   statements after the rows are back, so the copy writes nothing to change_event.
 */
async function rebuildSessions(migration: Migration, from: string, to: string): Promise<void> {
  const schema = (await migration.execute(
    "select type, sql from sqlite_master where tbl_name = 'sessions' and sql is not null",
  )) as { type: string; sql: string }[];
  const table = schema.find((entry) => entry.type === 'table')?.sql ?? '';
  if (!table.includes(from)) throw new Error(`sessions: expected the constraint ${from} in ${table}`);
  const dependents = schema.filter((entry) => entry.type === 'index' || entry.type === 'trigger');
  migration.addSql(`create temp table \`sessions_rebuild\` as select ${SESSION_COLUMNS} from \`sessions\`;`);
  migration.addSql(
    `create temp table \`refresh_tokens_rebuild\` as select ${REFRESH_COLUMNS} from \`refresh_tokens\`;`,
  );
  migration.addSql('drop table `sessions`;');
  migration.addSql(`${table.replace(from, to)};`);
  migration.addSql(
    `insert into \`sessions\` (${SESSION_COLUMNS}) select ${SESSION_COLUMNS} from temp.\`sessions_rebuild\`;`,
  );
  migration.addSql(
    `insert into \`refresh_tokens\` (${REFRESH_COLUMNS}) select ${REFRESH_COLUMNS} from temp.\`refresh_tokens_rebuild\`;`,
  );
  migration.addSql('drop table temp.`sessions_rebuild`;');
  migration.addSql('drop table temp.`refresh_tokens_rebuild`;');
  for (const entry of dependents) migration.addSql(`${entry.sql};`);
}

export class Migration20261201231000_session_grant_authorization_code extends Migration {
  override async up(): Promise<void> {
    await rebuildSessions(this, NARROW, WIDE);
  }

  /** Back to the old constraint: code-flow sessions become what they were stored as before ('password'). */
  override async down(): Promise<void> {
    await this.execute(
      "update `sessions` set `grant_type` = 'password' where `grant_type` = 'authorization_code'",
    );
    await rebuildSessions(this, WIDE, NARROW);
  }
}
