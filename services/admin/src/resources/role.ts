import type { Before, ResourceWithOptions } from 'adminjs';
import { ALL_PERMISSION_CODENAMES, PERMISSION_ACTIONS, registry, SITE_PERMISSIONS } from '@tandem/models';
import { RequestRefused } from '../request-refused.js';
import { modelAdmin, type ResourceDeps } from './common.js';
import { humanize, plural } from '../labels.js';
import { scalarListValues } from '../orm/form-values.js';
import { addedToList, mayRun, onlyScopesTheyHold, permissionsNotHeld } from './grant-only-held.js';
import { endRoleMemberSessions } from './session-consequences.js';

export function roleResource(deps: ResourceDeps): ResourceWithOptions {
  return modelAdmin(
    deps,
    {
      name: 'Role',
      label: 'role',
      searchFields: ['name'],
      stringLists: ['scopes', 'permissions'],
      unique: { name: 'name' },
      defaultSort: { sortBy: 'name', direction: 'asc' },
      // A scope taken from a role ends the members' sessions that hold it (unless another role grants it).
      onWrite: endRoleMemberSessions,
    },
    'role',
    {
      navigation: { name: 'Accounts', icon: 'Users' },
      titleProperty: 'name',
      listProperties: ['id', 'name', 'scopes', 'permissions'],
      filterProperties: ['q', 'name'],
      editProperties: ['name', 'scopes', 'permissions'],
      showProperties: ['id', 'name', 'scopes', 'permissions', 'history'],
      actions: {
        new: { before: [onlyPermissionsTheyHold, onlyScopesTheyHold(deps.orm, 'role')] },
        edit: { before: [onlyPermissionsTheyHold, onlyScopesTheyHold(deps.orm, 'role')] },
      },
      properties: {
        scopes: {
          type: 'string',
          isArray: true,
          description: 'Token scopes granted to members, e.g. catalog:read',
        },
        // A models × view/add/change/delete matrix (components/PermissionMatrix.jsx), from the registry,
        // and one box per site permission (Django's custom permissions, e.g. view_metrics).
        permissions: {
          type: 'string',
          isArray: true,
          components: { edit: deps.components.PermissionMatrix, show: deps.components.PermissionMatrix },
          custom: {
            models: permissionModels(),
            actions: [...PERMISSION_ACTIONS],
            site: Object.entries(SITE_PERMISSIONS).map(([codename, description]) => ({
              codename,
              description,
            })),
          },
          description: 'Admin permissions: view / add / change / delete per model, and site permissions',
        },
      },
    },
  );
}

/** The matrix's rows: every model staff get permissions on, with its sidebar label, in registry order. */
function permissionModels(): Array<{ model: string; label: string }> {
  return registry.flatMap((model) =>
    model.permissionModel
      ? [{ model: model.permissionModel, label: model.admin?.label ?? plural(humanize(model.name)) }]
      : [],
  );
}

/**
 * A staff member with add_role or change_role who is not a superuser may add to a role only
 * permissions they hold themselves (else they could grant a role of theirs every permission).
 * Permissions the role already has may stay or go; unknown codenames are left to the model's
 * validation. Refused with 403 naming the permissions.
 */
const onlyPermissionsTheyHold: Before = async (request, context) => {
  if (context.currentAdmin?.isSuperuser === true || !mayRun(context)) return request;
  const added = addedToList(request, context, 'permissions', scalarListValues).filter((codename) =>
    ALL_PERMISSION_CODENAMES.includes(codename),
  );
  const missing = permissionsNotHeld(context.currentAdmin, added);
  if (missing.length > 0)
    throw new RequestRefused(
      403,
      'permission_not_held',
      `You may only give a role permissions you hold yourself; you do not hold ${missing.join(', ')}.`,
    );
  return request;
};
