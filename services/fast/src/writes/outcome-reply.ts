import { AccessTokenVerifier, type VerifiedAccessToken } from '@tandem/tokens';
import type { HotStore } from '../data/store.js';
import { notFound, recordId } from '../http/record.js';
import type { Reply } from '../http/respond.js';
import { WRITES_COLLECTION, type WriteOutcome } from './outcome-waiters.js';
import { withFieldErrors } from './write-replies.js';

/** The machine code of a rejection, by the HTTP status the applier recorded (WRITE_ERROR_CODES). */
const REJECTION_CODES: Readonly<Record<number, string>> = {
  403: 'session_revoked',
  409: 'conflict',
  412: 'precondition_failed',
  422: 'rejected',
};

/**
 * The answer a settled write gets (a `Prefer: wait` request, or its idempotent retry): 201 with the
 * created record's bytes exactly as GET serves them (and its ETag and Location), 200 with the updated
 * record's, 204 after a delete, or the rejection the applier recorded with its field errors. A 404
 * rejection (the record went away, or is another owner's) is GET's 404, byte for byte.
 *
 * A record applied but not served (a `where` filter hides it, e.g. an unpublished product, or it changed
 * again since) is answered with the status and the write's own outcome row instead of the record, and
 * so is a writer whose token may not read the collection (`orders:write` without `orders:read`): a
 * write is no way around the read scope.
 */
export function outcomeReply(
  outcome: WriteOutcome,
  store: HotStore,
  owner: string | null,
  token: VerifiedAccessToken,
): Reply {
  const { collection } = outcome;
  const target = outcome.recordId ?? '';
  if (outcome.status === 'rejected') {
    const status = outcome.httpStatus ?? 422;
    if (status === 404) return notFound(collection, target);
    const errors = outcome.errors ?? {};
    const first = Object.values(errors)[0];
    const message = `The write was rejected${first ? `: ${first}` : '.'}`;
    return withFieldErrors(status, REJECTION_CODES[status] ?? 'rejected', message, errors);
  }
  if (outcome.op === 'delete') return { status: 204, body: '' };
  const status = outcome.op === 'create' ? 201 : 200;
  const location: Reply['headers'] =
    outcome.op === 'create' ? [['Location', `/v1/${collection}/${target}`]] : undefined;
  const id = recordId(target);
  const records = store.get(collection);
  const readable =
    records !== undefined && AccessTokenVerifier.grants(token, records.scope, records.scopeBit);
  const record = id === undefined || !readable ? undefined : records.get(id);
  if (record && (owner === null || record.owner === owner))
    return { status, body: record.bytes, etag: record.etag, headers: location };
  const row = store.get(WRITES_COLLECTION)?.get(outcome.id);
  return { status, body: row ? row.bytes : JSON.stringify(outcome), headers: location };
}
