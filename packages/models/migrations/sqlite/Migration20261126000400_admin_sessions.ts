import { Migration } from '@mikro-orm/migrations';

/**
 * Admin sessions (express-session store owned by services/admin). Kept in the database so a staff
 * login survives an admin restart and works the same behind several admin replicas. No entity: only
 * the admin's session store reads and writes this table.
 */
export class Migration20261126000400_admin_sessions extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create table \`admin_sessions\` (
      \`sid\` text not null primary key,
      \`data\` text not null,
      \`expires_at\` integer not null);`);
    this.addSql('create index `admin_sessions_expires_at_index` on `admin_sessions` (`expires_at`);');
  }

  override async down(): Promise<void> {
    this.addSql('drop table if exists `admin_sessions`;');
  }
}
