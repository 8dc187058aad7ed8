/**
 * The writer of the live orders bench (orders-live.ts), a process of its own: commits order changes to
 * PostgreSQL at a steady rate, each to an order of a random owner among the subscribed users, the
 * changes due together in one UPDATE (MAX_BATCH says why), and reports when each commit returned. Forked with IPC; receives one WriterPlan, answers WriterReport.
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
 * One autocommit UPDATE per change capped the writer below the 2,000 changes/s the bench must write,
 * whatever the connections: 8 gave ~1,230/s on an idle machine (BENCHMARKS.md, 09:57 UTC), 32 gave
 * ~640/s on a busier one, and 32 connections committing bare UPDATEs of orders reached 731-919
 * commits/s with the change-capture NOTIFY and 1,221-1,439 without it (PostgreSQL serializes the
 * commits of notifying transactions, WAL flush included). So the changes due go in one UPDATE (one
 * transaction, at most MAX_BATCH changes) whenever the previous one has committed: ~10 changes per
 * commit at 2,000/s, as an application committing several orders at once would. One at a time: two
 * concurrent UPDATEs naming the same orders in different orders deadlock.
 */
const MAX_BATCH = 200;
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
  const pool = new pg.Pool({ connectionString: plan.databaseUrl, max: 1 });
  const commits: Commit[] = [];
  const total = Math.round(plan.changesPerSecond * plan.seconds);
  let sent = 0;
  const inFlight = new Set<Promise<void>>();
  // Owners in a random order, each once per cycle: an order changed twice within a few milliseconds
  // may reach its owner as one frame (its latest state), which would be counted as a missing change.
  const cycle = shuffled(plan.targets);
  // Distinct orders in one UPDATE: at most a cycle of them (an order twice would keep one change).
  const batchSize = Math.min(MAX_BATCH, cycle.length);
  const change = async (seqs: readonly number[]) => {
    const targets = seqs.map((seq) => cycle[seq % cycle.length]!);
    await pool.query(
      `update orders o
          set lines = json_build_array(json_build_object('productId', 1, 'quantity', 1, 'unitPriceCents', v.seq)),
              total_cents = v.seq, updated_at = now()
         from unnest($1::bigint[], $2::int[]) as v(id, seq)
        where o.id = v.id`,
      [targets.map(([orderId]) => orderId), seqs],
    );
    const committedAt = nowMs();
    seqs.forEach((seq, i) => commits.push({ seq, owner: targets[i]![1], committedAt }));
  };
  try {
    const started = nowMs();
    while (sent < total) {
      const due = Math.min(total, Math.floor(((nowMs() - started) / 1000) * plan.changesPerSecond));
      if (inFlight.size === 0 && sent < due) {
        const seqs: number[] = [];
        for (; sent < due && seqs.length < batchSize; sent++) seqs.push(plan.firstSeq + sent);
        const pending = change(seqs).finally(() => inFlight.delete(pending));
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
