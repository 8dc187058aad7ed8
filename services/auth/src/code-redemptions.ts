import type { CodeAttempt, CodeRead } from './store.js';
import { TurnBatch, aloneWhenRefused } from './turn-batch.js';

/** Reads and claims the codes of these attempts in one statement: one answer per attempt, in order. */
export type ReadAndRedeem = (attempts: readonly CodeAttempt[]) => Promise<readonly (CodeRead | undefined)[]>;

/**
 * The code exchanges of one event-loop turn, read and claimed by one statement (PostgreSQL,
 * AuthQueries.readAndRedeemMany): one round trip and one commit for all of them. Each commit waits
 * for its WAL flush, and a statement per exchange bounded the exchanges near what those flushes
 * allowed. Each attempt is judged on its own read and claims only its own code, so an attempt gets
 * what a statement of its own would have given it, with one difference that loses nothing: when two
 * attempts of one turn present the same code, one of them wins it and the other is told it lost
 * (what two concurrent statements would do).
 *
 * A statement the database refused rolled the whole batch back; the attempts are then tried one by
 * one, so a statement that fails for one attempt's sake (or a deadlock between two batches replaying
 * the same codes in different orders) fails that attempt only. Any other failure (the connection lost:
 * the commit may have happened) fails the batch: trying again would find its own claims and take them
 * for replays.
 */
export class CodeRedemptions {
  private readonly batch: TurnBatch<CodeAttempt, CodeRead | undefined>;

  constructor(readAndRedeem: ReadAndRedeem) {
    this.batch = new TurnBatch(aloneWhenRefused(readAndRedeem));
  }

  /** The code's read as of the claim, and whether this attempt claimed it; undefined for an unknown code. */
  redeem(attempt: CodeAttempt): Promise<CodeRead | undefined> {
    return this.batch.add(attempt);
  }
}
