import type { Action, ActionResponse, ResourceWithOptions } from 'adminjs';
import { SESSION_GRANT_TYPES, revokeSession } from '@tandem/tokens';
import { confirmedBulkAction } from '../actions/confirmed-bulk.js';
import { actorOf, recordAudit } from '../orm/audit.js';
import { WRITE_ACTIONS, modelAdmin, type ResourceDeps } from './common.js';

const READ_ONLY = [
  'user',
  'client',
  'grantType',
  'scope',
  'createdAt',
  'lastUsedAt',
  'expiresAt',
  'revokedAt',
  'revokedReason',
];

/**
 * "Revoke" on the selected sessions: GET opens the confirmation drawer, only the POST revokes. The
 * session's refresh tokens stop at once (the auth service checks revoked_at) and its access tokens
 * stop at the fast service through the change feed. Already revoked sessions are left as they were.
 * Audited like any other change.
 */
function revokeAction(deps: ResourceDeps): Partial<Action<ActionResponse>> {
  return confirmedBulkAction(deps, {
    icon: 'XCircle',
    variant: 'danger',
    noun: 'sessions',
    source: 'revokeAction',
    async apply(records, context) {
      const open = records.map((record) => String(record.id()));
      const actor = actorOf(context);
      const changed = await deps.orm.em.fork().transactional(async (em) => {
        let count = 0;
        for (const id of open) {
          const now = new Date();
          // Conditional: a session revoked meanwhile (by the auth service, say) keeps its reason.
          if (!(await revokeSession(em, id, 'staff', now))) continue;
          recordAudit(em, {
            actor,
            action: context.action.name,
            model: 'Session',
            recordId: id,
            diff: {
              revokedAt: { before: null, after: now.toISOString() },
              revokedReason: { before: null, after: 'staff' },
            },
          });
          count += 1;
        }
        return count;
      });
      return `Revoked ${changed} of ${records.length} session(s).`;
    },
  });
}

/**
 * Sessions (login sessions and machine-client sessions; the `sid` of access tokens). Staff see them and
 * revoke them; nobody creates, edits or deletes them here (a deleted row would lose the revocation).
 */
export function sessionResource(deps: ResourceDeps): ResourceWithOptions {
  return modelAdmin(
    deps,
    {
      name: 'Session',
      label: 'session',
      searchFields: ['id', 'grantType', 'scope', 'revokedReason'],
      readOnly: READ_ONLY,
      defaultSort: { sortBy: 'createdAt', direction: 'desc' },
    },
    'session',
    {
      navigation: { name: 'Auth', icon: 'Key' },
      titleProperty: 'id',
      listProperties: [
        'id',
        'user',
        'client',
        'grantType',
        'createdAt',
        'lastUsedAt',
        'expiresAt',
        'revokedAt',
        'revokedReason',
      ],
      filterProperties: [
        'q',
        'user',
        'client',
        'grantType',
        'createdAt',
        'expiresAt',
        'revokedAt',
        'revokedReason',
      ],
      // Nothing here is editable, so the page shows every read-only field.
      showProperties: ['id', ...READ_ONLY, 'history'],
      properties: {
        user: { type: 'reference', reference: 'User' },
        client: { type: 'reference', reference: 'Client' },
        // How the session began: the filter offers the values the database accepts.
        grantType: { availableValues: SESSION_GRANT_TYPES.map((value) => ({ value, label: value })) },
      },
      extraActions: ['revoke'],
      actions: { revoke: revokeAction(deps) },
      refused: WRITE_ACTIONS,
    },
  );
}
