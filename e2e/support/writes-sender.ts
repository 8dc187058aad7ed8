/**
 * Sends orders to the fast service the way the failure tests need: many at once, each remembered with
 * the write id its 202 named, and (when asked) with an Idempotency-Key and retried like a careful client
 * after an error or a dropped connection, so a failure in the middle can be checked write by write.
 */
import { randomBytes } from 'node:crypto';
import type { AcceptedWrite } from './writes-ledger.js';
import { inParallel, orderBody, postOrder, type Writer } from './writes-stack.js';

export interface SendPlan {
  readonly count: number;
  readonly concurrency: number;
  /** The fast service to send to, read per attempt (a test may restart it on another port). */
  readonly fastUrl: () => string;
  readonly writer: (i: number) => Writer;
  readonly lines: (i: number) => readonly (readonly [number, number])[];
  /**
   * Each order gets its own Idempotency-Key and is sent again (same key, same body) after a dropped
   * connection or a 5xx, every 200 ms for up to `retryForMs`: how a client makes sure of a write.
   */
  readonly retryForMs?: number;
  /** Called after each 202 with the number of 202s so far. */
  readonly onAccepted?: (accepted: number) => void;
}

export interface SendResult {
  /** Orders a 202 was received for (the last answer, for a retried order). */
  readonly accepted: AcceptedWrite[];
  /** Answers other than 202, by status (after retries, for a retried order). */
  readonly refused: Map<number, number>;
  /** Requests that got no answer at all (and were not retried, or ran out of retries). */
  readonly unanswered: number;
}

export async function sendOrders(plan: SendPlan): Promise<SendResult> {
  const run = randomBytes(4).toString('hex');
  const accepted: AcceptedWrite[] = [];
  const refused = new Map<number, number>();
  let unanswered = 0;
  await inParallel(plan.count, plan.concurrency, async (i) => {
    const writer = plan.writer(i);
    const lines = plan.lines(i);
    const body = orderBody(lines);
    const headers: Record<string, string> = plan.retryForMs ? { 'idempotency-key': `e2e-${run}-${i}` } : {};
    const deadline = Date.now() + (plan.retryForMs ?? 0);
    for (;;) {
      let status: number | undefined;
      let writeId: number | undefined;
      try {
        ({ status, writeId } = await postOrder(plan.fastUrl(), writer.token, body, headers));
      } catch {
        status = undefined; // connection refused or dropped: the write may or may not be queued
      }
      const retry = plan.retryForMs !== undefined && (status === undefined || status >= 500);
      if (retry && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 200));
        continue;
      }
      if (status === 202 && writeId !== undefined) {
        accepted.push({ writeId, subject: writer.subject, lines });
        plan.onAccepted?.(accepted.length);
      } else if (status === undefined) unanswered += 1;
      else refused.set(status, (refused.get(status) ?? 0) + 1);
      return;
    }
  });
  return { accepted, refused, unanswered };
}

/** "3 × 503, 1 × 429" for an assertion message. */
export function describeRefused(result: SendResult): string {
  const parts = [...result.refused].map(([status, n]) => `${n} × ${status}`);
  if (result.unanswered > 0) parts.push(`${result.unanswered} unanswered`);
  return parts.join(', ') || 'none';
}
