import { Filter, flat, type ActionContext, type ActionRequest } from 'adminjs';
import type { OrmResource } from '../orm/resource.js';

/** What a list page shows: its rows (filter) and their order, from the list's own query string. */
export interface ListQuery {
  readonly filter: Filter;
  readonly sort: { sortBy?: string; direction?: 'asc' | 'desc' };
}

/**
 * The rows a list page shows, read from the same query string (`filters.*`, `sortBy`, `direction`)
 * the same way AdminJS's list action reads it, after the list action's own `before` hooks (where a
 * resource would narrow what a staff member sees). The export and the "all matching" bulk actions
 * use this, so they act on exactly the rows the list shows, on every page.
 */
export async function listQuery(
  resource: OrmResource,
  request: ActionRequest,
  context: ActionContext,
): Promise<ListQuery> {
  const list = resource.decorate().actions.list;
  const seen = list ? await list.invokeBeforeHook(request, { ...context, action: list }) : request;
  const query = flat.unflatten(seen.query ?? {}) as {
    filters?: Record<string, unknown>;
    sortBy?: unknown;
    direction?: unknown;
  };
  const filters =
    typeof query.filters === 'object' && query.filters !== null && !Array.isArray(query.filters)
      ? query.filters
      : {};
  const { sort } = resource.decorate().options;
  const sortBy = typeof query.sortBy === 'string' ? query.sortBy : sort?.sortBy;
  const direction = (query.direction ?? sort?.direction) === 'desc' ? 'desc' : 'asc';
  return {
    filter: new Filter(filters, resource),
    sort: { ...(sortBy === undefined ? {} : { sortBy }), direction },
  };
}
