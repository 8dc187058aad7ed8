import { Migration } from '@mikro-orm/migrations';

/**
 * Written by hand (`tandem makemigrations --empty`): nothing on SQLite, which has no TRUNCATE (a
 * `delete from sessions` fires the row triggers). The PostgreSQL migration of the same name captures
 * a TRUNCATE of sessions.
 */
export class Migration20261207033343_session_truncate_capture extends Migration {
  override async up(): Promise<void> {}
}
