import { once } from 'node:events';
import AdminJS, { ViewHelpers, type ActionContext, type ActionRequest } from 'adminjs';
import type { Request, Response, Router } from 'express';
import type { Logger } from '@tandem/log';
import { OrmResource } from '../orm/resource.js';
import { scanInBatches } from '../orm/scan.js';
import { EXPORT_FORMATS, exportColumns, isExportFormat, rowWriter } from './export-format.js';
import { listQuery } from './list-query.js';

/** The export's URL under the admin's root: `/admin/export/Product?format=csv&filters.q=…`. */
export const EXPORT_PATH = '/export';

function refuse(res: Response, status: number, error: string, message: string) {
  res.status(status).json({ error, message });
}

/**
 * Writes a chunk, waiting while the client is slower than the database (constant memory). The wait's
 * listeners are removed whichever event ends it: a million-row export to a slow client waits on
 * 'drain' thousands of times, and each wait used to leave a 'close' and an 'error' listener behind
 * (test/export-million.test.ts saw MaxListenersExceededWarning).
 */
async function write(res: Response, chunk: string): Promise<boolean> {
  if (chunk === '' || res.writableEnded || res.destroyed) return !res.destroyed;
  if (!res.write(chunk)) {
    const waiting = new AbortController();
    const { signal } = waiting;
    // The wait that loses is aborted below: its AbortError is expected, anything else is not.
    const until = (event: string) =>
      once(res, event, { signal }).then(
        () => undefined,
        (error: unknown) => {
          if (!signal.aborted) throw error;
        },
      );
    try {
      await Promise.race([until('drain'), until('close')]);
    } finally {
      waiting.abort();
    }
  }
  return !res.destroyed;
}

/**
 * GET {root}/export/:resourceId?format=csv|jsonl plus the list page's own query string: a download
 * of exactly the rows that list shows (every page), streamed a batch at a time. AdminJS actions
 * answer JSON through its API, which would hold the whole export in memory; this route streams
 * instead. It answers to the resource's `export` action: the same permission guard (view), refused
 * with 403 when the action is not accessible to the staff member.
 */
export function exportRoutes(router: Router, admin: AdminJS, logger: Logger): void {
  const h = new ViewHelpers({ options: admin.options });
  router.get(`${EXPORT_PATH}/:resourceId`, async (req: Request, res: Response) => {
    const resource = admin.resources.find((candidate) => candidate.id() === req.params.resourceId);
    const action = resource?.decorate().actions.export;
    if (!(resource instanceof OrmResource) || !action)
      return refuse(res, 404, 'not_found', 'No such resource, or it cannot be exported.');
    // A link on another site cannot start a download into a staff member's browser.
    const site = req.get('sec-fetch-site');
    if (site !== undefined && site !== 'same-origin' && site !== 'none')
      return refuse(res, 403, 'csrf_failed', `Refused a cross-site export: Sec-Fetch-Site is "${site}".`);
    const currentAdmin = req.session.adminUser;
    if (!action.isAccessible(currentAdmin))
      return refuse(res, 403, 'forbidden', 'You do not have permission to export these records.');
    const format = req.query.format ?? 'csv';
    if (!isExportFormat(format))
      return refuse(res, 400, 'invalid_format', 'format must be "csv" or "jsonl".');

    const request: ActionRequest = {
      method: 'get',
      params: { resourceId: resource.id(), action: 'list' },
      query: req.query as Record<string, unknown>,
    };
    const context: ActionContext = { _admin: admin, resource, h, action, currentAdmin };
    const { filter, sort } = await listQuery(resource, request, context);
    const writer = rowWriter(format, exportColumns(admin, resource));
    // The first batch is read before the headers are sent, so a query the database refuses is
    // answered as JSON by the error handler (Express passes on this handler's rejection), not as a
    // download cut after its headers.
    const batches = scanInBatches(resource, filter, sort);
    const first = await batches.next();
    const day = new Date().toISOString().slice(0, 10);
    res.status(200);
    res.set({
      'Content-Type': EXPORT_FORMATS[format].contentType,
      'Content-Disposition': `attachment; filename="${resource.id().toLowerCase()}-${day}.${EXPORT_FORMATS[format].extension}"`,
      'Cache-Control': 'no-store',
    });
    try {
      if (!(await write(res, writer.header()))) return;
      if (!first.done && !(await write(res, writer.rows(first.value)))) return;
      for await (const batch of batches) if (!(await write(res, writer.rows(batch)))) return;
      res.end();
    } catch (error) {
      // Headers are gone: cut the download so a partial file cannot pass for a complete one.
      logger.error({ err: error, resource: resource.id() }, 'export failed part-way');
      res.destroy(error as Error);
    }
  });
}
