import { Migration } from '@mikro-orm/migrations';

/**
 * Accounts and catalog. Constraints mirror the model validators so that writers bypassing the ORM
 * (raw SQL, imports) cannot store what the admin would refuse.
 */
export class Migration20261126000000_initial extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create table \`categories\` (
      \`id\` integer not null primary key autoincrement,
      \`name\` text not null check (length(trim(\`name\`)) > 0),
      \`slug\` text not null check (length(\`slug\`) > 0 and \`slug\` not glob '*[^a-z0-9-]*'),
      \`created_at\` datetime not null default CURRENT_TIMESTAMP,
      \`updated_at\` datetime not null default CURRENT_TIMESTAMP);`);
    this.addSql('create unique index `categories_slug_unique` on `categories` (`slug`);');

    this.addSql(`create table \`products\` (
      \`id\` integer not null primary key autoincrement,
      \`sku\` text not null check (length(trim(\`sku\`)) > 0),
      \`name\` text not null check (length(trim(\`name\`)) > 0),
      \`description\` text not null default '',
      \`price_cents\` integer not null check (\`price_cents\` >= 0),
      \`currency\` text not null check (length(\`currency\`) = 3 and \`currency\` glob '[A-Z][A-Z][A-Z]'),
      \`stock\` integer not null default 0 check (\`stock\` >= 0),
      \`category_id\` integer not null,
      \`tags\` json not null default '[]' check (json_valid(\`tags\`) and json_type(\`tags\`) = 'array'),
      \`published\` integer not null default false,
      \`created_at\` datetime not null default CURRENT_TIMESTAMP,
      \`updated_at\` datetime not null default CURRENT_TIMESTAMP,
      constraint \`products_category_id_foreign\` foreign key(\`category_id\`) references \`categories\`(\`id\`) on delete restrict on update cascade);`);
    this.addSql('create unique index `products_sku_unique` on `products` (`sku`);');
    this.addSql('create index `products_category_id_index` on `products` (`category_id`);');

    this.addSql(`create table \`roles\` (
      \`id\` integer not null primary key autoincrement,
      \`name\` text not null check (length(trim(\`name\`)) > 0),
      \`scopes\` json not null default '[]' check (json_valid(\`scopes\`) and json_type(\`scopes\`) = 'array'),
      \`permissions\` json not null default '[]' check (json_valid(\`permissions\`) and json_type(\`permissions\`) = 'array'));`);
    this.addSql('create unique index `roles_name_unique` on `roles` (`name`);');

    this.addSql(`create table \`users\` (
      \`id\` integer not null primary key autoincrement,
      \`email\` text not null check (\`email\` like '%_@_%'),
      \`password_hash\` text not null,
      \`is_active\` integer not null default true,
      \`is_staff\` integer not null default false,
      \`is_superuser\` integer not null default false,
      \`last_login_at\` datetime null,
      \`created_at\` datetime not null default CURRENT_TIMESTAMP);`);
    this.addSql('create unique index users_email_lower_unique on users (lower(email));');

    this.addSql(`create table \`audit_entries\` (
      \`id\` integer not null primary key autoincrement,
      \`actor_id\` integer null,
      \`actor_email\` text null,
      \`action\` text not null,
      \`model\` text not null,
      \`record_id\` text not null,
      \`diff\` json not null check (json_valid(\`diff\`)),
      \`created_at\` datetime not null default CURRENT_TIMESTAMP,
      constraint \`audit_entries_actor_id_foreign\` foreign key(\`actor_id\`) references \`users\`(\`id\`) on delete set null on update cascade);`);
    this.addSql('create index `audit_entries_actor_id_index` on `audit_entries` (`actor_id`);');
    this.addSql('create index `audit_entries_record_idx` on `audit_entries` (`model`, `record_id`);');

    this.addSql(`create table \`user_roles\` (
      \`user_id\` integer not null,
      \`role_id\` integer not null,
      constraint \`user_roles_user_id_foreign\` foreign key(\`user_id\`) references \`users\`(\`id\`) on delete cascade on update cascade,
      constraint \`user_roles_role_id_foreign\` foreign key(\`role_id\`) references \`roles\`(\`id\`) on delete cascade on update cascade,
      primary key (\`user_id\`, \`role_id\`));`);
    this.addSql('create index `user_roles_user_id_index` on `user_roles` (`user_id`);');
    this.addSql('create index `user_roles_role_id_index` on `user_roles` (`role_id`);');
  }

  override async down(): Promise<void> {
    for (const table of ['user_roles', 'audit_entries', 'users', 'roles', 'products', 'categories']) {
      this.addSql(`drop table if exists \`${table}\`;`);
    }
  }
}
