import type { EntityManager } from './handler.js';
import { User, type AuditActor } from '@tandem/models';
import type { WriteRequest } from '../write-request.js';

/** A token `sub` that names a user: the user id in decimal. */
const USER_SUBJECT = /^[1-9][0-9]{0,15}$/;

/**
 * The audit actors of a batch's writers, by subject, in one query: a user subject is that user (with
 * the email the log keeps); a machine client's `client:<id>` is kept as that label only. A user
 * deleted since the write was accepted is kept by id as `user:<id>` (no reference to a missing row).
 */
export async function auditActors(
  em: EntityManager,
  writes: readonly WriteRequest[],
): Promise<Map<string, AuditActor>> {
  const subjects = new Set(writes.map((write) => write.subject));
  const userIds = [...subjects].filter((subject) => USER_SUBJECT.test(subject)).map(Number);
  const users =
    userIds.length === 0
      ? []
      : await em
          .createQueryBuilder(User)
          .select(['id', 'email'])
          .where({ id: { $in: userIds } })
          .execute('all');
  const emails = new Map(users.map((user) => [String(user.id), user.email]));
  const actors = new Map<string, AuditActor>();
  for (const subject of subjects) {
    const email = emails.get(subject);
    if (email !== undefined) actors.set(subject, { id: Number(subject), email });
    else
      actors.set(subject, {
        email: (USER_SUBJECT.test(subject) ? `user:${subject}` : subject).slice(0, 254),
      });
  }
  return actors;
}
