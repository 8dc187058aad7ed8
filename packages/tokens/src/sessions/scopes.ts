import { User, type Orm } from '@tandem/models';

type Em = Orm['em'];

/** Union of the scope lists of a user's roles: what the user may be granted right now. */
export function unionRoleScopes(lists: Iterable<readonly string[]>): Set<string> {
  const scopes = new Set<string>();
  for (const list of lists) for (const scope of list) scopes.add(scope);
  return scopes;
}

/** The scopes a user (with `roles` loaded) may be granted right now. */
export function roleScopes(user: User): Set<string> {
  return unionRoleScopes(user.roles.getItems().map((role) => role.scopes));
}

/**
 * The scopes each of `userIds` may be granted, read through `em` (so inside its transaction, with
 * its pending changes flushed). `ignoringRole` leaves one role out, for a role about to be deleted.
 */
export async function scopesOfUsers(
  em: Em,
  userIds: readonly number[],
  options: { ignoringRole?: number } = {},
): Promise<Map<number, Set<string>>> {
  const users =
    userIds.length === 0 ? [] : await em.find(User, { id: { $in: [...userIds] } }, { populate: ['roles'] });
  return new Map(
    users.map((user) => [
      user.id,
      unionRoleScopes(
        user.roles
          .getItems()
          .filter((role) => role.id !== options.ignoringRole)
          .map((role) => role.scopes),
      ),
    ]),
  );
}
