/**
 * The ended-session purge finds its rows through indexes, not a scan of every session: its condition
 * (packages/tokens/src/sessions/purge-ended.ts) is `(expires_at < ? or last_used_at < ?) and
 * (revoked_at is null or revoked_at < ?)`, so each arm of the OR needs an index of its own. Checked
 * on the migrated schema with each dialect's planner (PostgreSQL with sequential scans disabled, so
 * the plan shows whether an index can serve at all, whatever the table's size). Without the indexes
 * both dialects scan `sessions`, and this fails.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { testDialect } from '@tandem/models/testing';
import { startTestAuth, type TestAuth } from './support.js';

const PURGE_WHERE = '(expires_at < ? or last_used_at < ?) and (revoked_at is null or revoked_at < ?)';

describe(`the ended-session purge uses the sessions indexes (${testDialect()})`, () => {
  let auth: TestAuth;

  before(async () => {
    auth = await startTestAuth({ SIGNING_KEY_REFRESH_SECONDS: '3600' });
  });
  after(() => auth.close());

  it('both arms of the "ended" condition are index searches', async () => {
    const cutoff = new Date(Date.now() - 86_400_000);
    const sql = `select id from sessions where ${PURGE_WHERE} limit 500`;
    let plan: string;
    if (testDialect() === 'sqlite') {
      const at = cutoff.getTime();
      const rows = await auth.db.orm.em.getConnection().execute(`explain query plan ${sql}`, [at, at, at]);
      plan = (rows as { detail: string }[]).map((row) => row.detail).join('\n');
      assert.doesNotMatch(plan, /^SCAN sessions\b/m, plan);
    } else {
      plan = await auth.db.orm.em.fork().transactional(async (tx) => {
        await tx
          .getConnection()
          .execute('set local enable_seqscan = off', [], 'run', tx.getTransactionContext());
        const rows = await tx
          .getConnection()
          .execute(`explain ${sql}`, [cutoff, cutoff, cutoff], 'all', tx.getTransactionContext());
        return (rows as { 'QUERY PLAN': string }[]).map((row) => row['QUERY PLAN']).join('\n');
      });
      assert.doesNotMatch(plan, /Seq Scan on sessions/, plan);
    }
    assert.match(plan, /sessions_expires_at_index/, plan);
    assert.match(plan, /sessions_last_used_at_index/, plan);
  });
});
