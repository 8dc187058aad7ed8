import type { Action, ActionResponse } from 'adminjs';
import type { Dictionary } from '@mikro-orm/core';
import { OrmResource } from '../orm/resource.js';
import type { ResourceDeps } from '../resources/common.js';
import { confirmedBulkAction } from './confirmed-bulk.js';

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
  return confirmedBulkAction(deps, {
    icon: display.icon,
    noun: 'records',
    source: 'bulkSetAction',
    async apply(records, context) {
      const { resource, action } = context;
      if (!(resource instanceof OrmResource)) throw new Error('bulk actions need an OrmResource');
      const changed = await resource.bulkUpdate(
        records.map((record) => record.id()),
        changes,
        action.name,
        context,
      );
      return `${display.label}: ${changed} of ${records.length} record(s) changed.`;
    },
  });
}
