import { Migration } from '@mikro-orm/migrations';

/**
 * Auth service: machine clients, sessions (refresh-token families, the `sid` of access tokens), refresh
 * tokens (hashes only) and signing keys (private key encrypted). Constraints mirror the model rules so
 * raw SQL cannot store a session without an owner or a key in an unknown state.
 */
export class Migration20261126000100_auth extends Migration {
  // Lists of allowed values are regex checks, not `in (...)`: PostgreSQL rewrites `in` to `= any(array[...])`,
  // which MikroORM's schema diff reads as a native enum and would try to drop.
  override async up(): Promise<void> {
    this.addSql(`create table "clients" (
      "id" serial primary key,
      "name" varchar(120) not null check (length(trim("name")) > 0),
      "client_id" varchar(64) not null check ("client_id" ~ '^[A-Za-z0-9_-]{8,64}$'),
      "secret_hash" varchar(64) not null check ("secret_hash" ~ '^[0-9a-f]{64}$'),
      "scopes" jsonb not null default '[]' check (jsonb_typeof("scopes") = 'array'),
      "is_active" boolean not null default true,
      "created_at" timestamptz not null default CURRENT_TIMESTAMP);`);
    this.addSql('alter table "clients" add constraint "clients_client_id_unique" unique ("client_id");');

    this.addSql(`create table "signing_keys" (
      "id" serial primary key,
      "kid" varchar(64) not null check (length("kid") > 0),
      "algorithm" varchar(16) not null default 'EdDSA' check ("algorithm" ~ '^EdDSA$'),
      "state" varchar(16) not null check ("state" ~ '^(next|current|previous|retired)$'),
      "public_jwk" jsonb not null check (jsonb_typeof("public_jwk") = 'object'),
      "private_key_encrypted" text null,
      "created_at" timestamptz not null default CURRENT_TIMESTAMP,
      "activated_at" timestamptz null,
      "deactivated_at" timestamptz null,
      "retire_after" timestamptz null,
      "retired_at" timestamptz null,
      constraint "signing_keys_private_key_check" check ("state" = 'retired' or "private_key_encrypted" is not null));`);
    this.addSql('alter table "signing_keys" add constraint "signing_keys_kid_unique" unique ("kid");');
    this.addSql(
      "create unique index signing_keys_one_current on signing_keys (state) where state = 'current';",
    );
    this.addSql("create unique index signing_keys_one_next on signing_keys (state) where state = 'next';");

    this.addSql(`create table "sessions" (
      "id" varchar(36) not null check (length("id") > 0),
      "user_id" int null,
      "client_id" int null,
      "grant_type" varchar(32) not null check ("grant_type" ~ '^(password|client_credentials)$'),
      "scope" text not null default '',
      "created_at" timestamptz not null default CURRENT_TIMESTAMP,
      "last_used_at" timestamptz not null default CURRENT_TIMESTAMP,
      "expires_at" timestamptz not null,
      "revoked_at" timestamptz null,
      "revoked_reason" varchar(40) null,
      constraint "sessions_owner_check" check (("user_id" is null) <> ("client_id" is null)),
      constraint "sessions_pkey" primary key ("id"));`);
    this.addSql('create index "sessions_user_id_index" on "sessions" ("user_id");');
    this.addSql('create index "sessions_client_id_index" on "sessions" ("client_id");');

    this.addSql(`create table "refresh_tokens" (
      "id" serial primary key,
      "session_id" varchar(36) not null,
      "token_hash" varchar(64) not null check (length("token_hash") = 64),
      "created_at" timestamptz not null default CURRENT_TIMESTAMP,
      "used_at" timestamptz null);`);
    this.addSql('create index "refresh_tokens_session_id_index" on "refresh_tokens" ("session_id");');
    this.addSql(
      'alter table "refresh_tokens" add constraint "refresh_tokens_token_hash_unique" unique ("token_hash");',
    );

    this.addSql(
      'alter table "sessions" add constraint "sessions_user_id_foreign" foreign key ("user_id") references "users" ("id") on update cascade on delete cascade;',
    );
    this.addSql(
      'alter table "sessions" add constraint "sessions_client_id_foreign" foreign key ("client_id") references "clients" ("id") on update cascade on delete cascade;',
    );
    this.addSql(
      'alter table "refresh_tokens" add constraint "refresh_tokens_session_id_foreign" foreign key ("session_id") references "sessions" ("id") on update cascade on delete cascade;',
    );
  }

  override async down(): Promise<void> {
    this.addSql('drop table if exists "refresh_tokens", "sessions", "signing_keys", "clients" cascade;');
  }
}
