/**
 * The change-capture triggers of hot tables (docs/architecture.md, decision 3), as SQL for migrations.
 * Generated migrations call this module instead of copying trigger code, so every hot table gets the
 * same triggers. A version is frozen once a migration calls it: a new trigger shape is a new version
 * (add `2` below), `tandem makemigrations` then drops version 1 and installs version 2 on every hot
 * table, and old migrations keep replaying the version they were written with.
 */
export type ChangeCaptureDialect = 'sqlite' | 'postgresql';

interface ChangeCaptureVersion {
  create(dialect: ChangeCaptureDialect, table: string): string[];
  drop(dialect: ChangeCaptureDialect, table: string): string[];
}

/**
 * Version 1, the triggers of Migration20261126000200_changefeed. SQLite: four row triggers appending
 * to change_event (an id change is a delete of the old id plus an update of the new one). PostgreSQL:
 * the `tandem_capture_changes(regclass)` function that migration created (a row trigger writing
 * change_event with the transaction id, and a statement trigger sending the NOTIFY wake-up).
 */
const version1: ChangeCaptureVersion = {
  create(dialect, table) {
    if (dialect === 'postgresql') return [`select tandem_capture_changes('${table}');`];
    const insert = (op: string, row: 'new' | 'old') =>
      `insert into change_event (table_name, op, record_id, created_at) values ('${table}', '${op}', ${row}.id, strftime('%Y-%m-%d %H:%M:%f', 'now'));`;
    return [
      `create trigger \`${table}_change_insert\` after insert on \`${table}\` begin ${insert('insert', 'new')} end;`,
      `create trigger \`${table}_change_update\` after update on \`${table}\` begin ${insert('update', 'new')} end;`,
      `create trigger \`${table}_change_update_id\` after update of id on \`${table}\` when old.id is not new.id begin ${insert('delete', 'old')} end;`,
      `create trigger \`${table}_change_delete\` after delete on \`${table}\` begin ${insert('delete', 'old')} end;`,
    ];
  },
  drop(dialect, table) {
    if (dialect === 'postgresql')
      return ['capture', 'notify'].map(
        (what) => `drop trigger if exists "${table}_change_${what}" on "${table}";`,
      );
    return ['insert', 'update', 'update_id', 'delete'].map(
      (what) => `drop trigger if exists \`${table}_change_${what}\`;`,
    );
  },
};

/**
 * Before a TRUNCATE, one delete event per row (in the TRUNCATE's transaction) and the wake-up. Row
 * triggers do not fire on TRUNCATE, so under version 1 it emptied a hot table without an event: fast
 * went on serving every truncated row. `create or replace`: every table's version 2 installs the same
 * function, and the first migration that runs creates it.
 */
const CAPTURE_TRUNCATE_FUNCTION = `create or replace function tandem_change_truncate() returns trigger language plpgsql as $$
begin
  execute format('insert into change_event (table_name, op, record_id, txid, created_at) '
    || 'select %L, ''delete'', id::text, pg_current_xact_id()::text::bigint, clock_timestamp() from %I.%I',
    tg_table_name, tg_table_schema, tg_table_name);
  perform pg_notify('tandem_change', '');
  return null;
end $$;`;

/**
 * The TRUNCATE capture alone, on PostgreSQL (SQLite has no TRUNCATE: nothing). Version 2 adds it to a
 * hot table's triggers; a table captured by hand (sessions, whose deletion revokes) installs it with
 * this. The statements are frozen as version 2's: change them only with a new version.
 */
export function truncateCaptureSql(dialect: ChangeCaptureDialect, table: string): string[] {
  version(2, table);
  if (dialect === 'sqlite') return [];
  return [
    CAPTURE_TRUNCATE_FUNCTION,
    `create trigger "${table}_change_truncate" before truncate on "${table}" for each statement execute function tandem_change_truncate();`,
  ];
}

/** Removes what truncateCaptureSql installed (the function stays: every hot table's version 2 uses it). */
export function dropTruncateCaptureSql(dialect: ChangeCaptureDialect, table: string): string[] {
  version(2, table);
  if (dialect === 'sqlite') return [];
  return [`drop trigger if exists "${table}_change_truncate" on "${table}";`];
}

/**
 * Version 2: version 1, and on PostgreSQL a statement trigger that captures TRUNCATE (CASCADE
 * included: each truncated hot table fires its own) as a delete of every row. SQLite has no
 * TRUNCATE (a `delete from` without where fires the row triggers), so its triggers are version 1's.
 */
const version2: ChangeCaptureVersion = {
  create(dialect, table) {
    return [...version1.create(dialect, table), ...truncateCaptureSql(dialect, table)];
  },
  drop(dialect, table) {
    return [...version1.drop(dialect, table), ...dropTruncateCaptureSql(dialect, table)];
  },
};

const versions: Readonly<Record<number, ChangeCaptureVersion>> = { 1: version1, 2: version2 };

/** The version `tandem makemigrations` installs on a table that becomes hot. */
export const CURRENT_CHANGE_CAPTURE_VERSION = 2;

function version(number: number, table: string): ChangeCaptureVersion {
  // The name is written into SQL text (trigger bodies cannot take parameters): allow identifiers only.
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(table))
    throw new Error(`Not a plain table name: ${JSON.stringify(table)}`);
  const found = versions[number];
  if (!found)
    throw new Error(`Unknown change-capture version ${number} (known: ${Object.keys(versions).join(', ')})`);
  return found;
}

/** The statements that install change capture (version `number`) on `table`. */
export function changeCaptureSql(number: number, dialect: ChangeCaptureDialect, table: string): string[] {
  return version(number, table).create(dialect, table);
}

/** The statements that remove change capture (version `number`) from `table`. */
export function dropChangeCaptureSql(number: number, dialect: ChangeCaptureDialect, table: string): string[] {
  return version(number, table).drop(dialect, table);
}
