import { Migration } from '@mikro-orm/migrations';

/**
 * Accounts and catalog. Constraints mirror the model validators so that writers bypassing the ORM
 * (raw SQL, imports) cannot store what the admin would refuse.
 */
export class Migration20261126000000_initial extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create table "categories" (
      "id" serial primary key,
      "name" varchar(120) not null check (length(trim("name")) > 0),
      "slug" varchar(120) not null check ("slug" ~ '^[a-z0-9]+(-[a-z0-9]+)*$'),
      "created_at" timestamptz not null default CURRENT_TIMESTAMP,
      "updated_at" timestamptz not null default CURRENT_TIMESTAMP);`);
    this.addSql('alter table "categories" add constraint "categories_slug_unique" unique ("slug");');

    this.addSql(`create table "products" (
      "id" serial primary key,
      "sku" varchar(64) not null check (length(trim("sku")) > 0),
      "name" varchar(200) not null check (length(trim("name")) > 0),
      "description" text not null default '',
      "price_cents" int not null check ("price_cents" >= 0),
      "currency" varchar(3) not null check ("currency" ~ '^[A-Z]{3}$'),
      "stock" int not null default 0 check ("stock" >= 0),
      "category_id" int not null,
      "tags" json not null default '[]' check (json_typeof("tags") = 'array'),
      "published" boolean not null default false,
      "created_at" timestamptz not null default CURRENT_TIMESTAMP,
      "updated_at" timestamptz not null default CURRENT_TIMESTAMP);`);
    this.addSql('alter table "products" add constraint "products_sku_unique" unique ("sku");');
    this.addSql('create index "products_category_id_index" on "products" ("category_id");');

    this.addSql(`create table "roles" (
      "id" serial primary key,
      "name" varchar(80) not null check (length(trim("name")) > 0),
      "scopes" jsonb not null default '[]' check (jsonb_typeof("scopes") = 'array'),
      "permissions" jsonb not null default '[]' check (jsonb_typeof("permissions") = 'array'));`);
    this.addSql('alter table "roles" add constraint "roles_name_unique" unique ("name");');

    this.addSql(`create table "users" (
      "id" serial primary key,
      "email" varchar(254) not null check ("email" like '%_@_%'),
      "password_hash" varchar(255) not null,
      "is_active" boolean not null default true,
      "is_staff" boolean not null default false,
      "is_superuser" boolean not null default false,
      "last_login_at" timestamptz null,
      "created_at" timestamptz not null default CURRENT_TIMESTAMP);`);
    this.addSql('create unique index users_email_lower_unique on users (lower(email));');

    this.addSql(`create table "audit_entries" (
      "id" serial primary key,
      "actor_id" int null,
      "actor_email" varchar(254) null,
      "action" varchar(40) not null,
      "model" varchar(60) not null,
      "record_id" varchar(64) not null,
      "diff" jsonb not null,
      "created_at" timestamptz not null default CURRENT_TIMESTAMP);`);
    this.addSql('create index "audit_entries_actor_id_index" on "audit_entries" ("actor_id");');
    this.addSql('create index "audit_entries_record_idx" on "audit_entries" ("model", "record_id");');

    this.addSql(`create table "user_roles" (
      "user_id" int not null,
      "role_id" int not null,
      constraint "user_roles_pkey" primary key ("user_id", "role_id"));`);

    this.addSql(
      'alter table "products" add constraint "products_category_id_foreign" foreign key ("category_id") references "categories" ("id") on update cascade on delete restrict;',
    );
    this.addSql(
      'alter table "audit_entries" add constraint "audit_entries_actor_id_foreign" foreign key ("actor_id") references "users" ("id") on update cascade on delete set null;',
    );
    this.addSql(
      'alter table "user_roles" add constraint "user_roles_user_id_foreign" foreign key ("user_id") references "users" ("id") on update cascade on delete cascade;',
    );
    this.addSql(
      'alter table "user_roles" add constraint "user_roles_role_id_foreign" foreign key ("role_id") references "roles" ("id") on update cascade on delete cascade;',
    );
  }

  override async down(): Promise<void> {
    this.addSql(
      'drop table if exists "user_roles", "audit_entries", "users", "roles", "products", "categories" cascade;',
    );
  }
}
