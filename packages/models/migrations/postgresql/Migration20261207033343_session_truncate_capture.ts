import { Migration } from '@mikro-orm/migrations';
import { dropTruncateCaptureSql, truncateCaptureSql } from '../../src/schema/change-capture.js';

/**
 * Written by hand (`tandem makemigrations --empty`): a TRUNCATE of sessions (or of users, CASCADE) is
 * captured as the deletion of every session, which revokes them. Sessions are captured by hand, not as
 * a hot table (only what can revoke is: Migration20261203170000_session_start_not_captured), so the
 * truncate capture that version 2 gave the hot tables missed them: a truncated session's tokens were
 * accepted until they expired, and a snapshot, which learns of deleted sessions from their outbox
 * delete events, did not see them as gone either.
 */
export class Migration20261207033343_session_truncate_capture extends Migration {
  override async up(): Promise<void> {
    for (const sql of truncateCaptureSql('postgresql', 'sessions')) this.addSql(sql);
  }

  override async down(): Promise<void> {
    for (const sql of dropTruncateCaptureSql('postgresql', 'sessions')) this.addSql(sql);
  }
}
