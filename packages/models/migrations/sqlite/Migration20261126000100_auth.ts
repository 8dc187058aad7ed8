import { Migration } from '@mikro-orm/migrations';

/**
 * Auth service: machine clients, sessions (refresh-token families, the `sid` of access tokens), refresh
 * tokens (hashes only) and signing keys (private key encrypted). Constraints mirror the model rules so
 * raw SQL cannot store a session without an owner or a key in an unknown state.
 */
export class Migration20261126000100_auth extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create table \`clients\` (
      \`id\` integer not null primary key autoincrement,
      \`name\` text not null check (length(trim(\`name\`)) > 0),
      \`client_id\` text not null check (length(\`client_id\`) between 8 and 64 and \`client_id\` not glob '*[^A-Za-z0-9_-]*'),
      \`secret_hash\` text not null check (length(\`secret_hash\`) = 64 and \`secret_hash\` not glob '*[^0-9a-f]*'),
      \`scopes\` json not null default '[]' check (json_valid(\`scopes\`) and json_type(\`scopes\`) = 'array'),
      \`is_active\` integer not null default true,
      \`created_at\` datetime not null default CURRENT_TIMESTAMP);`);
    this.addSql('create unique index `clients_client_id_unique` on `clients` (`client_id`);');

    this.addSql(`create table \`signing_keys\` (
      \`id\` integer not null primary key autoincrement,
      \`kid\` text not null check (length(\`kid\`) > 0),
      \`algorithm\` text not null default 'EdDSA' check (\`algorithm\` in ('EdDSA')),
      \`state\` text not null check (\`state\` in ('next', 'current', 'previous', 'retired')),
      \`public_jwk\` json not null check (json_valid(\`public_jwk\`) and json_type(\`public_jwk\`) = 'object'),
      \`private_key_encrypted\` text null,
      \`created_at\` datetime not null default CURRENT_TIMESTAMP,
      \`activated_at\` datetime null,
      \`deactivated_at\` datetime null,
      \`retire_after\` datetime null,
      \`retired_at\` datetime null,
      check (\`state\` = 'retired' or \`private_key_encrypted\` is not null));`);
    this.addSql('create unique index `signing_keys_kid_unique` on `signing_keys` (`kid`);');
    this.addSql(
      "create unique index signing_keys_one_current on signing_keys (state) where state = 'current';",
    );
    this.addSql("create unique index signing_keys_one_next on signing_keys (state) where state = 'next';");

    this.addSql(`create table \`sessions\` (
      \`id\` text not null check (length(\`id\`) > 0),
      \`user_id\` integer null,
      \`client_id\` integer null,
      \`grant_type\` text not null check (\`grant_type\` in ('password', 'client_credentials')),
      \`scope\` text not null default '',
      \`created_at\` datetime not null default CURRENT_TIMESTAMP,
      \`last_used_at\` datetime not null default CURRENT_TIMESTAMP,
      \`expires_at\` datetime not null,
      \`revoked_at\` datetime null,
      \`revoked_reason\` text null,
      check ((\`user_id\` is null) <> (\`client_id\` is null)),
      constraint \`sessions_user_id_foreign\` foreign key(\`user_id\`) references \`users\`(\`id\`) on delete cascade on update cascade,
      constraint \`sessions_client_id_foreign\` foreign key(\`client_id\`) references \`clients\`(\`id\`) on delete cascade on update cascade,
      primary key (\`id\`));`);
    this.addSql('create index `sessions_user_id_index` on `sessions` (`user_id`);');
    this.addSql('create index `sessions_client_id_index` on `sessions` (`client_id`);');

    this.addSql(`create table \`refresh_tokens\` (
      \`id\` integer not null primary key autoincrement,
      \`session_id\` text not null,
      \`token_hash\` text not null check (length(\`token_hash\`) = 64),
      \`created_at\` datetime not null default CURRENT_TIMESTAMP,
      \`used_at\` datetime null,
      constraint \`refresh_tokens_session_id_foreign\` foreign key(\`session_id\`) references \`sessions\`(\`id\`) on delete cascade on update cascade);`);
    this.addSql('create index `refresh_tokens_session_id_index` on `refresh_tokens` (`session_id`);');
    this.addSql('create unique index `refresh_tokens_token_hash_unique` on `refresh_tokens` (`token_hash`);');
  }

  override async down(): Promise<void> {
    for (const table of ['refresh_tokens', 'sessions', 'signing_keys', 'clients']) {
      this.addSql(`drop table if exists \`${table}\`;`);
    }
  }
}
