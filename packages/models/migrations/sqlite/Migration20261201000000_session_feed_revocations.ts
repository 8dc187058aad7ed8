import { Migration } from '@mikro-orm/migrations';

const UPDATE_EVENT =
  "insert into change_event (table_name, op, record_id, created_at) values ('sessions', 'update', new.id, strftime('%Y-%m-%d %H:%M:%f', 'now'));";

/**
 * The session feed exists to carry revocations (and ends) to verifiers. Every refresh and client
 * token touches `last_used_at`, and capturing those updates wrote an outbox row per token and made
 * every fast node re-read an unchanged session. Updates are now captured only when revoked_at,
 * expires_at or the id change; inserts, deletes and id changes as before.
 */
export class Migration20261201000000_session_feed_revocations extends Migration {
  override async up(): Promise<void> {
    this.addSql('drop trigger if exists `sessions_change_update`;');
    this.addSql(
      `create trigger \`sessions_change_update\` after update on \`sessions\` when old.revoked_at is not new.revoked_at or old.expires_at is not new.expires_at or old.id is not new.id begin ${UPDATE_EVENT} end;`,
    );
  }

  override async down(): Promise<void> {
    this.addSql('drop trigger if exists `sessions_change_update`;');
    this.addSql(
      `create trigger \`sessions_change_update\` after update on \`sessions\` begin ${UPDATE_EVENT} end;`,
    );
  }
}
