import type { Action, ActionResponse } from 'adminjs';
import { OrmResource } from '../orm/resource.js';
import type { Components } from '../components.js';
import { listQuery } from './list-query.js';

/**
 * The list's "Export" button: a drawer opened over the list (so it keeps the list's query string)
 * that says how many rows the export will hold and links to the streamed download (export-route.ts)
 * as CSV or JSON Lines. The handler only counts; it never returns the rows.
 */
export function exportAction(components: Components): Partial<Action<ActionResponse>> {
  return {
    actionType: 'resource',
    icon: 'Download',
    showInDrawer: true,
    component: components.ExportDrawer,
    handler: async (request, _response, context) => {
      const { resource } = context;
      if (!(resource instanceof OrmResource)) throw new Error('export needs an OrmResource');
      const { filter } = await listQuery(resource, request, context);
      const total = await resource.count(filter);
      return { total };
    },
  };
}
