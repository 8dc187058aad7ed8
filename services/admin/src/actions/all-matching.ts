import { setImmediate as nextTurn } from 'node:timers/promises';
import {
  type Action,
  type ActionContext,
  type ActionRequest,
  type ActionResponse,
  type CurrentAdmin,
} from 'adminjs';
import { ownEntry } from '@tandem/models';
import { OrmResource } from '../orm/resource.js';
import { scanInBatches } from '../orm/scan.js';
import { RequestRefused } from '../request-refused.js';
import type { Components } from '../components.js';
import { BulkJobs } from './bulk-jobs.js';
import { jobOwner } from './job-owner.js';
import { listQuery } from './list-query.js';

/** Records per batch: one transaction (and one audit entry per record) each. */
export const ALL_MATCHING_BATCH_SIZE = 200;

/** A bulk action offered on all matching rows. */
export interface BulkOperation {
  readonly name: string;
  readonly label: string;
  readonly variant?: string;
}

const capitalised = (text: string) => text.charAt(0).toUpperCase() + text.slice(1);

/** The resource's bulk actions (bulk delete, publish, …) this staff member may run. */
function operationsFor(resource: OrmResource, currentAdmin: CurrentAdmin | undefined): BulkOperation[] {
  return Object.values(resource.decorate().actions)
    .filter((action) => action.isBulkType() && action.isAccessible(currentAdmin))
    .map((action) => ({
      name: action.name,
      label: action.name === 'bulkDelete' ? 'Delete' : capitalised(action.toJSON(currentAdmin).label),
      ...(action.name === 'bulkDelete' ? { variant: 'danger' } : {}),
    }));
}

/**
 * Runs the resource's own bulk action (its before hooks, guards and after hooks included: an account
 * that outranks the staff member is refused here as in a hand-made selection) on every row the list
 * matches, a batch at a time in primary-key order (so rows the action changes never come round again).
 * The job outlives the request that started it, so its owner is reloaded before each batch (jobOwner):
 * logged out, deactivated, a password changed or the permission gone, the job stops there, and the
 * batch runs with the permissions they hold now, not those they held when it started.
 */
async function runOnAllMatching(
  resource: OrmResource,
  operation: string,
  request: ActionRequest,
  context: ActionContext,
  progress: (done: number) => void,
): Promise<void> {
  const bulk = resource.decorate().actions[operation]!;
  const owner = jobOwner(
    request,
    String(context.currentAdmin?.id ?? ''),
    () => resource.em(),
    (admin) => bulk.isAccessible(admin),
  );
  const { filter } = await listQuery(resource, request, context);
  const pk = resource.meta.primaryKeys[0]!;
  let done = 0;
  for await (const batch of scanInBatches(
    resource,
    filter,
    { sortBy: pk, direction: 'asc' },
    ALL_MATCHING_BATCH_SIZE,
  )) {
    const currentAdmin = await owner();
    const ids = batch.map((entity) => String((entity as Record<string, unknown>)[pk]));
    const records = await resource.findMany(ids);
    if (records.length === 0) continue;
    const recordIds = records.map((record) => String(record.id())).join(',');
    const answer = (await bulk.handler(
      {
        method: 'post',
        params: { resourceId: resource.id(), action: operation, recordIds },
        query: { recordIds },
      },
      {},
      { ...context, currentAdmin, action: bulk, records },
    )) as ActionResponse | undefined;
    if (answer?.notice?.type === 'error') throw new Error(answer.notice.message);
    done += records.length;
    progress(done);
    // On SQLite every query runs synchronously (better-sqlite3), so without a turn of the event loop
    // between batches the admin would answer no request, the drawer's progress poll included, until
    // the whole job had ended.
    await nextTurn();
  }
}

/**
 * "All N matching": a resource action (a drawer over the list, keeping its query string) that counts
 * the rows the list matches on every page and runs one of the resource's bulk actions on all of them
 * server-side, in batches, reporting progress. GET counts (or, with `job`, reports a job's progress);
 * POST with `operation` starts the job.
 */
export function allMatchingAction(components: Components, jobs: BulkJobs): Partial<Action<ActionResponse>> {
  return {
    actionType: 'resource',
    icon: 'Layers',
    showInDrawer: true,
    component: components.AllMatchingDrawer,
    // Shown only where this staff member may run some bulk action.
    isVisible: ({ resource, currentAdmin }) =>
      resource instanceof OrmResource && operationsFor(resource, currentAdmin).length > 0,
    handler: async (request, _response, context) => {
      const { resource, currentAdmin } = context;
      if (!(resource instanceof OrmResource)) throw new Error('allMatching needs an OrmResource');
      const owner = String(currentAdmin?.id ?? '');
      const jobId = request.query?.job;
      if (request.method === 'get' && typeof jobId === 'string') {
        const job = jobs.get(jobId, owner);
        if (!job) throw new RequestRefused(404, 'not_found', 'No such bulk job of yours.');
        return { job };
      }
      const operations = operationsFor(resource, currentAdmin);
      const { filter } = await listQuery(resource, request, context);
      const total = await resource.count(filter);
      if (request.method !== 'post') return { total, operations };
      const operation = request.payload?.operation;
      const { actions } = resource.decorate();
      // Own keys only: "constructor" or "toString" would find Object.prototype's, not an action.
      const bulk = typeof operation === 'string' ? ownEntry(actions, operation) : undefined;
      if (bulk?.isBulkType() && !bulk.isAccessible(currentAdmin))
        throw new RequestRefused(403, 'forbidden', `You do not have permission to run ${operation}.`);
      if (!operations.some((candidate) => candidate.name === operation))
        throw new RequestRefused(
          400,
          'unknown_operation',
          `operation must be one of: ${operations.map((candidate) => candidate.name).join(', ') || '(none you may run)'}.`,
        );
      const job = jobs.start(owner, resource.id(), String(operation), total, (progress) =>
        runOnAllMatching(resource, String(operation), request, context, progress),
      );
      if (!job)
        throw new RequestRefused(
          409,
          'job_running',
          'A bulk job of yours is still running on this list; wait for it to finish.',
        );
      return { job, total };
    },
  };
}
