import { Migration } from '@mikro-orm/migrations';

/** The session columns a verifier cares about: revoked, ended, or the row itself re-keyed. */
const RELEVANT_UPDATE =
  'old.revoked_at is distinct from new.revoked_at or old.expires_at is distinct from new.expires_at or old.id is distinct from new.id';

/**
 * The session feed exists to carry revocations (and ends) to verifiers. Every refresh and client
 * token touches `last_used_at`, and capturing those updates wrote an outbox row and sent a NOTIFY per
 * token: PostgreSQL takes its notification-queue lock while committing a transaction that notified,
 * so those commits queued behind each other, and every fast node woke up to re-read an unchanged
 * session. Updates are now captured only when revoked_at, expires_at or the id change (inserts and
 * deletes as before), and the wake-up is sent by the row trigger, so only when a row was captured.
 */
export class Migration20261201000000_session_feed_revocations extends Migration {
  override async up(): Promise<void> {
    this.addSql('drop trigger if exists "sessions_change_capture" on "sessions";');
    this.addSql('drop trigger if exists "sessions_change_notify" on "sessions";');
    this.addSql(`create function tandem_change_notify_row() returns trigger language plpgsql as $$
begin
  perform pg_notify('tandem_change', '');
  return null;
end $$;`);
    this.addSql(
      'create trigger "sessions_change_capture" after insert or delete on "sessions" for each row execute function tandem_change_capture();',
    );
    this.addSql(
      `create trigger "sessions_change_capture_update" after update on "sessions" for each row when (${RELEVANT_UPDATE}) execute function tandem_change_capture();`,
    );
    this.addSql(
      'create trigger "sessions_change_notify" after insert or delete on "sessions" for each row execute function tandem_change_notify_row();',
    );
    this.addSql(
      `create trigger "sessions_change_notify_update" after update on "sessions" for each row when (${RELEVANT_UPDATE}) execute function tandem_change_notify_row();`,
    );
  }

  override async down(): Promise<void> {
    for (const trigger of [
      'sessions_change_capture',
      'sessions_change_capture_update',
      'sessions_change_notify',
      'sessions_change_notify_update',
    ])
      this.addSql(`drop trigger if exists "${trigger}" on "sessions";`);
    this.addSql('drop function if exists tandem_change_notify_row();');
    this.addSql(`select tandem_capture_changes('sessions');`);
  }
}
