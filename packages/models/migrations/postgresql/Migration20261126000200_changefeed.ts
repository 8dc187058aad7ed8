import { Migration } from '@mikro-orm/migrations';

/**
 * The change feed's transactional outbox (docs/architecture.md, decision 3). A row-level trigger on every hot table
 * appends one `change_event` per changed row in the writer's own transaction, so any writer (admin,
 * CLI, raw SQL, a migration) is captured. `txid` lets readers apply only transactions older than the
 * oldest running one (`pg_snapshot_xmin`), so an event whose id was allocated early but committed late
 * is never skipped. A statement-level trigger sends a payload-less NOTIFY as a wake-up: the reader
 * re-reads rows itself, so notifications never carry data (NOTIFY payloads are limited to 8000 bytes).
 *
 * A new hot table needs only `select tandem_capture_changes('<table>')` in its own migration.
 */
export class Migration20261126000200_changefeed extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create table "change_event" (
      "id" bigserial primary key,
      "table_name" varchar(63) not null,
      "op" varchar(6) not null,
      "record_id" varchar(64) not null,
      "txid" bigint null,
      "created_at" timestamptz not null default CURRENT_TIMESTAMP);`);
    this.addSql('create index "change_event_txid_index" on "change_event" ("txid");');
    this.addSql('create index "change_event_created_at_index" on "change_event" ("created_at");');

    // Row level: one event per row, same transaction. Tables must have an "id" primary key.
    // clock_timestamp(), not now(): the event time is when the row changed, for lag measurement.
    this.addSql(`create function tandem_change_capture() returns trigger language plpgsql as $$
begin
  if tg_op = 'DELETE' then
    insert into change_event (table_name, op, record_id, txid, created_at)
      values (tg_table_name, 'delete', old.id::text, pg_current_xact_id()::text::bigint, clock_timestamp());
    return old;
  end if;
  insert into change_event (table_name, op, record_id, txid, created_at)
    values (tg_table_name, lower(tg_op), new.id::text, pg_current_xact_id()::text::bigint, clock_timestamp());
  if tg_op = 'UPDATE' and old.id is distinct from new.id then
    insert into change_event (table_name, op, record_id, txid, created_at)
      values (tg_table_name, 'delete', old.id::text, pg_current_xact_id()::text::bigint, clock_timestamp());
  end if;
  return new;
end $$;`);
    // Statement level: a wake-up only; PostgreSQL folds identical notifications of one transaction
    // into one and delivers it at commit.
    this.addSql(`create function tandem_change_notify() returns trigger language plpgsql as $$
begin
  perform pg_notify('tandem_change', '');
  return null;
end $$;`);
    this.addSql(`create function tandem_capture_changes(target regclass) returns void language plpgsql as $$
declare
  name text := (select relname from pg_class where oid = target);
begin
  execute format('create trigger %I after insert or update or delete on %s for each row execute function tandem_change_capture()', name || '_change_capture', target);
  execute format('create trigger %I after insert or update or delete on %s for each statement execute function tandem_change_notify()', name || '_change_notify', target);
end $$;`);
    this.addSql(`select tandem_capture_changes('categories');`);
    this.addSql(`select tandem_capture_changes('products');`);
  }

  override async down(): Promise<void> {
    for (const table of ['products', 'categories']) {
      this.addSql(`drop trigger if exists "${table}_change_capture" on "${table}";`);
      this.addSql(`drop trigger if exists "${table}_change_notify" on "${table}";`);
    }
    this.addSql('drop function if exists tandem_capture_changes(regclass);');
    this.addSql('drop function if exists tandem_change_notify();');
    this.addSql('drop function if exists tandem_change_capture();');
    this.addSql('drop table if exists "change_event";');
  }
}
