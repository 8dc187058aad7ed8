import type { ResourceWithOptions } from 'adminjs';
import { ALL_PERMISSION_CODENAMES } from '@tandem/models';
import { modelAdmin, type ResourceDeps } from './common.js';
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
      properties: {
        scopes: {
          type: 'string',
          isArray: true,
          description: 'Token scopes granted to members, e.g. catalog:read',
        },
        permissions: {
          type: 'string',
          isArray: true,
          availableValues: ALL_PERMISSION_CODENAMES.map((codename) => ({ value: codename, label: codename })),
          description: 'Admin permissions: view / add / change / delete per model',
        },
      },
    },
  );
}
