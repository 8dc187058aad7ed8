import type { ChangeFeedHandlers } from '@tandem/changefeed';
import type { LiveHub } from './live.js';
import type { RevokedSessions } from './revocations.js';
import type { HotStore } from './data/store.js';
import type { OutcomeWaiters } from './writes/outcome-waiters.js';

const ignore = (): void => undefined;

/**
 * Applies the change feed to the store: each changed record is serialized once (by the database)
 * and prepared once (bytes + ETag), then published to live subscribers. A reloaded snapshot is
 * diffed against what was served, so subscribers also see what changed during a gap. Requests waiting
 * for a write's outcome (`Prefer: wait`) are told after the whole batch is in the store, so the
 * record the write changed is served as it is after the write.
 */
export function feedHandlers(
  store: HotStore,
  revoked: RevokedSessions,
  live: LiveHub,
  waiters?: OutcomeWaiters,
): ChangeFeedHandlers {
  return {
    async snapshot(snapshot) {
      revoked.replaceAll(snapshot.revokedSessions);
      // The first load is no change to anyone: no live socket is open before it (live.ts refuses the
      // upgrade until the store is ready), so its rows are not offered to publish one by one.
      const first = !store.ready;
      for (const [name, batches] of snapshot.collections) {
        const collection = store.get(name);
        if (!collection) continue;
        await collection.replaceAll(batches, first ? ignore : (change) => live.publish(name, change));
      }
      store.ready = true;
      waiters?.afterSnapshot();
    },
    changes(batch) {
      for (const session of batch.sessions) revoked.apply(session);
      for (const change of batch.changes) {
        const collection = store.get(change.collection);
        if (!collection) continue;
        const applied =
          change.json === null ? collection.delete(change.id) : collection.upsert(change.id, change.json);
        if (applied) live.publish(change.collection, applied);
      }
      waiters?.afterChanges(batch.changes);
    },
  };
}
