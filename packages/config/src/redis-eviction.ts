/**
 * The only maxmemory-policy under which Redis never deletes a key to make room: at maxmemory it
 * refuses writes instead (an error the caller sees), and what it holds stays whole.
 */
export const NO_EVICTION = 'noeviction';

/** How often a watched connection asks again: the policy can be changed at run time (CONFIG SET). */
const RECHECK_MS = 60_000;

/** The part of a Redis client (ioredis) the guard uses. */
export interface RedisPolicySource {
  info(section: 'memory'): Promise<string>;
  on(event: 'ready', listener: () => void): unknown;
}

/** The server's maxmemory-policy as `INFO memory` reports it; undefined when the reply has none. */
export function maxmemoryPolicy(info: string): string | undefined {
  return /^maxmemory_policy:(\S+)/m.exec(info)?.[1];
}

/**
 * Watches one Redis connection's server for a maxmemory-policy that evicts: asked when the connection
 * is made, again whenever it becomes ready (a reconnect may reach another server), and every minute.
 * Under any other policy than noeviction, a full Redis deletes keys (volatile-*: those with a TTL;
 * allkeys-*: any), so what the caller keeps there (`holds`) can vanish without an error: the caller
 * decides what to do instead.
 *
 * A server that does not answer INFO (an ACL without it) is not judged: `hazard` stays undefined.
 */
export class RedisEvictionGuard {
  /** Why this Redis may not be trusted with `holds`, or undefined while it may. */
  hazard: string | undefined;
  /** Settles when the latest check has: a caller that must not act on an unchecked server awaits it. */
  checked: Promise<void> = Promise.resolve();
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly redis: RedisPolicySource,
    private readonly holds: string,
  ) {
    void this.check();
    redis.on('ready', () => void this.check());
    this.timer = setInterval(() => this.check(), RECHECK_MS).unref();
  }

  check(): Promise<void> {
    this.checked = this.redis.info('memory').then(
      (info) => {
        const policy = maxmemoryPolicy(info);
        this.hazard =
          policy === undefined || policy === NO_EVICTION
            ? undefined
            : `Redis's maxmemory-policy is ${policy}: once it is full it deletes keys, and with them ${this.holds}. ` +
              `Set maxmemory-policy ${NO_EVICTION} (a full Redis then refuses writes instead).`;
      },
      () => undefined, // not reachable, or INFO not allowed: the next ready or round asks again
    );
    return this.checked;
  }

  close(): void {
    clearInterval(this.timer);
  }
}
