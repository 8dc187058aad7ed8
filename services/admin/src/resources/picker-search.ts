import type {
  Action,
  ActionContext,
  ActionHandler,
  ActionRequest,
  ActionResponse,
  RecordJSON,
  ResourceWithOptions,
} from 'adminjs';
import type { ModelDeclaration } from '@tandem/models';
import { OrmResource } from '../orm/resource.js';
import { can } from '../permissions.js';

type Actions = Record<string, Partial<Action<ActionResponse>>>;

/**
 * For each resource, the permission models of the forms that pick its records: Category ← product
 * (a product's category), Role ← user (a user's roles). Only fields the form shows count.
 */
function pickedBy(resources: readonly ResourceWithOptions[], models: readonly ModelDeclaration[]) {
  const sources = new Map<string, Set<string>>();
  for (const { resource, options } of resources) {
    if (!(resource instanceof OrmResource)) continue;
    const permissionModel = models.find((model) => model.name === resource.id())?.permissionModel;
    if (!permissionModel) continue;
    for (const field of options.editProperties ?? []) {
      const target = resource.property(field)?.reference();
      if (!target || target === resource.id()) continue;
      sources.set(target, (sources.get(target) ?? new Set()).add(permissionModel));
    }
  }
  return sources;
}

/** A search answer reduced to what a picker shows: each record's id and title, nothing else. */
function namesOnly(records: readonly RecordJSON[]): RecordJSON[] {
  return records.map((record) => ({
    id: record.id,
    title: record.title,
    params: { id: record.id },
    populated: {},
    errors: {},
    baseError: null,
    recordActions: [],
    bulkActions: [],
  }));
}

/**
 * The reference pickers of a form search the referenced model with its `search` action, which needs
 * `view` on that model: a staff member who may change products but not view categories saw "No
 * options" in the product's category picker. This lets anyone who may add or change a model whose
 * form picks records of another search that other model, read-only and reduced: the search term only
 * (the list's filters are dropped, so no other field can be probed) and each record's id and title
 * only. Every other action (list, show, edit, export...) still needs `view`.
 */
export function withPickerSearch(
  resources: readonly ResourceWithOptions[],
  models: readonly ModelDeclaration[],
): ResourceWithOptions[] {
  const sources = pickedBy(resources, models);
  return resources.map((entry) => {
    const pickers = [...(sources.get(entry.resource.id()) ?? [])];
    const actions = (entry.options.actions ?? {}) as Actions;
    const search = actions.search;
    if (pickers.length === 0 || !search?.handler || typeof search.isAccessible !== 'function') return entry;
    const mayView = search.isAccessible as (context: ActionContext) => boolean;
    const handler = search.handler as ActionHandler<ActionResponse>;
    const mayPick = (context: ActionContext) =>
      pickers.some(
        (model) => can(context.currentAdmin, 'add', model) || can(context.currentAdmin, 'change', model),
      );
    const pickerSearch: Partial<Action<ActionResponse>> = {
      ...search,
      isAccessible: (context) => mayView(context) || mayPick(context),
      handler: async (request: ActionRequest, response: unknown, context: ActionContext) => {
        if (mayView(context)) return handler(request, response, context);
        const answer = (await handler({ ...request, query: {} }, response, context)) as {
          records?: RecordJSON[];
        };
        return { records: namesOnly(answer.records ?? []) };
      },
    };
    return { ...entry, options: { ...entry.options, actions: { ...actions, search: pickerSearch } } };
  });
}
