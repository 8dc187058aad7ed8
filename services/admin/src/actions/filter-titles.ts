import type { Action, ActionResponse } from 'adminjs';
import { recordNames } from '../history/record-names.js';

/** The answer: per filtered reference field, the title of the record the filter names. */
export interface FilterTitles {
  readonly titles: Record<string, string>;
}

const FILTER_PREFIX = 'filters.';

/**
 * The names behind the list's reference filters, for its chips (components/FilterChips.jsx): "Category:
 * Garden tools", not "Category: 3". GET with the list's query string; one lookup per filtered reference
 * field (a chip), never per row. Needs `view` on the listed model, like the list; a name is given only
 * when the staff member may also search the referenced model (view it, or pick its records in a form
 * they may fill: the reference pickers' rule, resources/picker-search.ts), so a chip tells no one a name
 * the picker would not. Otherwise, and for a record that does not exist, the chip keeps the id.
 */
export function filterTitlesAction(): Partial<Action<ActionResponse>> {
  return {
    actionType: 'resource',
    isVisible: false,
    handler: async (request, _response, context): Promise<ActionResponse & FilterTitles> => {
      const { resource, currentAdmin, _admin } = context;
      const titles: Record<string, string> = {};
      for (const [key, value] of Object.entries(request.query ?? {})) {
        if (!key.startsWith(FILTER_PREFIX) || typeof value !== 'string' || value === '') continue;
        const field = key.slice(FILTER_PREFIX.length);
        const target = resource.property(field)?.reference();
        if (!target) continue;
        // recordNames answers nothing unless the staff member may search the referenced model.
        const name = (await recordNames(_admin, target, [value], currentAdmin))[value];
        if (name !== undefined) titles[field] = name;
      }
      return { titles };
    },
  };
}
