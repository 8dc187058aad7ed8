import { Migration } from '@mikro-orm/migrations';

/**
 * The authorization code flow and OpenID Connect (issue 17): clients gain redirect URIs, allowed web
 * origins, grant types, a public flag and a first-party flag; authorization codes, consents and the
 * login page's sign-ins get their tables. Existing clients stay machine clients (client_credentials).
 */
export class Migration20261201194000_authorization_code extends Migration {
  override async up(): Promise<void> {
    const list = (column: string, fallback: string) =>
      `alter table "clients" add column "${column}" jsonb not null default '${fallback}' check (jsonb_typeof("${column}") = 'array');`;
    this.addSql(list('redirect_uris', '[]'));
    this.addSql(list('allowed_origins', '[]'));
    this.addSql(list('grant_types', '["client_credentials"]'));
    this.addSql('alter table "clients" add column "is_public" boolean not null default false;');
    this.addSql('alter table "clients" add column "is_first_party" boolean not null default false;');

    this.addSql(`create table "authorization_codes" (
      "code_hash" varchar(64) not null check (length("code_hash") = 64),
      "client_id" int not null,
      "user_id" int not null,
      "redirect_uri" text not null,
      "scope" text not null default '',
      "code_challenge" varchar(128) not null check (length("code_challenge") between 43 and 128),
      "nonce" text null,
      "auth_time" timestamptz not null,
      "amr" varchar(64) not null default 'pwd',
      "acr" varchar(64) null,
      "login_session_id" varchar(64) null,
      "created_at" timestamptz not null default CURRENT_TIMESTAMP,
      "expires_at" timestamptz not null,
      "used_at" timestamptz null,
      "session_id" varchar(36) null,
      constraint "authorization_codes_pkey" primary key ("code_hash"));`);
    this.addSql('create index "authorization_codes_client_id_index" on "authorization_codes" ("client_id");');
    this.addSql('create index "authorization_codes_user_id_index" on "authorization_codes" ("user_id");');
    this.addSql(
      'create index "authorization_codes_login_session_id_index" on "authorization_codes" ("login_session_id");',
    );
    this.addSql(
      'alter table "authorization_codes" add constraint "authorization_codes_client_id_foreign" foreign key ("client_id") references "clients" ("id") on update cascade on delete cascade;',
    );
    this.addSql(
      'alter table "authorization_codes" add constraint "authorization_codes_user_id_foreign" foreign key ("user_id") references "users" ("id") on update cascade on delete cascade;',
    );

    this.addSql(`create table "oauth_consents" (
      "id" serial primary key,
      "user_id" int not null,
      "client_id" int not null,
      "scope" text not null default '',
      "updated_at" timestamptz not null default CURRENT_TIMESTAMP);`);
    this.addSql(
      'alter table "oauth_consents" add constraint "oauth_consents_user_id_client_id_unique" unique ("user_id", "client_id");',
    );
    this.addSql('create index "oauth_consents_client_id_index" on "oauth_consents" ("client_id");');
    this.addSql(
      'alter table "oauth_consents" add constraint "oauth_consents_user_id_foreign" foreign key ("user_id") references "users" ("id") on update cascade on delete cascade;',
    );
    this.addSql(
      'alter table "oauth_consents" add constraint "oauth_consents_client_id_foreign" foreign key ("client_id") references "clients" ("id") on update cascade on delete cascade;',
    );

    this.addSql(`create table "login_sessions" (
      "id" varchar(64) not null check (length("id") = 64),
      "user_id" int not null,
      "auth_time" timestamptz not null,
      "amr" varchar(64) not null default 'pwd',
      "acr" varchar(64) null,
      "created_at" timestamptz not null default CURRENT_TIMESTAMP,
      "expires_at" timestamptz not null,
      "ended_at" timestamptz null,
      constraint "login_sessions_pkey" primary key ("id"));`);
    this.addSql('create index "login_sessions_user_id_index" on "login_sessions" ("user_id");');
    this.addSql(
      'alter table "login_sessions" add constraint "login_sessions_user_id_foreign" foreign key ("user_id") references "users" ("id") on update cascade on delete cascade;',
    );
  }

  override async down(): Promise<void> {
    this.addSql('drop table if exists "login_sessions", "oauth_consents", "authorization_codes" cascade;');
    for (const column of ['is_first_party', 'is_public', 'grant_types', 'allowed_origins', 'redirect_uris'])
      this.addSql(`alter table "clients" drop column "${column}";`);
  }
}
