import { User, type Orm } from '@tandem/models';
import { IDENTITY_SCOPES, isIdentityScope, parseScope } from '../claims.js';

type Em = Orm['em'];

/** Union of the scope lists of a user's roles: what the user may be granted right now. */
export function unionRoleScopes(lists: Iterable<readonly string[]>): Set<string> {
  const scopes = new Set<string>();
  for (const list of lists) for (const scope of list) scopes.add(scope);
  return scopes;
}

/**
 * Whether a user whose roles grant `roleScopes` may hold `scope`: a role grants it, or it is an
 * identity scope (every user may share who they are). Every grant and revocation judges a scope by
 * this rule; `heldScopeSql` is the same rule in SQL.
 */
export function userMayHold(roleScopes: ReadonlySet<string>, scope: string): boolean {
  return roleScopes.has(scope) || isIdentityScope(scope);
}

/** The scopes of a stored (formatted) scope string the user may still hold, in its order. */
export function heldScopes(scope: string, roleScopes: ReadonlySet<string>): string[] {
  return (parseScope(scope) ?? []).filter((each) => userMayHold(roleScopes, each));
}

/**
 * `heldScopes` in PostgreSQL, for hand-written hot-path SQL (a batch of code exchanges judged in one
 * statement): the scopes of the formatted scope string `scopeSql` that the roles of user `userIdSql`
 * allow now, identity scopes always, in their order, space-separated. One `?`, bound to
 * `HELD_SCOPE_BINDING`. packages/tokens/test/held-scopes.test.ts holds the two forms to one answer.
 */
export function heldScopeSql(scopeSql: string, userIdSql: string): string {
  return `(select coalesce(string_agg(g.scope, ' ' order by g.n), '')
          from unnest(string_to_array(${scopeSql}, ' ')) with ordinality as g(scope, n)
          where g.scope = any(cast(? as text[]))
             or exists (select 1 from user_roles ur join roles r on r.id = ur.role_id
                        where ur.user_id = ${userIdSql} and r.scopes @> jsonb_build_array(g.scope)))`;
}

/** The value of `heldScopeSql`'s `?`: the identity scopes, as a text array. */
export const HELD_SCOPE_BINDING: readonly string[] = [...IDENTITY_SCOPES];

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
