import { demoUserEmail, type Orm } from '@tandem/models';
import { insertInBatches, storedValues } from './batches.js';

export interface UserBatchPlan {
  readonly dialect: 'sqlite' | 'postgresql';
  /** Number of the first new user (its email's suffix). */
  readonly firstNumber: number;
  readonly count: number;
  /** One argon2id hash for every seeded user: hashing 100,000 passwords would take hours. */
  readonly passwordHash: string;
  /** The role every seeded user gets (the reader role). */
  readonly roleId: number;
  readonly onProgress?: (inserted: number) => void;
}

/**
 * Inserts demo users (active, not staff) with their role in batches, and returns their ids in
 * number order, for the orders to be spread over.
 */
export async function insertDemoUsers(orm: Orm, plan: UserBatchPlan): Promise<number[]> {
  const { date, bool } = storedValues(plan.dialect);
  const now = date(new Date());
  const ids: number[] = [];
  await insertInBatches(orm.em.getKnex(), {
    count: plan.count,
    onProgress: plan.onProgress,
    row: (index) => ({
      email: demoUserEmail(plan.firstNumber + index),
      password_hash: plan.passwordHash,
      is_active: bool(true),
      is_staff: bool(false),
      is_superuser: bool(false),
      created_at: now,
    }),
    insert: async (trx, rows) => {
      const inserted = (await trx.insert(rows).into('users').returning('id')) as { id: number }[];
      const batch = inserted.map((row) => Number(row.id)).sort((a, b) => a - b);
      await trx.insert(batch.map((id) => ({ user_id: id, role_id: plan.roleId }))).into('user_roles');
      ids.push(...batch);
    },
  });
  return ids;
}
