import type { WriteErrors } from '@tandem/models';

/** The answers a rejected write maps to (the fast service sends them with `errors` as the body). */
export type RejectionStatus = 403 | 404 | 409 | 412 | 422;

/**
 * A write the source of truth refuses by its business rules (out of stock, not pending any more, not
 * the caller's record). Thrown by a handler inside the write's savepoint: the applier rolls back to
 * the savepoint, so the write leaves no effect, and records only the rejection as its outcome.
 */
export class WriteRejected extends Error {
  override name = 'WriteRejected';

  constructor(
    readonly httpStatus: RejectionStatus,
    /** By body field, or `_` for the write as a whole; shown to the writer as is. */
    readonly errors: WriteErrors,
  ) {
    super(
      Object.entries(errors)
        .map(([field, message]) => `${field}: ${message}`)
        .join('; '),
    );
  }
}

/** The record a write names is absent, or belongs to someone else (the same answer, like a GET's 404). */
export function recordNotFound(collection: string, id: string | null): WriteRejected {
  return new WriteRejected(404, { _: `No ${collection} record with id ${JSON.stringify(id ?? '')}.` });
}

/**
 * The write's session was revoked for someone else's security reason (a password change, a
 * deactivation, a leaked token, a staff member's revoke) before the write was applied: whoever held the
 * token may not have been its owner, so nothing it queued takes effect. Its holder's own logout does
 * not void it.
 */
export const SESSION_REVOKED: { readonly httpStatus: RejectionStatus; readonly errors: WriteErrors } = {
  httpStatus: 403,
  errors: { _: 'The session this write was sent with was revoked before the write was applied.' },
};
