/**
 * The writer of the live orders bench (orders-live.ts), a process of its own: commits order changes to
 * PostgreSQL at a steady rate, each to an order of a random owner among the subscribed users, and
 * reports when each commit returned. Forked with IPC; receives one WriterPlan, answers WriterReport.
 *
 * Each change sets the order's lines to one line whose unit price is the change's sequence number
 * (and the total to match, so the row stays valid): the subscriber recognises the change by its total.
 * Commit times are process.hrtime (CLOCK_MONOTONIC, one clock for every process on the machine).
 */
import pg from 'pg';

export interface WriterPlan {
  readonly databaseUrl: string;
  /** One order of each owner changes may go to: [orderId, ownerId]. */
  readonly targets: readonly (readonly [number, string])[];
  readonly changesPerSecond: number;
  readonly seconds: number;
  /** Sequence numbers start here (distinct per run, so a late frame of an earlier run is not matched). */
  readonly firstSeq: number;
}

export interface Commit {
  readonly seq: number;
  readonly owner: string;
  /** process.hrtime in ms when the autocommit UPDATE returned. */
  readonly committedAt: number;
}

export interface WriterReport {
  readonly commits: readonly Commit[];
  readonly wallSeconds: number;
}

/**
 * Connections sharing the load: each change is one autocommit UPDATE, a round trip and a commit
 * (WAL flush) long, so the rate is at most CONNECTIONS ÷ that time. Eight capped it at ~1,230/s on
 * two shared cores (~6.5 ms per UPDATE), under the 2,000/s the bench must write; 32 leave room for
 * commits four times slower than that before the writer, not the feed, sets the pace.
 */
const CONNECTIONS = 32;
const TICK_MS = 5;
const nowMs = () => Number(process.hrtime.bigint()) / 1e6;

/** Fisher–Yates. */
function shuffled<T>(items: readonly T[]): T[] {
  const copy = [...items];
  for (let i = copy.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [copy[i], copy[j]] = [copy[j]!, copy[i]!];
  }
  return copy;
}

async function write(plan: WriterPlan): Promise<WriterReport> {
  const pool = new pg.Pool({ connectionString: plan.databaseUrl, max: CONNECTIONS });
  const commits: Commit[] = [];
  const total = Math.round(plan.changesPerSecond * plan.seconds);
  let sent = 0;
  const inFlight = new Set<Promise<void>>();
  // Owners in a random order, each once per cycle: an order changed twice within a few milliseconds
  // may reach its owner as one frame (its latest state), which would be counted as a missing change.
  const cycle = shuffled(plan.targets);
  const change = async (seq: number) => {
    const [orderId, owner] = cycle[seq % cycle.length]!;
    await pool.query('update orders set lines = $1, total_cents = $2, updated_at = now() where id = $3', [
      JSON.stringify([{ productId: 1, quantity: 1, unitPriceCents: seq }]),
      seq,
      orderId,
    ]);
    commits.push({ seq, owner, committedAt: nowMs() });
  };
  try {
    const started = nowMs();
    while (sent < total) {
      const due = Math.min(total, Math.floor(((nowMs() - started) / 1000) * plan.changesPerSecond));
      for (; sent < due; sent++) {
        const pending = change(plan.firstSeq + sent).finally(() => inFlight.delete(pending));
        inFlight.add(pending);
      }
      await new Promise((resolve) => setTimeout(resolve, TICK_MS));
    }
    await Promise.all(inFlight);
    return { commits, wallSeconds: (nowMs() - started) / 1000 };
  } finally {
    await pool.end();
  }
}

process.once('message', (plan: WriterPlan) => {
  write(plan).then(
    (report) => process.send!(report, () => process.exit(0)),
    (error: unknown) => {
      process.stderr.write(`orders writer: ${String(error)}\n`);
      process.exit(1);
    },
  );
});
