import { after, before } from 'node:test';
import { defineEntity } from '@mikro-orm/core';
import { openOrm, type Orm } from '@tandem/models';
import { createTestDatabase } from '@tandem/models/testing';

const p = defineEntity.properties;

/**
 * A team's own model with columns that are strings to MikroORM but not text to the database: a date,
 * a time, a decimal. The admin's search must not treat them as text (PostgreSQL has no lower(date)).
 */
export const Stall = defineEntity({
  name: 'Stall',
  tableName: 'stalls',
  properties: {
    id: p.integer().primary().autoincrement(),
    name: p.string().length(60),
    openedOn: p.date().nullable(),
    closesAt: p.time().nullable(),
    rating: p.decimal().precision(3).scale(1).nullable(),
  },
});

/**
 * Registers the suite's hooks: a fresh database with only the stalls table, filled by `insert` (an
 * INSERT statement), dropped after. `orm()` is the suite's ORM once `before` has run.
 */
export function stallsDatabase(insert: string): { orm: () => Orm } {
  let orm: Orm | undefined;
  let drop: (() => Promise<void>) | undefined;
  before(async () => {
    const database = await createTestDatabase();
    drop = () => database.drop();
    orm = await openOrm(database.target, { entities: [Stall] });
    await orm.schema.createSchema();
    await orm.em.getConnection().execute(insert);
  });
  after(async () => {
    await orm?.close(true);
    await drop?.();
  });
  return {
    orm: () => {
      if (orm === undefined) throw new Error('the stalls database is not open: its before hook has not run');
      return orm;
    },
  };
}
