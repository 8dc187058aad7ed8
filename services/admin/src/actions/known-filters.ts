import { flat, type Before } from 'adminjs';
import type { OrmResource } from '../orm/resource.js';
import { SEARCH_FIELD } from '../orm/where.js';

const FILTER_PREFIX = 'filters.';

/** The field a filter key names: "stock" of "filters.stock~~from", "lines" of "filters.lines.0.x". */
function filteredField(key: string): string {
  return key.slice(FILTER_PREFIX.length).split('.')[0]!.split('~~')[0]!;
}

/**
 * A list before-hook that drops `filters.*` keys naming no field of the resource (nor the Search box),
 * as a filter on an unknown field was already ignored. AdminJS looks filter keys up on plain objects,
 * so "hasOwnProperty" or "toString" found Object.prototype's functions and the list answered 500. The
 * export and the "all matching" bulk actions read the list's query through its before-hooks
 * (list-query.ts), so all three drop the same keys.
 */
export function onlyKnownFilters(resource: OrmResource): Before {
  return async (request) => {
    if (!request.query) return request;
    const query = flat.flatten<Record<string, unknown>, Record<string, unknown>>(request.query);
    const known = Object.entries(query).filter(([key]) => {
      if (!key.startsWith(FILTER_PREFIX)) return true;
      const field = filteredField(key);
      return field === SEARCH_FIELD || resource.property(field) !== null;
    });
    return { ...request, query: Object.fromEntries(known) };
  };
}
