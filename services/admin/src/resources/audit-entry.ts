import type { ActionResponse, ResourceWithOptions } from 'adminjs';
import { AuditEntry } from '@tandem/models';
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
          // The diff column is JSON; AdminJS would flatten it, so hand the component the whole object.
          after: async (response: ActionResponse) => {
            const record = response.record as { id?: string; params?: Record<string, unknown> } | undefined;
            const id = Number(record?.id);
            if (!record?.params || !Number.isSafeInteger(id)) return response;
            const entry = await deps.orm.em.fork().findOne(AuditEntry, id);
            record.params.diffJson = JSON.stringify(entry?.diff ?? {});
            return response;
          },
        },
      },
    },
  );
}
