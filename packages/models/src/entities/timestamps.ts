import { defineEntity } from '@mikro-orm/core';

const p = defineEntity.properties;

/** createdAt/updatedAt as Django's auto_now_add/auto_now; the database default covers raw SQL inserts. */
export const timestamps = {
  createdAt: p
    .datetime()
    .onCreate(() => new Date())
    .defaultRaw('CURRENT_TIMESTAMP'),
  updatedAt: p
    .datetime()
    .onCreate(() => new Date())
    .onUpdate(() => new Date())
    .defaultRaw('CURRENT_TIMESTAMP'),
};
