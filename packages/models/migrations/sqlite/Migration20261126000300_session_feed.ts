import { Migration } from '@mikro-orm/migrations';

// Same trigger shape as Migration20261126000200_changefeed (migrations stay frozen, so no shared import).
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
 * Session changes join the change feed so that a revoked session (logout, RFC 7009 revocation,
 * refresh-token reuse, staff action) reaches every fast node within a poll, long before token `exp`.
 */
export class Migration20261126000300_session_feed extends Migration {
  override async up(): Promise<void> {
    for (const sql of sqliteChangeCaptureSql('sessions')) this.addSql(sql);
  }

  override async down(): Promise<void> {
    for (const sql of sqliteDropChangeCaptureSql('sessions')) this.addSql(sql);
  }
}
