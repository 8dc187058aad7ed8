import { Migration } from '@mikro-orm/migrations';

/**
 * A new session is no longer captured. The session feed carries revocations to verifiers, and a
 * session that starts is live: no verifier holds anything a start changes (its tokens are accepted
 * until it is revoked, ended or deleted, and those stay captured). Capturing starts cost every sign-in
 * and code exchange an outbox row and a re-read on every fast node.
 */
export class Migration20261203170000_session_start_not_captured extends Migration {
  override async up(): Promise<void> {
    this.addSql('drop trigger if exists `sessions_change_insert`;');
  }

  override async down(): Promise<void> {
    this.addSql('drop trigger if exists `sessions_change_insert`;');
    this.addSql(
      "create trigger `sessions_change_insert` after insert on `sessions` begin insert into change_event (table_name, op, record_id, created_at) values ('sessions', 'insert', new.id, strftime('%Y-%m-%d %H:%M:%f', 'now')); end;",
    );
  }
}
