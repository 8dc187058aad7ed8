import { Session, type Orm } from '@tandem/models';
import { HOLDER_REVOCATION_REASONS } from './reasons.js';

type Em = Orm['em'];

/** Ids per query: well under SQLite's and PostgreSQL's bound parameter limits. */
const IDS_PER_QUERY = 500;

/**
 * Which of these sessions were revoked for a reason other than their holder's (HOLDER_REVOCATION_REASONS):
 * a password change, a deactivation, a leaked refresh token, a staff member's revoke. A revocation
 * without a recorded reason counts as one of those. Unknown ids (a session purged long after it ended)
 * are not returned. Read in the caller's transaction, so the answer and what the caller does with it
 * commit together.
 */
export async function securityRevokedSessions(em: Em, sessionIds: Iterable<string>): Promise<Set<string>> {
  const ids = [...new Set(sessionIds)];
  const revoked = new Set<string>();
  for (let start = 0; start < ids.length; start += IDS_PER_QUERY) {
    const rows = await em
      .createQueryBuilder(Session)
      .select(['id'])
      .where({
        id: { $in: ids.slice(start, start + IDS_PER_QUERY) },
        revokedAt: { $ne: null },
        $or: [{ revokedReason: null }, { revokedReason: { $nin: [...HOLDER_REVOCATION_REASONS] } }],
      })
      .execute('all');
    for (const row of rows) revoked.add(row.id);
  }
  return revoked;
}
