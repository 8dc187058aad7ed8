import { Migration } from '@mikro-orm/migrations';

/**
 * Written by hand (`tandem makemigrations --empty`): no entity, as no code but the change feed's prune
 * and reads touches it. One row (id 1), written by the outbox prune in the transaction of its delete:
 * every event it ever deleted had a txid below `below`. A reader that has not read every event below
 * it may have lost some, and reloads a snapshot (packages/changefeed/src/postgres-source.ts).
 */
export class Migration20261207032513_change_event_pruned extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create table "change_event_pruned" (
      "id" smallint primary key check ("id" = 1),
      "below" bigint not null
    );`);
  }

  override async down(): Promise<void> {
    this.addSql('drop table if exists "change_event_pruned";');
  }
}
