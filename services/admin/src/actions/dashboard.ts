import type { PageHandler } from 'adminjs';
import { AuditEntry, type Orm, type PermissionModel } from '@tandem/models';
import { can } from '../permissions.js';

/** Models on the admin index, in display order: AdminJS resource id, label, permission model. */
const MODELS: ReadonlyArray<{ id: string; label: string; model: PermissionModel }> = [
  { id: 'Product', label: 'Products', model: 'product' },
  { id: 'Category', label: 'Categories', model: 'category' },
  { id: 'User', label: 'Users', model: 'user' },
  { id: 'Role', label: 'Roles', model: 'role' },
  { id: 'AuditEntry', label: 'Audit log', model: 'auditentry' },
];

/** The dashboard's data: the models this user may view (with counts) and their last ten actions. */
export function dashboardHandler(orm: Orm, rootPath: string): PageHandler {
  return async (_request, _response, context) => {
    const admin = context.currentAdmin;
    const em = orm.em.fork();
    const visible = MODELS.filter((entry) => can(admin, 'view', entry.model));
    const models = await Promise.all(
      visible.map(async (entry) => ({
        id: entry.id,
        label: entry.label,
        href: `${rootPath}/resources/${entry.id}`,
        count: await em.count(entry.id),
      })),
    );
    const id = Number(admin?.id);
    const recent = Number.isSafeInteger(id)
      ? await em.find(AuditEntry, { actor: id }, { orderBy: { createdAt: 'desc', id: 'desc' }, limit: 10 })
      : [];
    return {
      models,
      recent: recent.map((entry) => ({ id: entry.id, action: entry.action, model: entry.model, recordId: entry.recordId, createdAt: entry.createdAt })),
    };
  };
}
