/**
 * How a write request (POST, PATCH, DELETE of /v1) ended at this node: queued (`accepted`), answered
 * as an earlier write with the same Idempotency-Key (`replayed`), refused before the queue (the machine
 * code of the refusal), or left by its client before an answer (`aborted`: nothing queued). What the
 * applier later makes of an accepted write is its outcome row, not counted here.
 */
export const WRITE_OUTCOMES = [
  'accepted',
  'replayed',
  // Refusals, by the `error` code of the answer (WRITE_ERROR_CODES in @tandem/models/openapi, and the
  // edge's own: token, request size, method).
  'invalid_token',
  'keys_not_loaded',
  'insufficient_scope',
  'rate_limited',
  'unsupported_media_type',
  'body_too_large',
  'invalid_json',
  'duplicate_key',
  'conflicting_content_length',
  'validation_failed',
  'not_ready',
  'not_found',
  'precondition_failed',
  'invalid_idempotency_key',
  'idempotency_key_reused',
  'queue_full',
  'queue_unavailable',
  'method_not_allowed',
  'uri_too_long',
  'headers_too_large',
  'internal_error',
  'aborted',
  // A refusal whose code is not listed above (a test keeps the list complete).
  'other',
] as const;

export type WriteRequestOutcome = (typeof WRITE_OUTCOMES)[number];

/** Always on /metrics (0 until counted): the answers of a working write path. Refusals once seen. */
const ALWAYS_LISTED: ReadonlySet<WriteRequestOutcome> = new Set(['accepted', 'replayed']);

const INDEX = Object.fromEntries(WRITE_OUTCOMES.map((outcome, i) => [outcome, i])) as Readonly<
  Record<WriteRequestOutcome, number>
>;

/** Every error body starts so (respond.ts `errorBody`, write-replies.ts `withFieldErrors`). */
const ERROR_PREFIX = '{"error":"';
const QUOTE = 34;

/** An answer as far as it is classified here (respond.ts's Reply, not imported: it imports metrics). */
interface Answer {
  readonly body: string | Uint8Array;
}

/** The refusal codes, in the order they are tried against an error body. */
const REFUSALS: readonly WriteRequestOutcome[] = WRITE_OUTCOMES.filter(
  (outcome) => !ALWAYS_LISTED.has(outcome) && outcome !== 'aborted' && outcome !== 'other',
);

/**
 * The outcome a refusal stands for: its JSON error code, compared in place against the known codes
 * (no substring, no parse: a refusal costs no allocation beyond its answer). 'other' for an unknown one.
 */
export function refusalOutcome(reply: Answer): WriteRequestOutcome {
  const { body } = reply;
  if (typeof body !== 'string' || !body.startsWith(ERROR_PREFIX)) return 'other';
  for (const code of REFUSALS)
    if (
      body.startsWith(code, ERROR_PREFIX.length) &&
      body.charCodeAt(ERROR_PREFIX.length + code.length) === QUOTE
    )
      return code;
  return 'other';
}

/**
 * One counter per outcome in a fixed array: counting a write is an index lookup and an addition
 * (no label object, no Map entry), done once per write request by the write endpoint.
 */
export class WriteOutcomeCounts {
  private readonly counts = new Float64Array(WRITE_OUTCOMES.length);

  count(outcome: WriteRequestOutcome): void {
    this.counts[INDEX[outcome]]! += 1;
  }

  /** Counts a refusal by its code and hands it back, so a `return` can count what it answers. */
  refusal<R extends Answer>(reply: R): R {
    this.count(refusalOutcome(reply));
    return reply;
  }

  get(outcome: WriteRequestOutcome): number {
    return this.counts[INDEX[outcome]]!;
  }

  /** [outcome, count] for /metrics: accepted and replayed always, the others once they happened. */
  *samples(): Iterable<[WriteRequestOutcome, number]> {
    for (const outcome of WRITE_OUTCOMES) {
      const count = this.get(outcome);
      if (count > 0 || ALWAYS_LISTED.has(outcome)) yield [outcome, count];
    }
  }
}
