import type { ActionContext, ActionRequest, ActionResponse, ResourceWithOptions } from 'adminjs';
import { AuditEntry } from '@tandem/models';
import { declaresMoney, entryCurrencies, type EntryCurrencies } from '../history/money-currencies.js';
import {
  diffWithoutNames,
  mayName,
  recordNames,
  referenceNames,
  type AdminInstance,
} from '../history/record-names.js';
import { WRITE_ACTIONS, modelAdmin, type ResourceDeps } from './common.js';

/**
 * The currencies of the money amounts in one audit entry's diff: found by walking back from the record
 * as stored now through the entries written after this one (see entryCurrencies).
 */
async function currenciesOf(
  deps: ResourceDeps,
  admin: AdminInstance,
  entry: AuditEntry,
): Promise<EntryCurrencies> {
  if (!declaresMoney(entry.model)) return {};
  const newer = await deps.orm.em
    .fork()
    .find(
      AuditEntry,
      { model: entry.model, recordId: entry.recordId, id: { $gte: entry.id } },
      { orderBy: { createdAt: 'desc', id: 'desc' } },
    );
  let current: Record<string, unknown> | null = null;
  try {
    current = (await admin.findResource(entry.model).findOne(entry.recordId))?.params ?? null;
  } catch {
    // No admin page for the model any more: the currencies come from the diffs alone.
  }
  const currencies = entryCurrencies(
    entry.model,
    newer.map((each) => each.diff),
    current,
  );
  return currencies[newer.findIndex((each) => each.id === entry.id)] ?? {};
}

/** The audit log: readable by whoever has view_auditentry, never writable (not even by superusers). */
export function auditEntryResource(deps: ResourceDeps): ResourceWithOptions {
  return modelAdmin(
    deps,
    {
      name: 'AuditEntry',
      label: 'audit entry',
      searchFields: ['model', 'recordId', 'actorEmail', 'action'],
      readOnly: ['actor', 'actorEmail', 'action', 'model', 'recordId', 'diff', 'createdAt'],
      defaultSort: { sortBy: 'createdAt', direction: 'desc' },
      audited: false,
      // Sent only as diffJson, by the show page's hook below, after its rule on names.
      unsent: ['diff'],
    },
    'auditentry',
    {
      navigation: { name: 'Accounts', icon: 'Users' },
      // Read-only for everyone: these stay refused whatever the role says.
      refused: WRITE_ACTIONS,
      titleProperty: 'action',
      listProperties: ['id', 'createdAt', 'actorEmail', 'action', 'model', 'recordId'],
      filterProperties: ['q', 'model', 'action', 'actor', 'recordId', 'createdAt'],
      showProperties: ['id', 'createdAt', 'actor', 'actorEmail', 'action', 'model', 'recordId', 'diffJson'],
      properties: {
        diffJson: {
          type: 'string',
          isVisible: { show: true, list: false, edit: false, filter: false },
          components: { show: deps.components.AuditDiff },
        },
      },
      actions: {
        show: {
          // The diff column is JSON; AdminJS would flatten it, so hand the component the whole object,
          // with the names of the record and of the related records it mentions (History.jsx shows them),
          // those this staff member may be told (history/record-names.ts).
          after: async (response: ActionResponse, _request: ActionRequest, context: ActionContext) => {
            const record = response.record as { id?: string; params?: Record<string, unknown> } | undefined;
            const id = Number(record?.id);
            if (!record?.params || !Number.isSafeInteger(id)) return response;
            const entry = await deps.orm.em.fork().findOne(AuditEntry, id);
            if (!entry) {
              record.params.diffJson = '{}';
              return response;
            }
            const { currentAdmin } = context;
            // The record's own name only for staff who may search its model (the History rule), so
            // view_auditentry alone does not read every user's email; the others see its id, and its
            // diff without the fields that name it (a new user's email).
            const named = mayName(context._admin, entry.model, currentAdmin);
            const diff = named ? entry.diff : diffWithoutNames(context._admin, entry.model, entry.diff);
            record.params.diffJson = JSON.stringify(diff);
            record.params.namesJson = JSON.stringify(
              await referenceNames(context._admin, entry.model, [diff], currentAdmin),
            );
            const title = await recordNames(context._admin, entry.model, [entry.recordId], currentAdmin);
            record.params.recordTitle = title[entry.recordId] ?? null;
            record.params.recordNamed = named;
            record.params.moneyJson = JSON.stringify(await currenciesOf(deps, context._admin, entry));
            return response;
          },
        },
      },
    },
  );
}
