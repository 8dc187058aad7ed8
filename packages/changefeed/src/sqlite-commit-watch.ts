import { watch, type FSWatcher } from 'node:fs';
import path from 'node:path';

/**
 * A commit in WAL mode lands in the `-wal` file with write() before the writer publishes it in the
 * shared-memory index (an mmap store, which inotify does not see), and inotify merges a write into an
 * unread one before it: a read woken by a transaction's first write may run before its commit frame
 * is published, and no event follows. So every burst of writes is followed by more wakes, this long
 * after its last write: soon, for the microseconds between the commit frame and its publication, and
 * once more for a writer descheduled in between. synchronous=NORMAL (packages/models/src/orm.ts) puts
 * no fsync there.
 */
export const TRAILING_WAKES_MS: readonly number[] = [1, 5, 20];

export interface CommitWatch {
  close(): void;
}

/**
 * Calls `wake` when a process may have committed to the SQLite database `file`: on every write to its
 * `-wal` file (and to the file itself, which a checkpoint rewrites), seen through inotify on the
 * database's directory, and again after each burst of writes (TRAILING_WAKES_MS). WAL mode already needs
 * every connection on one host (the index is shared memory), which is where inotify sees every write.
 *
 * Undefined when the directory cannot be watched (no inotify, ENOSPC from too many watches): the feed
 * then polls as before. `failed` is called if the watch breaks later, after it is closed.
 */
export function watchCommits(
  file: string,
  wake: () => void,
  failed: (error: Error) => void,
): CommitWatch | undefined {
  const database = path.basename(file);
  const wal = `${database}-wal`;
  let lastWriteAt = 0;
  let step = 0;
  let trailing: NodeJS.Timeout | undefined;
  const trail = () => {
    const quietFor = performance.now() - lastWriteAt;
    if (quietFor >= TRAILING_WAKES_MS[step]!) {
      wake();
      step += 1;
    }
    trailing =
      step < TRAILING_WAKES_MS.length
        ? setTimeout(trail, Math.max(1, TRAILING_WAKES_MS[step]! - quietFor))
        : undefined;
  };
  let watcher: FSWatcher;
  try {
    watcher = watch(path.dirname(path.resolve(file)), { persistent: false }, (_event, name) => {
      if (name !== wal && name !== database) return;
      lastWriteAt = performance.now();
      step = 0;
      wake();
      // One timer per burst, not per write: it re-arms itself until its wakes are done.
      trailing ??= setTimeout(trail, TRAILING_WAKES_MS[0]);
    });
  } catch {
    return undefined;
  }
  const close = () => {
    watcher.close();
    if (trailing) clearTimeout(trailing);
    trailing = undefined;
  };
  watcher.on('error', (error) => {
    close();
    failed(error);
  });
  return { close };
}
