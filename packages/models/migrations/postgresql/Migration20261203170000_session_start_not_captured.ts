import { Migration } from '@mikro-orm/migrations';

/**
 * A new session is no longer captured, nor does it send the change feed's wake-up. The session feed
 * carries revocations to verifiers, and a session that starts is live: no verifier holds anything a
 * start changes (a token of the session is accepted until the session is revoked, ended or deleted,
 * and those stay captured). Capturing starts cost every sign-in and code exchange an outbox row, a
 * re-read on every fast node and, worst, a NOTIFY: PostgreSQL holds one lock for the whole database
 * from a notifying transaction's pre-commit through its WAL flush, so every sign-in committed after
 * the previous one's flush (code exchanges peaked near one per fsync: ~1,100/s on these machines).
 */
export class Migration20261203170000_session_start_not_captured extends Migration {
  override async up(): Promise<void> {
    this.addSql('drop trigger if exists "sessions_change_capture" on "sessions";');
    this.addSql('drop trigger if exists "sessions_change_notify" on "sessions";');
    this.addSql(
      'create trigger "sessions_change_capture" after delete on "sessions" for each row execute function tandem_change_capture();',
    );
    this.addSql(
      'create trigger "sessions_change_notify" after delete on "sessions" for each row execute function tandem_change_notify_row();',
    );
  }

  override async down(): Promise<void> {
    this.addSql('drop trigger if exists "sessions_change_capture" on "sessions";');
    this.addSql('drop trigger if exists "sessions_change_notify" on "sessions";');
    this.addSql(
      'create trigger "sessions_change_capture" after insert or delete on "sessions" for each row execute function tandem_change_capture();',
    );
    this.addSql(
      'create trigger "sessions_change_notify" after insert or delete on "sessions" for each row execute function tandem_change_notify_row();',
    );
  }
}
