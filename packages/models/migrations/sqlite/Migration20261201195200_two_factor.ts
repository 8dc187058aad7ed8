import { Migration } from '@mikro-orm/migrations';

/**
 * Two-factor sign-in (issue 17): a user's TOTP authenticator (secret sealed with TANDEM_SECRET_KEY,
 * confirmed once a first code matched, last accepted time step against replays) and their single-use
 * recovery codes (keyed HMACs only). Both go with the user (on delete cascade).
 */
export class Migration20261201195200_two_factor extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create table \`user_totp\` (
      \`id\` integer not null primary key autoincrement,
      \`user_id\` integer not null,
      \`secret_encrypted\` text not null check (\`secret_encrypted\` like 'v1.%'),
      \`confirmed_at\` datetime null,
      \`last_used_step\` integer null check (\`last_used_step\` >= 0),
      \`created_at\` datetime not null default CURRENT_TIMESTAMP,
      constraint \`user_totp_user_id_foreign\` foreign key(\`user_id\`) references \`users\`(\`id\`) on delete cascade on update cascade);`);
    this.addSql('create unique index `user_totp_user_id_unique` on `user_totp` (`user_id`);');

    this.addSql(`create table \`recovery_codes\` (
      \`id\` integer not null primary key autoincrement,
      \`user_id\` integer not null,
      \`code_hash\` text not null check (length(\`code_hash\`) = 64 and \`code_hash\` not glob '*[^0-9a-f]*'),
      \`used_at\` datetime null,
      \`created_at\` datetime not null default CURRENT_TIMESTAMP,
      constraint \`recovery_codes_user_id_foreign\` foreign key(\`user_id\`) references \`users\`(\`id\`) on delete cascade on update cascade);`);
    this.addSql('create index `recovery_codes_user_id_index` on `recovery_codes` (`user_id`);');
    this.addSql(
      'create unique index `recovery_codes_user_code_unique` on `recovery_codes` (`user_id`, `code_hash`);',
    );
  }

  override async down(): Promise<void> {
    this.addSql('drop table if exists `recovery_codes`;');
    this.addSql('drop table if exists `user_totp`;');
  }
}
