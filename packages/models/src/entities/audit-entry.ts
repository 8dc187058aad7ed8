import { defineEntity, type InferEntity } from '@mikro-orm/core';
import { User } from './user.js';

const p = defineEntity.properties;

/** One field's change: `before` is null for a create, `after` is null for a delete. */
export type FieldDiff = Record<string, { before: unknown; after: unknown }>;

/**
 * Django's LogEntry: who did what to which record, with the field-level diff. Written in the same
 * transaction as the change it records, so it exists exactly when the change does.
 */
export const AuditEntry = defineEntity({
  name: 'AuditEntry',
  tableName: 'audit_entries',
  properties: {
    id: p.integer().primary().autoincrement(),
    /** The acting user; kept as an email too so history survives the user's deletion. */
    actor: () => p.manyToOne(User).nullable().deleteRule('set null').index(),
    actorEmail: p.string().length(254).nullable(),
    /** create / update / delete, or a bulk action's name such as publish. */
    action: p.string().length(40),
    /** Entity name, e.g. Product. */
    model: p.string().length(60),
    recordId: p.string().length(64),
    diff: p.json<FieldDiff>(),
    createdAt: p
      .datetime()
      .onCreate(() => new Date())
      .defaultRaw('CURRENT_TIMESTAMP'),
  },
  indexes: [{ name: 'audit_entries_record_idx', properties: ['model', 'recordId'] }],
});

export type AuditEntry = InferEntity<typeof AuditEntry>;
