/** The part of a Redis client (ioredis) the persistence check uses. */
export interface RedisPersistenceSource {
  info(section: 'persistence'): Promise<string>;
  config(subcommand: 'GET', parameter: 'appendfsync'): Promise<unknown>;
}

/** Whether `INFO persistence` says the append-only file is on; undefined when the reply has no field. */
export function appendOnlyEnabled(info: string): boolean | undefined {
  const field = /^aof_enabled:(\d)/m.exec(info)?.[1];
  return field === undefined ? undefined : field === '1';
}

/**
 * What a restart or a crash of this Redis would lose of what the caller keeps there (`holds`), or
 * undefined when every write is on disk before Redis answers it (`appendonly yes`, `appendfsync
 * always`). Redis 7.0 has no WAITAOF to wait for the file per write, so its configuration is the
 * promise: without the append-only file a write lives in memory until the next RDB snapshot; with
 * `appendfsync everysec` (Redis's default) the last second is lost with the machine.
 *
 * A server that answers neither question (an ACL without INFO or CONFIG) is not judged. One that
 * answers INFO but not CONFIG (managed services often refuse CONFIG) is judged on the file alone.
 */
export async function persistenceWarning(
  redis: RedisPersistenceSource,
  holds: string,
): Promise<string | undefined> {
  const info = await redis.info('persistence').catch(() => undefined);
  const enabled = info === undefined ? undefined : appendOnlyEnabled(info);
  if (enabled === false)
    return (
      `Redis has no append-only file (appendonly no): ${holds} live in its memory until its next ` +
      'snapshot, and a restart loses them. Run it with appendonly yes and appendfsync always.'
    );
  const fsync = await redis.config('GET', 'appendfsync').catch(() => undefined);
  const policy = Array.isArray(fsync) ? String(fsync[1] ?? '') : '';
  if (enabled === true && policy !== '' && policy !== 'always')
    return (
      `Redis syncs its append-only file ${policy === 'no' ? 'when the OS decides' : 'once a second'} ` +
      `(appendfsync ${policy}): a crash of its machine loses ${holds} acknowledged since. ` +
      'Set appendfsync always.'
    );
  return undefined;
}
