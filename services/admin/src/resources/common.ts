import {
  Filter,
  NotFoundError,
  flat,
  type Action,
  type ActionContext,
  type ActionRequest,
  type ActionResponse,
  type After,
  type Before,
  type PropertyOptions,
  type RecordJSON,
  type ResourceOptions,
  type ResourceWithOptions,
} from 'adminjs';
import { AuditEntry, type Orm, type PermissionModel } from '@tandem/models';
import { allMatchingAction } from '../actions/all-matching.js';
import { BulkJobs } from '../actions/bulk-jobs.js';
import { deleteWithReferences } from '../actions/delete-with-references.js';
import { exportAction } from '../actions/export-action.js';
import { filterTitlesAction } from '../actions/filter-titles.js';
import { onlyKnownFilters } from '../actions/known-filters.js';
import { backToTheList } from '../actions/list-memory.js';
import type { Components } from '../components.js';
import { entryCurrencies } from '../history/money-currencies.js';
import { referenceNames } from '../history/record-names.js';
import { OrmResource, type OrmResourceSpec } from '../orm/resource.js';
import { SEARCH_FIELD } from '../orm/where.js';
import { can, guardActions } from '../permissions.js';
import { formDefaults, mergeProperties } from './form-defaults.js';
import { onlyWritableFields, rootOf } from './writable-fields.js';
import { shownParam, SHOWN_PARAM } from '../orm/shown-values.js';

export interface ResourceDeps {
  readonly orm: Orm;
  readonly components: Components;
  /** ORDER_HOLD_SECONDS: an order's page shows when its unpaid stock hold ends (0 or absent: no holds). */
  readonly orderHoldSeconds?: number;
}

/** The list page's Search box: a filter-only field that looks in several columns at once. */
export function searchProperty(): PropertyOptions {
  return {
    type: 'string',
    isVisible: { list: false, show: false, edit: false, filter: true },
    position: 0,
  };
}

/** A read-only field shown only on the show page. */
export function showOnly(component: string): PropertyOptions {
  return {
    isVisible: { list: false, show: true, edit: false, filter: false },
    components: { show: component },
    position: 999,
  };
}

/**
 * AdminJS's `search` action (reference autocomplete) matches only the title field; this one uses the
 * same multi-column search as the list page.
 */
function searchAction(spec: OrmResourceSpec) {
  return async (
    request: ActionRequest,
    _response: unknown,
    context: ActionContext,
  ): Promise<ActionResponse & { records: RecordJSON[] }> => {
    const { resource, currentAdmin } = context;
    const query = flat.unflatten(request.query ?? {}) as {
      filters?: Record<string, unknown>;
      perPage?: string;
    };
    const term = request.params?.query;
    const filter = new Filter(
      { ...(query.filters ?? {}), ...(term ? { [SEARCH_FIELD]: term } : {}) },
      resource,
    );
    const perPage = Math.min(Math.max(Number(query.perPage) || 50, 1), 100);
    const records = await resource.find(
      filter,
      { limit: perPage, offset: 0, sort: { ...spec.defaultSort } },
      context,
    );
    return { records: records.map((record) => record.toJSON(currentAdmin)) };
  };
}

/**
 * Cleans a form before AdminJS sees it (after onlyWritableFields has reduced it to the form's fields).
 * Empty number inputs arrive as '' and AdminJS would turn them into 0; they become null so the model
 * says "required" instead of silently storing a zero price (on create, a blank field that has a
 * database default, such as stock, takes the default).
 */
function cleanPayload(resource: OrmResource, mode: 'create' | 'update'): Before {
  return async (request) => {
    if (!request.payload) return request;
    const payload = { ...request.payload };
    for (const property of resource.properties()) {
      // A list field sent as a single value (tags=foo rather than tags.0=foo) becomes a list.
      const value = payload[property.path()];
      if (property.isArray() && value !== undefined && !Array.isArray(value))
        payload[property.path()] = value === '' || value === null ? [] : [value];
      if (payload[property.path()] !== '' || property.type() === 'string' || property.type() === 'textarea')
        continue;
      // A blank field with a database default (stock) means "the default" on create.
      if (mode === 'create' && property.meta.default !== undefined) delete payload[property.path()];
      else if (property.type() === 'number') payload[property.path()] = null;
    }
    return { ...request, payload };
  };
}

/**
 * The form's virtual inputs (a user's plain password) are handed to the resource but never sent back:
 * AdminJS answers a create or edit with the record built from the submitted form, password included.
 */
function withoutVirtualInputs(virtual: readonly string[]): After<ActionResponse> {
  return async (response) => {
    const records = [response.record, ...((response.records as unknown[] | undefined) ?? [])] as Array<
      { params?: Record<string, unknown> } | undefined
    >;
    for (const params of records.map((record) => record?.params))
      for (const key of Object.keys(params ?? {})) if (virtual.includes(rootOf(key))) delete params![key];
    return response;
  };
}

/**
 * The edit page's record, as it leaves: carries what the page shows (SHOWN_PARAM), which the form
 * sends back for its save to be merged against (orm/shown-values.ts). A save refused with errors
 * keeps the values of the page the staff member opened: a second try is judged against those too.
 */
function withShownValues(): After<ActionResponse> {
  return async (response, request) => {
    const record = response.record as { params?: Record<string, unknown>; errors?: object } | undefined;
    if (!record?.params) return response;
    const refused = request.method === 'post' && Object.keys(record.errors ?? {}).length > 0;
    if (!refused) record.params[SHOWN_PARAM] = shownParam(record.params);
    return response;
  };
}

/**
 * Attaches the record's audit entries to the show page (read by the History component), with the
 * names of the records their reference fields pointed at and the currencies of their money amounts
 * (the component shows labels, names and "€26.00").
 */
function attachHistory(orm: Orm, model: string): After<ActionResponse> {
  return async (response, _request, context) => {
    const record = response.record as { id?: string; params?: Record<string, unknown> } | undefined;
    if (!record?.id || !record.params) return response;
    const entries = await orm.em
      .fork()
      .find(
        AuditEntry,
        { model, recordId: String(record.id) },
        { orderBy: { createdAt: 'desc', id: 'desc' }, limit: 100 },
      );
    const names = await referenceNames(
      context._admin,
      model,
      entries.map((entry) => entry.diff),
      context.currentAdmin,
    );
    const currencies = entryCurrencies(
      model,
      entries.map((entry) => entry.diff),
      record.params,
    );
    record.params.history = JSON.stringify(
      entries.map((entry, i) => ({
        id: entry.id,
        action: entry.action,
        actorEmail: entry.actorEmail,
        createdAt: entry.createdAt,
        diff: entry.diff,
        currencies: currencies[i],
      })),
    );
    record.params.historyNames = JSON.stringify(names);
    return response;
  };
}

/**
 * AdminJS's bulk delete with one change: the records go in one transaction (OrmResource.deleteMany),
 * so a refusal half-way (a failed audit write, a database constraint) deletes nothing.
 */
function bulkDeleteAction(resource: OrmResource) {
  return async (
    request: ActionRequest,
    _response: unknown,
    context: ActionContext,
  ): Promise<ActionResponse & { records: RecordJSON[] }> => {
    const { records, currentAdmin, h } = context;
    if (!records || records.length === 0) throw new NotFoundError('no records were selected.', 'bulkDelete');
    const json = records.map((record) => record.toJSON(currentAdmin));
    if (request.method !== 'post') return { records: json };
    await resource.deleteMany(
      records.map((record) => record.id()),
      context,
    );
    return {
      records: json,
      notice: {
        message: records.length > 1 ? 'successfullyBulkDeleted_plural' : 'successfullyBulkDeleted',
        options: { count: records.length },
        resourceId: resource.id(),
        type: 'success',
      },
      redirectUrl: h.resourceUrl({ resourceId: resource.id() }),
    };
  };
}

export const STANDARD_ACTIONS = [
  'list',
  'show',
  'search',
  'export',
  'allMatching',
  'filterTitles',
  'new',
  'edit',
  'delete',
  'bulkDelete',
] as const;

/** The standard actions that write; a read-only resource refuses them all. */
export const WRITE_ACTIONS = ['new', 'edit', 'delete', 'bulkDelete'] as const;

/**
 * Puts together one model's admin: the resource, Django-style permission guards on every action
 * (including ones AdminJS would show by default), the multi-column search and the history panel.
 * `refused` actions stay hidden and refused whatever a role grants (not even a superuser gets them).
 */
export function modelAdmin(
  deps: ResourceDeps,
  spec: OrmResourceSpec,
  permissionModel: PermissionModel,
  options: ResourceOptions & { extraActions?: readonly string[]; refused?: readonly string[] },
): ResourceWithOptions {
  const resource = new OrmResource(deps.orm, spec);
  resource.mayView = (admin) => can(admin, 'view', permissionModel);
  const { extraActions = [], refused = [], ...rest } = options;
  const guards = guardActions(permissionModel, [...STANDARD_ACTIONS, ...extraActions]);
  const actions: Record<string, Partial<Action<ActionResponse>>> = { ...guards };
  for (const [name, action] of Object.entries(
    (rest.actions ?? {}) as Record<string, Partial<Action<ActionResponse>>>,
  )) {
    actions[name] = { ...action, ...guards[name] };
  }
  actions.search = { ...actions.search, handler: searchAction(spec) };
  actions.bulkDelete = { ...actions.bulkDelete, handler: bulkDeleteAction(resource) };
  // A record other rows still refer to says so before the delete is confirmed (a category's products).
  Object.assign(actions, deleteWithReferences(deps, resource, actions));
  // Every list can be exported (streamed, see actions/export-route.ts) by whoever may view it.
  actions.export = { ...exportAction(deps.components), ...actions.export };
  // A bulk action on every row the list matches, all pages, run server-side (actions/all-matching.ts).
  actions.allMatching = { ...allMatchingAction(deps.components, new BulkJobs()), ...actions.allMatching };
  // The names of the records the list's reference filters name, for its chips (actions/filter-titles.ts).
  actions.filterTitles = { ...filterTitlesAction(), ...actions.filterTitles };
  // Tandem's hooks run first; a resource's own before/after hooks (given in options) run after them.
  const hooks = <T>(first: T, own: T | T[] | undefined): T[] => [
    first,
    ...(own === undefined ? [] : Array.isArray(own) ? own : [own]),
  ];
  // The allow-list: what the form shows (editProperties), if the resource may write it at all.
  const writable = new Set(
    (rest.editProperties ?? resource.properties().map((property) => property.path())).filter(
      (field) => resource.property(field)?.isEditable() ?? spec.virtualInputs?.includes(field) ?? false,
    ),
  );
  for (const [name, mode] of [
    ['new', 'create'],
    ['edit', 'update'],
  ] as const) {
    const own = actions[name]?.before;
    const cleanRecord = withoutVirtualInputs(spec.virtualInputs ?? []);
    actions[name] = {
      // Django's "Save", "Save and continue editing" and "Save and add another" (components/SaveForm.jsx).
      component: deps.components.SaveForm,
      ...actions[name],
      before: [onlyWritableFields(resource, writable), ...hooks(cleanPayload(resource, mode), own)],
      after:
        mode === 'update'
          ? [cleanRecord, ...hooks(withShownValues(), actions[name]?.after)]
          : hooks(cleanRecord, actions[name]?.after),
    };
  }
  // Filter keys that name no field are dropped before AdminJS looks them up (list, export, all matching).
  actions.list = { ...actions.list, before: hooks(onlyKnownFilters(resource), actions.list?.before) };
  if (spec.audited !== false) {
    actions.show = { ...actions.show, after: hooks(attachHistory(deps.orm, spec.name), actions.show?.after) };
  }
  // Every action that ends on the bare list ends on the list as the staff member left it.
  for (const [name, action] of Object.entries(actions))
    actions[name] = { ...action, after: hooks(backToTheList(), action.after) };
  for (const name of refused) actions[name] = { ...actions[name], isAccessible: false, isVisible: false };
  return {
    resource,
    options: {
      id: spec.name,
      sort: { ...spec.defaultSort },
      ...rest,
      translations: {
        en: { properties: { [SEARCH_FIELD]: `Search (${spec.searchFields.join(', ')})` } },
      },
      properties: mergeProperties(
        {
          [SEARCH_FIELD]: searchProperty(),
          ...(spec.audited === false ? {} : { history: showOnly(deps.components.History) }),
          ...formDefaults(resource),
        },
        rest.properties,
      ),
      actions: actions as ResourceOptions['actions'],
    },
  };
}
