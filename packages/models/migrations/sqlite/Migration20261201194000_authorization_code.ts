import { Migration } from '@mikro-orm/migrations';

/**
 * The authorization code flow and OpenID Connect (issue 17): clients gain redirect URIs, allowed web
 * origins, grant types, a public flag and a first-party flag; authorization codes, consents and the
 * login page's sign-ins get their tables. Existing clients stay machine clients (client_credentials).
 */
export class Migration20261201194000_authorization_code extends Migration {
  override async up(): Promise<void> {
    const list = (column: string, fallback: string) =>
      `alter table \`clients\` add column \`${column}\` json not null default '${fallback}' check (json_valid(\`${column}\`) and json_type(\`${column}\`) = 'array');`;
    this.addSql(list('redirect_uris', '[]'));
    this.addSql(list('allowed_origins', '[]'));
    this.addSql(list('grant_types', '["client_credentials"]'));
    this.addSql('alter table `clients` add column `is_public` integer not null default false;');
    this.addSql('alter table `clients` add column `is_first_party` integer not null default false;');

    this.addSql(`create table \`authorization_codes\` (
      \`code_hash\` text not null check (length(\`code_hash\`) = 64),
      \`client_id\` integer not null,
      \`user_id\` integer not null,
      \`redirect_uri\` text not null,
      \`scope\` text not null default '',
      \`code_challenge\` text not null check (length(\`code_challenge\`) between 43 and 128),
      \`nonce\` text null,
      \`auth_time\` datetime not null,
      \`amr\` text not null default 'pwd',
      \`acr\` text null,
      \`login_session_id\` text null,
      \`created_at\` datetime not null default CURRENT_TIMESTAMP,
      \`expires_at\` datetime not null,
      \`used_at\` datetime null,
      \`session_id\` text null,
      constraint \`authorization_codes_client_id_foreign\` foreign key(\`client_id\`) references \`clients\`(\`id\`) on delete cascade on update cascade,
      constraint \`authorization_codes_user_id_foreign\` foreign key(\`user_id\`) references \`users\`(\`id\`) on delete cascade on update cascade,
      primary key (\`code_hash\`));`);
    this.addSql('create index `authorization_codes_client_id_index` on `authorization_codes` (`client_id`);');
    this.addSql('create index `authorization_codes_user_id_index` on `authorization_codes` (`user_id`);');
    this.addSql(
      'create index `authorization_codes_login_session_id_index` on `authorization_codes` (`login_session_id`);',
    );

    this.addSql(`create table \`oauth_consents\` (
      \`id\` integer not null primary key autoincrement,
      \`user_id\` integer not null,
      \`client_id\` integer not null,
      \`scope\` text not null default '',
      \`updated_at\` datetime not null default CURRENT_TIMESTAMP,
      constraint \`oauth_consents_user_id_foreign\` foreign key(\`user_id\`) references \`users\`(\`id\`) on delete cascade on update cascade,
      constraint \`oauth_consents_client_id_foreign\` foreign key(\`client_id\`) references \`clients\`(\`id\`) on delete cascade on update cascade);`);
    this.addSql(
      'create unique index `oauth_consents_user_id_client_id_unique` on `oauth_consents` (`user_id`, `client_id`);',
    );
    this.addSql('create index `oauth_consents_client_id_index` on `oauth_consents` (`client_id`);');
    this.addSql('create index `oauth_consents_user_id_index` on `oauth_consents` (`user_id`);');

    this.addSql(`create table \`login_sessions\` (
      \`id\` text not null check (length(\`id\`) = 64),
      \`user_id\` integer not null,
      \`auth_time\` datetime not null,
      \`amr\` text not null default 'pwd',
      \`acr\` text null,
      \`created_at\` datetime not null default CURRENT_TIMESTAMP,
      \`expires_at\` datetime not null,
      \`ended_at\` datetime null,
      constraint \`login_sessions_user_id_foreign\` foreign key(\`user_id\`) references \`users\`(\`id\`) on delete cascade on update cascade,
      primary key (\`id\`));`);
    this.addSql('create index `login_sessions_user_id_index` on `login_sessions` (`user_id`);');
  }

  override async down(): Promise<void> {
    for (const table of ['login_sessions', 'oauth_consents', 'authorization_codes'])
      this.addSql(`drop table if exists \`${table}\`;`);
    for (const column of ['is_first_party', 'is_public', 'grant_types', 'allowed_origins', 'redirect_uris'])
      this.addSql(`alter table \`clients\` drop column \`${column}\`;`);
  }
}
