import { defineEntity } from '@mikro-orm/core';

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
