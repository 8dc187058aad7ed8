import {
  ACTIONS,
  NotFoundError,
  type Action,
  type ActionContext,
  type ActionHandler,
  type ActionRequest,
  type ActionResponse,
} from 'adminjs';
import type { Orm } from '@tandem/models';
import type { Components } from '../components.js';
import type { OrmResource } from '../orm/resource.js';
import { blockedRecords, withLinks, type BlockedRecord } from './blocked-records.js';
import { blockingFields, blockingReferences, type BlockingReference } from './references.js';

type Actions = Record<string, Partial<Action<ActionResponse>>>;

/** "2 products use this category." (each blocking field's sentence). */
const uses = (references: readonly BlockingReference[]) =>
  references.map((reference) => reference.message).join(' ');

const refusal = (references: readonly BlockingReference[]) => `${uses(references)} Nothing was deleted.`;

/** A refused bulk delete's notice: every selected record still in use, with what uses it. */
const bulkRefusal = (blocked: readonly BlockedRecord[]) =>
  `${blocked.map((record) => `"${record.title}": ${uses(record.references)}`).join(' ')} Nothing was deleted.`;

/**
 * Delete and bulk delete for a model that other rows may still refer to (a category its products):
 * the delete drawer (components/DeleteWithReferences.jsx) first asks the GET what refers to the record
 * and says so ("12 products use this category") instead of asking "remove?" and failing after. A POST
 * on a referenced record is refused the same way, with the reason as the notice, and deletes nothing.
 * The bulk delete's drawer (components/BulkDeleteWithReferences.jsx) likewise lists, before anything is
 * confirmed, the selected records other rows use (how many, the first few by name, a link), and
 * offers to delete the others; a bulk POST that includes one is refused whole, naming each.
 * Models nothing can block keep AdminJS's confirmation dialogs.
 */
export function deleteWithReferences(
  deps: { readonly orm: Orm; readonly components: Components },
  resource: OrmResource,
  actions: Actions,
): Actions {
  if (blockingFields(deps.orm, resource.id()).length === 0) return {};
  const references = (id: string) =>
    blockingReferences(deps.orm, resource.id(), resource.spec.label, resource.parseId(id) ?? id);
  const deleteOne: Partial<Action<ActionResponse>> = {
    ...actions.delete,
    component: deps.components.DeleteWithReferences,
    showInDrawer: true,
    guard: undefined,
    handler: async (request: ActionRequest, response: unknown, context: ActionContext) => {
      const { record, currentAdmin } = context;
      if (!record) throw new NotFoundError('You have to pass "recordId" to Delete Action', 'Action#handler');
      const found = await references(String(record.id()));
      // Only a POST deletes (AdminJS's own action deleted on anything but GET, a HEAD included).
      const reading = request.method !== 'post';
      if (reading || found.length > 0) {
        return {
          record: record.toJSON(currentAdmin),
          references: withLinks(found, String(record.id()), context),
          ...(reading ? {} : { notice: { message: refusal(found), type: 'error' } }),
        };
      }
      return ACTIONS.delete.handler(request, response, context);
    },
  };
  const bulkHandler = actions.bulkDelete?.handler as ActionHandler<ActionResponse>;
  const bulkDelete: Partial<Action<ActionResponse>> = {
    ...actions.bulkDelete,
    component: deps.components.BulkDeleteWithReferences,
    showInDrawer: true,
    handler: async (request: ActionRequest, response: unknown, context: ActionContext) => {
      const records = context.records ?? [];
      // No selection: the stock handler's "no records were selected" error.
      if (records.length === 0) return bulkHandler(request, response, context);
      const blocked = await blockedRecords(resource, records, context);
      if (request.method !== 'post') return { ...(await bulkHandler(request, response, context)), blocked };
      if (blocked.length > 0)
        return {
          records: records.map((each) => each.toJSON(context.currentAdmin)),
          blocked,
          notice: { message: bulkRefusal(blocked), type: 'error' },
        };
      return bulkHandler(request, response, context);
    },
  };
  return { delete: deleteOne, bulkDelete };
}
