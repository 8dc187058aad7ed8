/**
 * Reads the change stream's ends with `redis-cli` (what an operator would type), so a test can tell
 * when the relay has written an entry or trimmed the stream past a replica, without a Redis client
 * dependency in e2e. Entries are the relay's: id `<to>-0`, fields `from` and `batch`.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface StreamEnd {
  /** The outbox position the entry ends at (its id without `-0`). */
  readonly to: bigint;
  /** The position the entry starts at: a replica behind it has lost the entries in between. */
  readonly from: bigint;
}

async function oneEntry(redisUrl: string, key: string, command: 'XRANGE' | 'XREVRANGE') {
  const range = command === 'XRANGE' ? ['-', '+'] : ['+', '-'];
  const { stdout } = await run('redis-cli', ['-u', redisUrl, command, key, ...range, 'COUNT', '1']);
  const [id, fromField, from] = stdout.split('\n');
  if (!id || fromField !== 'from' || from === undefined) return undefined;
  return { to: BigInt(id.slice(0, id.indexOf('-'))), from: BigInt(from) } satisfies StreamEnd;
}

/** The oldest entry still in the stream (the others were trimmed), if any. */
export const firstEntry = (redisUrl: string, key: string) => oneEntry(redisUrl, key, 'XRANGE');

/** The newest entry, if any. */
export const lastEntry = (redisUrl: string, key: string) => oneEntry(redisUrl, key, 'XREVRANGE');

export async function deleteStream(redisUrl: string, key: string): Promise<void> {
  await run('redis-cli', ['-u', redisUrl, 'DEL', key, `${key}:relay-lock`]);
}
