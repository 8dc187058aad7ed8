import { ValidationError, flat, type Before, type ResourceWithOptions } from 'adminjs';
import { hashPassword, passwordProblem } from '@tandem/accounts';
import { Role, User } from '@tandem/models';
import { RequestRefused } from '../request-refused.js';
import { modelAdmin, type ResourceDeps } from './common.js';
import { referenceIds } from '../orm/form-values.js';
import {
  addedToList,
  heldScopes,
  mayRun,
  permissionsNotHeld,
  scopesNotHeld,
  targetIds,
} from './grant-only-held.js';
import { endUserSessions } from './session-consequences.js';

/** What the users list shows, and the show page before the user's history. */
const USER_COLUMNS = [
  'id',
  'email',
  'isActive',
  'isStaff',
  'isSuperuser',
  'roles',
  'lastLoginAt',
  'createdAt',
];

/**
 * Users. The password hash is never a field: a virtual `password` input is validated and hashed on
 * save (required on create, "leave empty to keep" on edit).
 */
export function userResource(deps: ResourceDeps): ResourceWithOptions {
  return modelAdmin(
    deps,
    {
      name: 'User',
      label: 'user',
      searchFields: ['email'],
      readOnly: ['createdAt', 'lastLoginAt'],
      unique: { email: 'email' },
      virtualInputs: ['password'],
      defaultSort: { sortBy: 'email', direction: 'asc' },
      onWrite: endUserSessions,
      async prepare(data, mode) {
        const { password, ...rest } = data;
        const text = typeof password === 'string' ? password : '';
        if (text === '') {
          if (mode === 'create')
            throw new ValidationError({
              password: { type: 'required', message: 'Set a password for the new user.' },
            });
          return rest;
        }
        const problem = passwordProblem(text);
        if (problem) throw new ValidationError({ password: { type: 'invalid', message: problem } });
        return { ...rest, passwordHash: await hashPassword(text) };
      },
    },
    'user',
    {
      navigation: { name: 'Accounts', icon: 'Users' },
      titleProperty: 'email',
      listProperties: USER_COLUMNS,
      filterProperties: ['q', 'isActive', 'isStaff', 'isSuperuser', 'roles', 'createdAt', 'lastLoginAt'],
      editProperties: ['email', 'password', 'isActive', 'isStaff', 'isSuperuser', 'roles'],
      showProperties: [...USER_COLUMNS, 'history'],
      actions: {
        new: { before: [onlySuperusersGrantSuperuser, onlyRolesTheyHold(deps)] },
        edit: {
          before: [onlyAccountsWithinTheirs(deps), onlySuperusersGrantSuperuser, onlyRolesTheyHold(deps)],
        },
        delete: { before: onlyAccountsWithinTheirs(deps) },
        bulkDelete: { before: onlyAccountsWithinTheirs(deps) },
      },
      properties: {
        password: {
          type: 'password',
          isVisible: { list: false, show: false, filter: false, edit: true },
          description: 'On edit, leave empty to keep the current password.',
        },
        roles: { type: 'reference', reference: 'Role', isArray: true },
      },
    },
  );
}

/** The requested superuser flag from a form that onlyWritableFields has already shaped (one scalar). */
function requestedSuperuser(value: unknown): boolean {
  if (value === true || value === 'true') return true;
  if (value === false || value === 'false' || value === '' || value === null) return false;
  throw new RequestRefused(400, 'invalid_field', '"isSuperuser" must be true or false.');
}

/**
 * A staff member with change_user may manage accounts (including isStaff, as in Django), but only a
 * superuser may make someone a superuser (or take it away): otherwise change_user would be a way to
 * every permission. (A superuser's account itself is guarded by onlyAccountsWithinTheirs.) Judged on the unflattened form
 * (`isSuperuser.0=true` is `isSuperuser`); a form that repeats the stored value is fine (the edit page
 * sends it back), any other value is refused with 403, never silently dropped.
 */
const onlySuperusersGrantSuperuser: Before = async (request, context) => {
  if (context.currentAdmin?.isSuperuser === true) return request;
  if (!request.payload) return request;
  const data = flat.unflatten(request.payload) as Record<string, unknown>;
  if (!('isSuperuser' in data)) return request;
  if (requestedSuperuser(data.isSuperuser))
    throw new RequestRefused(403, 'superuser_only', 'Only a superuser may grant superuser status.');
  return request;
};

/**
 * A staff member who is not a superuser may add to a user (themselves or anyone) only roles whose
 * permissions and token scopes they already hold: otherwise change_user would be a way to every
 * permission (give yourself a role that holds them all) or every scope (`orders:read:any`). Roles the
 * user already has may stay (the edit page sends them back) and may be taken away. Refused with 403 naming the role, never silently dropped.
 */
function onlyRolesTheyHold(deps: ResourceDeps): Before {
  return async (request, context) => {
    if (context.currentAdmin?.isSuperuser === true || !mayRun(context)) return request;
    const ids = addedToList(request, context, 'roles', referenceIds).filter((id) => Number.isSafeInteger(id));
    // What is no id, or the id of no role, is left to the resource: "Choose an existing role".
    if (ids.length === 0) return request;
    const roles = await deps.orm.em.fork().find(Role, { id: { $in: ids } }, { orderBy: { name: 'asc' } });
    const scopes = await heldScopes(deps.orm, context.currentAdmin);
    for (const role of roles) {
      const missing = [
        ...permissionsNotHeld(context.currentAdmin, role.permissions),
        ...scopesNotHeld(scopes, role.scopes),
      ];
      if (missing.length > 0)
        throw new RequestRefused(
          403,
          'role_not_held',
          `You may not give the role "${role.name}": it grants permissions or token scopes you do not ` +
            `hold (${missing.join(', ')}). Ask a superuser.`,
        );
    }
    return request;
  };
}

/**
 * A staff member who is not a superuser may change or delete only accounts that hold no more than they
 * do: a superuser account, or one whose roles grant a permission or token scope the editor lacks, is
 * refused (403).
 * Otherwise change_user would be a takeover: set the password of a more powerful colleague, then log
 * in as them. Roles are read from the database, not from the form.
 */
function onlyAccountsWithinTheirs(deps: ResourceDeps): Before {
  return async (request, context) => {
    if (context.currentAdmin?.isSuperuser === true || !mayRun(context)) return request;
    const ids = targetIds(context);
    if (ids.length === 0) return request;
    const users = await deps.orm.em.fork().find(User, { id: { $in: ids } }, { populate: ['roles'] });
    const scopes = await heldScopes(deps.orm, context.currentAdmin);
    for (const user of users) {
      if (user.isSuperuser)
        throw new RequestRefused(403, 'superuser_only', 'Only a superuser may change a superuser account.');
      const roles = user.roles.getItems();
      const missing = [
        ...permissionsNotHeld(
          context.currentAdmin,
          roles.flatMap((role) => role.permissions),
        ),
        ...scopesNotHeld(
          scopes,
          roles.flatMap((role) => role.scopes),
        ),
      ];
      if (missing.length > 0)
        throw new RequestRefused(
          403,
          'account_outranks_you',
          `You may not change the account ${user.email}: its roles grant permissions or token scopes ` +
            `you do not hold (${missing.join(', ')}). Ask a superuser.`,
        );
    }
    return request;
  };
}
