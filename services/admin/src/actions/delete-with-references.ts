import {
  ACTIONS,
  NotFoundError,
  type Action,
  type ActionContext,
  type ActionHandler,
  type ActionRequest,
  type ActionResponse,
} from 'adminjs';
import { registry, type Orm } from '@tandem/models';
import type { Components } from '../components.js';
import type { OrmResource } from '../orm/resource.js';
import { can } from '../permissions.js';
import { blockingFields, blockingReferences, type BlockingReference } from './references.js';

type Actions = Record<string, Partial<Action<ActionResponse>>>;

/** The references, each with a link to the list of the referring rows when the staff member may view it. */
function withLinks(references: readonly BlockingReference[], id: string, context: ActionContext) {
  return references.map((reference) => {
    const model = registry.find((entry) => entry.name === reference.model)?.permissionModel;
    const mayView = model ? can(context.currentAdmin, 'view', model) : false;
    const search = `?${new URLSearchParams({ [`filters.${reference.field}`]: id })}`;
    return {
      ...reference,
      listUrl: mayView ? context.h.resourceUrl({ resourceId: reference.model, search }) : null,
    };
  });
}

const refusal = (references: readonly BlockingReference[], title?: string) =>
  `${title ? `"${title}": ` : ''}${references.map((reference) => reference.message).join(' ')} Nothing was deleted.`;

/**
 * Delete and bulk delete for a model that other rows may still refer to (a category its products):
 * the delete drawer (components/DeleteWithReferences.jsx) first asks the GET what refers to the record
 * and says so ("12 products use this category") instead of asking "remove?" and failing after. A POST
 * on a referenced record is refused the same way, with the reason as the notice, and deletes nothing.
 * Models nothing can block keep AdminJS's confirmation dialog.
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
      if (request.method === 'get' || found.length > 0) {
        return {
          record: record.toJSON(currentAdmin),
          references: withLinks(found, String(record.id()), context),
          ...(request.method === 'get' ? {} : { notice: { message: refusal(found), type: 'error' } }),
        };
      }
      return ACTIONS.delete.handler(request, response, context);
    },
  };
  const bulkHandler = actions.bulkDelete?.handler as ActionHandler<ActionResponse>;
  const bulkDelete: Partial<Action<ActionResponse>> = {
    ...actions.bulkDelete,
    handler: async (request: ActionRequest, response: unknown, context: ActionContext) => {
      const records = context.records ?? [];
      const title = context.resource.decorate().titleProperty().name();
      for (const record of request.method === 'post' ? records : []) {
        const found = await references(String(record.id()));
        if (found.length > 0)
          return {
            records: records.map((each) => each.toJSON(context.currentAdmin)),
            notice: { message: refusal(found, String(record.get(title) ?? record.id())), type: 'error' },
          };
      }
      return bulkHandler(request, response, context);
    },
  };
  return { delete: deleteOne, bulkDelete };
}
