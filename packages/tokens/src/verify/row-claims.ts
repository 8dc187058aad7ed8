import type { RowAccessClaim } from '@tandem/models';
import { parseSubject } from '../claims.js';

/** Each row-access claim a verified token carries, spelled as the fast service spells row owner keys. */
export type RowClaims = Readonly<Partial<Record<RowAccessClaim, string>>>;

/** Row owner columns holding a subject (writes.subject) are 255 characters long. */
const MAX_SUBJECT_LENGTH = 255;

/**
 * How each claim a row-access rule may name (ROW_ACCESS_CLAIMS in @tandem/models) is read from a
 * verified payload: undefined when the token has no such claim or it has another shape, so the token
 * owns no rows. Run once per token (a cache miss), never per request.
 */
const READERS: {
  readonly [claim in RowAccessClaim]: (payload: Readonly<Record<string, unknown>>) => string | undefined;
} = {
  // Only a user's subject names an owner: a machine client's `client:<id>` owns nothing.
  sub: ({ sub }) => {
    const subject = typeof sub === 'string' ? parseSubject(sub) : undefined;
    return subject?.kind === 'user' ? String(subject.userId) : undefined;
  },
  // Whoever holds the token, users and machine clients alike (a write's outcome is its writer's):
  // the subject verbatim, if it is one this issuer writes and fits the column rows keep it in.
  subject: ({ sub }) =>
    typeof sub === 'string' && sub.length <= MAX_SUBJECT_LENGTH && parseSubject(sub) !== undefined
      ? sub
      : undefined,
};

const NONE: RowClaims = Object.freeze({});

export function readRowClaims(payload: Readonly<Record<string, unknown>>): RowClaims {
  let claims: Partial<Record<RowAccessClaim, string>> | undefined;
  for (const claim of Object.keys(READERS) as RowAccessClaim[]) {
    const key = READERS[claim](payload);
    if (key !== undefined) (claims ??= {})[claim] = key;
  }
  return claims ?? NONE;
}
