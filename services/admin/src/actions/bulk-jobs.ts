import { randomUUID } from 'node:crypto';

/** What the progress drawer shows of a bulk job on "all matching" rows. */
export interface BulkJobView {
  readonly id: string;
  readonly resourceId: string;
  readonly action: string;
  /** Rows matching when the job started (rows added meanwhile may make `done` pass it). */
  readonly total: number;
  readonly done: number;
  readonly state: 'running' | 'done' | 'failed';
  /** Why it stopped, when it failed. */
  readonly message?: string;
}

interface BulkJob extends BulkJobView {
  readonly owner: string;
  readonly finishedAt?: number;
}

/** Finished jobs stay readable this long (the drawer polls; a reload may ask again). */
const KEEP_FINISHED_MS = 60 * 60 * 1000;

/**
 * Bulk jobs running in this admin process, one at a time per staff member and resource. A job's
 * progress is visible only to the staff member who started it (job ids are random, and checked
 * against the owner anyway). Held in memory: a restart forgets finished jobs, and a job cut short
 * by one leaves the batches already committed (each batch is its own transaction).
 */
export class BulkJobs {
  private readonly jobs = new Map<string, BulkJob>();

  /**
   * Starts `run` unless the owner already runs a job on this resource (undefined then). The check
   * and the registration happen in the same tick, so parallel requests cannot both start one.
   */
  start(
    owner: string,
    resourceId: string,
    action: string,
    total: number,
    run: (progress: (done: number) => void) => Promise<void>,
  ): BulkJobView | undefined {
    this.forgetOld();
    for (const job of this.jobs.values())
      if (job.owner === owner && job.resourceId === resourceId && job.state === 'running') return undefined;
    const id = randomUUID();
    const job: BulkJob = { id, owner, resourceId, action, total, done: 0, state: 'running' };
    this.jobs.set(id, job);
    const update = (change: Partial<BulkJob>) => this.jobs.set(id, { ...this.jobs.get(id)!, ...change });
    run((done) => update({ done }))
      .then(() => update({ state: 'done', finishedAt: Date.now() }))
      .catch((error: unknown) =>
        update({
          state: 'failed',
          finishedAt: Date.now(),
          message: error instanceof Error ? error.message : String(error),
        }),
      );
    return this.view(job);
  }

  /** The job if this owner started it. */
  get(id: string, owner: string): BulkJobView | undefined {
    const job = this.jobs.get(id);
    return job && job.owner === owner ? this.view(this.jobs.get(id)!) : undefined;
  }

  private view(job: BulkJob): BulkJobView {
    const { id, resourceId, action, total, done, state, message } = job;
    return { id, resourceId, action, total, done, state, ...(message === undefined ? {} : { message }) };
  }

  private forgetOld() {
    const now = Date.now();
    for (const [id, job] of this.jobs)
      if (job.finishedAt !== undefined && now - job.finishedAt > KEEP_FINISHED_MS) this.jobs.delete(id);
  }
}
