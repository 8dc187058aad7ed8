import { Migration } from '@mikro-orm/migrations';

/**
 * Sessions started by the authorization code flow say so: sessions.grant_type accepts
 * 'authorization_code' (it had to store 'password' for them). The column's CHECK (named by
 * PostgreSQL after the table and column) is replaced.
 */
export class Migration20261201231000_session_grant_authorization_code extends Migration {
  override async up(): Promise<void> {
    this.addSql('alter table "sessions" drop constraint "sessions_grant_type_check";');
    this.addSql(
      `alter table "sessions" add constraint "sessions_grant_type_check" check ("grant_type" ~ '^(password|client_credentials|authorization_code)$');`,
    );
  }

  /** Back to the old constraint: code-flow sessions become what they were stored as before ('password'). */
  override async down(): Promise<void> {
    this.addSql(`update "sessions" set "grant_type" = 'password' where "grant_type" = 'authorization_code';`);
    this.addSql('alter table "sessions" drop constraint "sessions_grant_type_check";');
    this.addSql(
      `alter table "sessions" add constraint "sessions_grant_type_check" check ("grant_type" ~ '^(password|client_credentials)$');`,
    );
  }
}
