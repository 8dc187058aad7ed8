/** Reading a bulk job's progress the way the drawer does (polling), for the all-matching tests. */
import { setTimeout as sleep } from 'node:timers/promises';
import type { Client } from './support.js';

export interface JobView {
  id: string;
  total: number;
  done: number;
  state: 'running' | 'done' | 'failed';
  message?: string;
}

/** Polls until the job is no longer running (or 60 s pass: a hung job fails the test). */
export async function waitForJob(client: Client, resource: string, id: string): Promise<JobView> {
  for (let attempt = 0; attempt < 600; attempt += 1) {
    const { status, body } = await client.api<{ job: JobView }>(
      `/resources/${resource}/actions/allMatching?job=${id}`,
    );
    if (status !== 200) throw new Error(`job ${id}: ${status} ${JSON.stringify(body)}`);
    if (body.job.state !== 'running') return body.job;
    await sleep(100);
  }
  throw new Error(`job ${id} still running after 60 s`);
}
