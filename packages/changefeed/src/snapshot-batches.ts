import type { RecordRow } from './types.js';

/** Rows per batch when a snapshot is streamed: small enough to stay in the young generation. */
export const SNAPSHOT_BATCH = 2000;

/**
 * Groups a synchronous row iterator (better-sqlite3's `iterate`) into batches. The query starts only
 * when the first batch is read, and stops (closing the statement) if the reader stops early.
 */
export async function* batchesOf(
  rows: () => Iterable<RecordRow>,
  size: number = SNAPSHOT_BATCH,
): AsyncIterable<readonly RecordRow[]> {
  let batch: RecordRow[] = [];
  for (const row of rows()) {
    batch.push(row);
    if (batch.length === size) {
      yield batch;
      batch = [];
    }
  }
  if (batch.length > 0) yield batch;
}
