import type { ActionContext, ActionRequest, ActionResponse, ResourceWithOptions } from 'adminjs';
import { AuditEntry } from '@tandem/models';
import { recordNames, referenceNames } from '../history/record-names.js';
import { WRITE_ACTIONS, modelAdmin, type ResourceDeps } from './common.js';

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
        diff: { isVisible: false },
        diffJson: {
          type: 'string',
          isVisible: { show: true, list: false, edit: false, filter: false },
          components: { show: deps.components.AuditDiff },
        },
      },
      actions: {
        show: {
          // The diff column is JSON; AdminJS would flatten it, so hand the component the whole object,
          // with the names of the record and of the related records it mentions (History.jsx shows them).
          after: async (response: ActionResponse, _request: ActionRequest, context: ActionContext) => {
            const record = response.record as { id?: string; params?: Record<string, unknown> } | undefined;
            const id = Number(record?.id);
            if (!record?.params || !Number.isSafeInteger(id)) return response;
            const entry = await deps.orm.em.fork().findOne(AuditEntry, id);
            const diff = entry?.diff ?? {};
            record.params.diffJson = JSON.stringify(diff);
            if (!entry) return response;
            record.params.namesJson = JSON.stringify(
              await referenceNames(context._admin, entry.model, [diff]),
            );
            const title = await recordNames(context._admin, entry.model, [entry.recordId]);
            record.params.recordTitle = title[entry.recordId] ?? null;
            return response;
          },
        },
      },
    },
  );
}
