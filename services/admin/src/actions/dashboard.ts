import { Filter, type PageHandler } from 'adminjs';
import { AuditEntry, type Orm } from '@tandem/models';

/**
 * The dashboard's data (Django's admin index): every resource this user may list, with its record
 * count, and the user's own last ten actions. Derived from the registered resources and their
 * permission guards, so a model added to the admin appears here without further code.
 */
export function dashboardHandler(orm: Orm): PageHandler {
  return async (_request, _response, context) => {
    const { currentAdmin, _admin: admin } = context;
    const locale = admin.options.locale as
      { translations?: { en?: { labels?: Record<string, string> } } } | undefined;
    const labels = locale?.translations?.en?.labels ?? {};
    const models = await Promise.all(
      admin.resources.flatMap((resource) => {
        const href = resource.decorate().getHref(currentAdmin);
        if (!href) return [];
        return [
          (async () => ({
            id: resource.id(),
            label: labels[resource.id()] ?? resource.id(),
            href,
            count: await resource.count(new Filter({}, resource)),
          }))(),
        ];
      }),
    );
    const id = Number(currentAdmin?.id);
    const recent = Number.isSafeInteger(id)
      ? await orm.em
          .fork()
          .find(AuditEntry, { actor: id }, { orderBy: { createdAt: 'desc', id: 'desc' }, limit: 10 })
      : [];
    return {
      models,
      recent: recent.map((entry) => ({
        id: entry.id,
        action: entry.action,
        model: entry.model,
        recordId: entry.recordId,
        createdAt: entry.createdAt,
      })),
    };
  };
}
