import { Migration } from '@mikro-orm/migrations';

/**
 * Two-factor sign-in (issue 17): a user's TOTP authenticator (secret sealed with TANDEM_SECRET_KEY,
 * confirmed once a first code matched, last accepted time step against replays) and their single-use
 * recovery codes (keyed HMACs only). Both go with the user (on delete cascade).
 */
export class Migration20261201195200_two_factor extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create table "user_totp" (
      "id" serial primary key,
      "user_id" int not null,
      "secret_encrypted" text not null check ("secret_encrypted" like 'v1.%'),
      "confirmed_at" timestamptz null,
      "last_used_step" int null check ("last_used_step" >= 0),
      "created_at" timestamptz not null default CURRENT_TIMESTAMP);`);
    this.addSql('alter table "user_totp" add constraint "user_totp_user_id_unique" unique ("user_id");');
    this.addSql(
      'alter table "user_totp" add constraint "user_totp_user_id_foreign" foreign key ("user_id") references "users" ("id") on update cascade on delete cascade;',
    );

    this.addSql(`create table "recovery_codes" (
      "id" serial primary key,
      "user_id" int not null,
      "code_hash" varchar(64) not null check ("code_hash" ~ '^[0-9a-f]{64}$'),
      "used_at" timestamptz null,
      "created_at" timestamptz not null default CURRENT_TIMESTAMP);`);
    this.addSql('create index "recovery_codes_user_id_index" on "recovery_codes" ("user_id");');
    this.addSql(
      'alter table "recovery_codes" add constraint "recovery_codes_user_code_unique" unique ("user_id", "code_hash");',
    );
    this.addSql(
      'alter table "recovery_codes" add constraint "recovery_codes_user_id_foreign" foreign key ("user_id") references "users" ("id") on update cascade on delete cascade;',
    );
  }

  override async down(): Promise<void> {
    this.addSql('drop table if exists "recovery_codes", "user_totp" cascade;');
  }
}
