import { ViewHelpers, type BaseResource, type CurrentAdmin, type PageHandler } from 'adminjs';
import { AuditEntry, type Orm } from '@tandem/models';
import { holds } from '../permissions.js';
import { ESTIMATE_ABOVE, recordCount } from './record-counts.js';

interface RecentAction {
  readonly id: number;
  readonly action: string;
  readonly model: string;
  readonly modelLabel: string;
  readonly recordId: string;
  readonly createdAt: Date;
  /** The record's show page, when it still exists and this staff member may view it. */
  readonly href: string | null;
  /** The record's title (its name, email…), when it still exists and may be viewed. */
  readonly title: string | null;
}

/** Titles of the records of one resource that still exist, by id (at most ten: one query). */
async function existingTitles(resource: BaseResource, ids: readonly string[]): Promise<Map<string, string>> {
  const records = ids.length > 0 ? await resource.findMany([...new Set(ids)]) : [];
  return new Map(records.map((record) => [String(record.id()), record.title()]));
}

/** The staff member's last ten audit entries, each linked to its record when it may be opened. */
async function recentActions(
  orm: Orm,
  resources: readonly BaseResource[],
  labels: Readonly<Record<string, string>>,
  currentAdmin: CurrentAdmin | undefined,
  h: ViewHelpers,
): Promise<RecentAction[]> {
  const id = Number(currentAdmin?.id);
  if (!Number.isSafeInteger(id)) return [];
  const entries = await orm.em
    .fork()
    .find(AuditEntry, { actor: id }, { orderBy: { createdAt: 'desc', id: 'desc' }, limit: 10 });
  const titles = new Map<string, Map<string, string>>();
  for (const model of new Set(entries.map((entry) => entry.model))) {
    const resource = resources.find((candidate) => candidate.id() === model);
    const show = resource?.decorate().actions.show;
    if (!resource || !show?.isAccessible(currentAdmin)) continue;
    const ids = entries.filter((entry) => entry.model === model).map((entry) => entry.recordId);
    titles.set(model, await existingTitles(resource, ids));
  }
  return entries.map((entry) => {
    const title = titles.get(entry.model)?.get(entry.recordId) ?? null;
    return {
      id: entry.id,
      action: entry.action,
      model: entry.model,
      modelLabel: labels[entry.model] ?? entry.model,
      recordId: entry.recordId,
      createdAt: entry.createdAt,
      title,
      href:
        title === null
          ? null
          : h.recordActionUrl({ resourceId: entry.model, recordId: entry.recordId, actionName: 'show' }),
    };
  });
}

/**
 * The dashboard's data (Django's admin index): every resource this user may list, with its record
 * count (an estimate above `estimateAbove` rows on PostgreSQL), the user's own last ten actions linked
 * to their records, and whether the live metrics may be shown. Derived from the registered resources
 * and their permission guards, so a model added to the admin appears here without further code.
 */
export function dashboardHandler(orm: Orm, estimateAbove: number = ESTIMATE_ABOVE): PageHandler {
  return async (_request, _response, context) => {
    const { currentAdmin, _admin: admin } = context;
    const locale = admin.options.locale as
      { translations?: { en?: { labels?: Record<string, string> } } } | undefined;
    const labels = locale?.translations?.en?.labels ?? {};
    const h = new ViewHelpers({ options: admin.options });
    const models = await Promise.all(
      admin.resources.flatMap((resource) => {
        const href = resource.decorate().getHref(currentAdmin);
        if (!href) return [];
        return [
          (async () => ({
            id: resource.id(),
            label: labels[resource.id()] ?? resource.id(),
            href,
            ...(await recordCount(orm, resource, estimateAbove)),
          }))(),
        ];
      }),
    );
    return {
      models,
      recent: await recentActions(orm, admin.resources, labels, currentAdmin, h),
      liveMetrics: holds(currentAdmin, 'view_metrics'),
    };
  };
}
