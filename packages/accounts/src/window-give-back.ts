import type { Redis } from 'ioredis';
import type { RateLimiterMemory, RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';

/**
 * A point a guess took from a fixed-window counter: the counter that counted it (in Redis, or in
 * this process's memory), its key, and when the window it was taken in ends (this process's clock).
 */
export type SpentPoint =
  | {
      readonly store: 'memory';
      readonly limiter: RateLimiterMemory;
      readonly key: string;
      readonly windowEndsAt: number;
    }
  | {
      readonly store: 'redis';
      readonly limiter: RateLimiterRedis;
      readonly redis: Redis;
      readonly key: string;
      readonly windowEndsAt: number;
    };

/** When the window a consume answered about ends, on this process's clock. */
export function windowEnd(counted: RateLimiterRes): number {
  return Date.now() + counted.msBeforeNext;
}

/**
 * rate-limiter-flexible's counter in Redis is an integer under `limiter.getKey(key)`, its TTL the
 * window's end (RateLimiterRedis.js). The point goes back only if the key still holds the window it
 * was taken from: its PTTL within the tolerance of what this process reckons that window has left
 * (durations on each side's own clock, so no clock is compared with another). A window ended is
 * gone or replaced by one ending a full window later; and a give-back never creates a key, nor takes
 * a counter below zero. One script: nothing can end the window between the check and the DECRBY.
 */
const GIVE_BACK_IN_REDIS = `
local left = redis.call('pttl', KEYS[1])
if left <= 0 then return 0 end
if math.abs(left - tonumber(ARGV[1])) > tonumber(ARGV[2]) then return 0 end
if tonumber(redis.call('get', KEYS[1])) <= 0 then return 0 end
redis.call('decrby', KEYS[1], 1)
return 1
`;

/** A record of rate-limiter-flexible's memory store (the fields its dump() exports). */
interface MemoryRecord {
  value: number;
  readonly expiresAt: number | null;
}

/**
 * The records of a memory limiter, by `limiter.getKey(key)`. Its API cannot give a point back to one
 * window only: get and reward answer in promises, so a check then a reward are two turns, and the
 * window can end between them (reward then starts a new one at -1). The package is pinned; a changed
 * layout throws here (LoginThrottle looks at construction), not silently at the first give-back.
 */
export function memoryRecords(limiter: RateLimiterMemory): Map<string, MemoryRecord> {
  const internals = limiter as unknown as { _memoryStorage?: { _storage?: unknown } };
  const records = internals._memoryStorage?._storage;
  if (!(records instanceof Map))
    throw new Error("rate-limiter-flexible's RateLimiterMemory no longer keeps its records where expected");
  return records as Map<string, MemoryRecord>;
}

/**
 * Gives a spent point back to the window it was taken from, and to no other: given to a later window
 * (rate-limiter-flexible's reward starts an ended window's counter again, at -1) it is a guess more
 * there, and whoever holds one password can time parallel successes to end just after a window does.
 * A window is told by its end: the next one ends a full window later, so half a window of tolerance
 * absorbs the delays between the count and the give-back. Only a cleared pair counter (recordSuccess)
 * starts again early; a give-back may land in that one, after a right password from that pair.
 * A Redis that does not answer keeps the point counted, as for a failure.
 */
export async function giveBack(point: SpentPoint): Promise<void> {
  const tolerance = (point.limiter.duration * 1000) / 2;
  const rlKey = point.limiter.getKey(point.key);
  if (point.store === 'redis') {
    const left = point.windowEndsAt - Date.now();
    await point.redis
      .eval(GIVE_BACK_IN_REDIS, 1, rlKey, String(left), String(tolerance))
      .catch(() => undefined);
    return;
  }
  // One synchronous turn: nothing else can count in, end or replace the record meanwhile.
  const record = memoryRecords(point.limiter).get(rlKey);
  if (!record || record.expiresAt === null || record.expiresAt <= Date.now()) return;
  if (Math.abs(record.expiresAt - point.windowEndsAt) > tolerance || record.value <= 0) return;
  record.value -= 1;
}
