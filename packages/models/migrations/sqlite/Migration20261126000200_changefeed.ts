import { Migration } from '@mikro-orm/migrations';

/** The three triggers that capture every row change of `table` into change_event (same transaction). */
function sqliteChangeCaptureSql(table: string): string[] {
  const insert = (op: string, row: 'new' | 'old') =>
    `insert into change_event (table_name, op, record_id, created_at) values ('${table}', '${op}', ${row}.id, strftime('%Y-%m-%d %H:%M:%f', 'now'));`;
  return [
    `create trigger \`${table}_change_insert\` after insert on \`${table}\` begin ${insert('insert', 'new')} end;`,
    `create trigger \`${table}_change_update\` after update on \`${table}\` begin ${insert('update', 'new')} end;`,
    `create trigger \`${table}_change_update_id\` after update of id on \`${table}\` when old.id is not new.id begin ${insert('delete', 'old')} end;`,
    `create trigger \`${table}_change_delete\` after delete on \`${table}\` begin ${insert('delete', 'old')} end;`,
  ];
}

function sqliteDropChangeCaptureSql(table: string): string[] {
  return ['insert', 'update', 'update_id', 'delete'].map(
    (what) => `drop trigger if exists \`${table}_change_${what}\`;`,
  );
}

/**
 * The change feed's transactional outbox (docs/architecture.md, decision 3). Triggers on every hot table append one
 * `change_event` per changed row in the writer's own transaction, so any writer (admin, CLI, raw SQL)
 * is captured. SQLite has a single writer, so id order is commit order and readers tail by id; `txid`
 * stays null here (it exists for PostgreSQL's out-of-order commits).
 */
export class Migration20261126000200_changefeed extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create table \`change_event\` (
      \`id\` integer not null primary key autoincrement,
      \`table_name\` text not null,
      \`op\` text not null,
      \`record_id\` text not null,
      \`txid\` bigint null,
      \`created_at\` datetime not null default CURRENT_TIMESTAMP);`);
    this.addSql('create index `change_event_txid_index` on `change_event` (`txid`);');
    this.addSql('create index `change_event_created_at_index` on `change_event` (`created_at`);');
    for (const table of ['categories', 'products'])
      for (const sql of sqliteChangeCaptureSql(table)) this.addSql(sql);
  }

  override async down(): Promise<void> {
    for (const table of ['categories', 'products'])
      for (const sql of sqliteDropChangeCaptureSql(table)) this.addSql(sql);
    this.addSql('drop table if exists `change_event`;');
  }
}
