/**
 * RevokedSessions forgets a revocation at the feed's keepUntilMs, never earlier: a sweep after the
 * session's end but before the end + TTL + leeway keeps it (the value comes from
 * @tandem/changefeed's revocationKeptUntilMs, the same bound the snapshot query uses).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MAX_ACCESS_TOKEN_TTL_SECONDS, MAX_TOKEN_LEEWAY_SECONDS } from '@tandem/config';
import { RevokedSessions } from '../src/revocations.js';

const WINDOW_MS = (MAX_ACCESS_TOKEN_TTL_SECONDS + MAX_TOKEN_LEEWAY_SECONDS) * 1000;

test('a revocation is swept at keepUntilMs, not at the session end', () => {
  const closed: string[] = [];
  const revoked = new RevokedSessions((sid) => closed.push(sid));
  const expiresAt = 1_000_000;
  revoked.apply({ sid: 'late', revoked: true, keepUntilMs: expiresAt + WINDOW_MS });
  assert.deepEqual(closed, ['late']);
  revoked.sweep(expiresAt + 1);
  assert.equal(revoked.has('late'), true, 'kept past expires_at');
  revoked.sweep(expiresAt + WINDOW_MS - 1);
  assert.equal(revoked.has('late'), true);
  revoked.sweep(expiresAt + WINDOW_MS);
  assert.equal(revoked.has('late'), false, 'forgotten once no token of it can be accepted');
});
