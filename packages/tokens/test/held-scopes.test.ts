import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createMigratedDatabase, testDialect, type MigratedTestDatabase } from '@tandem/models/testing';
import { Role, User } from '@tandem/models';
import { HELD_SCOPE_BINDING, heldScopeSql, heldScopes, scopesOfUsers } from '../src/index.js';

const skip =
  testDialect() !== 'postgresql' && 'PostgreSQL only: heldScopeSql serves the batched code exchange there';

/**
 * "Which of these scopes may the user still hold" is written twice, in TypeScript for every grant and
 * in SQL for the batched code exchange. Both forms answer the same question against the same roles.
 */
describe('heldScopes and heldScopeSql agree', { skip }, () => {
  let db: MigratedTestDatabase;
  const users = new Map<string, number>();
  before(async () => {
    db = await createMigratedDatabase();
    const em = db.orm.em.fork();
    const reader = em.create(Role, {
      name: 'reader',
      scopes: ['catalog:read', 'orders:read'],
      permissions: [],
    });
    const writer = em.create(Role, {
      name: 'writer',
      scopes: ['orders:write', 'catalog:read'],
      permissions: [],
    });
    const roles: Record<string, Role[]> = { none: [], reader: [reader], both: [reader, writer] };
    for (const [name, held] of Object.entries(roles)) {
      const user = em.create(User, { email: `${name}@example.com`, passwordHash: 'x'.repeat(60) });
      for (const role of held) user.roles.add(role);
      await em.flush();
      users.set(name, user.id);
    }
  });
  after(() => db?.close());

  /** A statement on the pg driver itself, as the auth service's hot path sends it (arrays bound whole). */
  const sql = async <T>(text: string, values: unknown[]): Promise<T[]> => {
    const client = db.orm.em.getKnex().client as {
      acquireConnection(): Promise<{ query(text: string, values: unknown[]): Promise<{ rows: T[] }> }>;
      releaseConnection(connection: unknown): Promise<void>;
    };
    const connection = await client.acquireConnection();
    try {
      return (await connection.query(text, values)).rows;
    } finally {
      await client.releaseConnection(connection);
    }
  };

  const cases = [
    '',
    'openid',
    'catalog:read',
    'openid email catalog:read',
    'orders:write catalog:read openid',
    'admin:all orders:read email',
    'orders:read:any orders:read',
  ];

  test('for every user and every stored scope, the same scopes in the same order', async () => {
    const allowed = await scopesOfUsers(db.orm.em.fork(), [...users.values()]);
    let judged = 0;
    for (const [name, userId] of users)
      for (const scope of cases) {
        let index = 0;
        const text = `select ${heldScopeSql('cast(? as text)', 'cast(? as integer)')} as held`.replace(
          /\?/g,
          () => `$${++index}`,
        );
        const rows = await sql<{ held: string }>(text, [scope, HELD_SCOPE_BINDING, userId]);
        const inSql = rows[0]!.held;
        const inTs = heldScopes(scope, allowed.get(userId) ?? new Set()).join(' ');
        assert.equal(inSql, inTs, `${name}, "${scope}"`);
        judged++;
      }
    assert.equal(judged, users.size * cases.length);
    // The cases tell the rule apart from its neighbours: some scopes are dropped, some kept.
    const both = allowed.get(users.get('both')!)!;
    assert.deepEqual(heldScopes('orders:write catalog:read openid admin:all', both), [
      'orders:write',
      'catalog:read',
      'openid',
    ]);
  });
});
