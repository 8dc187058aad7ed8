import { Migration } from '@mikro-orm/migrations';

/**
 * Session changes join the change feed so that a revoked session (logout, RFC 7009 revocation,
 * refresh-token reuse, staff action) reaches every fast node within a wake-up, long before token `exp`.
 */
export class Migration20261126000300_session_feed extends Migration {
  override async up(): Promise<void> {
    this.addSql(`select tandem_capture_changes('sessions');`);
  }

  override async down(): Promise<void> {
    this.addSql('drop trigger if exists "sessions_change_capture" on "sessions";');
    this.addSql('drop trigger if exists "sessions_change_notify" on "sessions";');
  }
}
