import { NotFoundError, type Action, type ActionResponse } from 'adminjs';
import type { Dictionary } from '@mikro-orm/core';
import { OrmResource } from '../orm/resource.js';
import type { ResourceDeps } from '../resources/common.js';

/**
 * A bulk action that sets the same fields on the selected records (publish / unpublish). GET shows
 * the confirmation drawer; only POST changes anything, in one transaction with one audit entry per
 * changed record (action = the bulk action's name).
 */
export function bulkSetAction(
  deps: ResourceDeps,
  changes: Dictionary,
  display: { label: string; icon: string },
): Partial<Action<ActionResponse>> {
  return {
    actionType: 'bulk',
    icon: display.icon,
    showInDrawer: true,
    component: deps.components.BulkConfirm,
    handler: async (request, _response, context) => {
      const { records, resource, h, currentAdmin, action } = context;
      if (!records || records.length === 0)
        throw new NotFoundError('No records were selected.', 'bulkSetAction');
      if (request.method !== 'post') return { records: records.map((record) => record.toJSON(currentAdmin)) };
      if (!(resource instanceof OrmResource)) throw new Error('bulk actions need an OrmResource');
      const changed = await resource.bulkUpdate(
        records.map((record) => record.id()),
        changes,
        action.name,
        context,
      );
      return {
        records: records.map((record) => record.toJSON(currentAdmin)),
        notice: {
          message: `${display.label}: ${changed} of ${records.length} record(s) changed.`,
          type: 'success',
        },
        redirectUrl: h.resourceUrl({ resourceId: resource.id() }),
      };
    },
  };
}
