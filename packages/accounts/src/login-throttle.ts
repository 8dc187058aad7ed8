import { createHash } from 'node:crypto';
import { Redis } from 'ioredis';
import {
  RateLimiterMemory,
  RateLimiterRedis,
  RateLimiterRes,
  type RateLimiterAbstract,
} from 'rate-limiter-flexible';
import { RedisEvictionGuard } from '@tandem/config';
import { normalizeEmail } from '@tandem/models';
import { throttledNetwork } from './throttled-network.js';
import { giveBack, memoryRecords, windowEnd, type SpentPoint } from './window-give-back.js';

export interface LoginThrottleOptions {
  /** Guesses allowed per (account, client address) pair within the window. */
  readonly attempts: number;
  /** Guesses allowed per account from all addresses together; default 4 x attempts. */
  readonly accountAttempts?: number;
  /** Guesses allowed per client address over all accounts; default 4 x attempts. */
  readonly addressAttempts?: number;
  /**
   * Password checks per account within the window, successful ones included; default 100. A success
   * gives its other points back, so without this one account's own password bought unlimited
   * checks (a password hash each, ~15 ms of CPU).
   */
  readonly accountSignIns?: number;
  readonly windowSeconds: number;
  /** Counters in this Redis (shared by every instance); unset: in this process's memory. */
  readonly redisUrl?: string | undefined;
  /** Prefix of the Redis keys; default `tandem:login`. */
  readonly redisKeyPrefix?: string;
}

/**
 * What an allowed guess spent, stage by stage: the counter, key and window of each point, so that
 * recordSuccess gives back to exactly those windows and never to a later one.
 */
export interface Reservation {
  readonly address: SpentPoint;
  readonly pair: SpentPoint;
  readonly account: SpentPoint;
  readonly signIns: SpentPoint;
}

/**
 * Allowed: with the reservation recordSuccess takes if the guess is right. Refused: `failures` when
 * too many guesses failed (a stage of guesses), `sign_ins` when the account was checked too often,
 * successes included.
 */
export type ThrottleVerdict =
  | { readonly allowed: true; readonly reservation: Reservation }
  | {
      readonly allowed: false;
      readonly retryAfterSeconds: number;
      readonly reason: 'failures' | 'sign_ins';
    };

/** The four stages (see LoginThrottle). */
type Stage = keyof Reservation;

/** One stage's counter a guess spends a point of, and the key it spends it under. */
interface Spend {
  /** In Redis; undefined without Redis, and while it may evict (RedisEvictionGuard). */
  readonly shared: RateLimiterRedis | undefined;
  /** In this process's memory: the counter without Redis, its stand-in while Redis cannot answer. */
  readonly local: RateLimiterMemory;
  readonly key: string;
}

/** A point a stage counted, and the refusal when the stage was already full (it counted it all the same). */
interface Counted {
  readonly point: SpentPoint;
  readonly refusal: RateLimiterRes | undefined;
}

/** The store's atomic consume, a refusal answered rather than thrown (other errors are thrown). */
async function consume(
  limiter: RateLimiterAbstract,
  key: string,
): Promise<{ readonly window: RateLimiterRes; readonly refused: boolean }> {
  try {
    return { window: await limiter.consume(key), refused: false };
  } catch (refusal) {
    if (refusal instanceof RateLimiterRes) return { window: refusal, refused: true };
    throw refusal;
  }
}

/** Account keys are hashed: no email addresses in Redis, and a bounded key length for any username. */
function accountKey(account: string): string {
  return createHash('sha256').update(normalizeEmail(account)).digest('base64url');
}

/**
 * Login throttling in four stages, each counting per window:
 *
 * 1. per client address over all accounts (`addressAttempts`): password spraying from one address
 *    (an IPv6 address counts by its /64: see throttledNetwork);
 * 2. per (account, address) pair (`attempts`): a stranger elsewhere spends only their own pair's
 *    budget, so the account's owner still logs in from their usual address;
 * 3. per account from all addresses (`accountAttempts`): guessing spread over many addresses;
 * 4. per account, every check (`accountSignIns`): successes too, so whoever holds a password cannot
 *    spend the service's CPU on password hashes at will.
 *
 * A guess RESERVES its points with the store's atomic consume before its password is checked, so
 * however many requests run in parallel (and on however many instances, with Redis), at most the
 * limit of each stage is ever checked. A guess a stage refuses gives back what it spent, in that stage
 * and the ones before, so refused guesses cost nothing; a checked guess keeps its points unless it
 * succeeds (the sign-in stage's point is kept either way). A point goes back only to the window it
 * was taken in (giveBack): given back after that window ended, it would be a guess more in the next.
 * With Redis, a per-process memory limiter stands in while Redis is unreachable, and while its
 * maxmemory-policy lets it delete keys (RedisEvictionGuard).
 */
export class LoginThrottle {
  /** The counters in this process's memory: all of them without Redis, and its stand-in with it. */
  private readonly local: Readonly<Record<Stage, RateLimiterMemory>>;
  /** The counters in Redis, shared by every instance. */
  private readonly shared: Readonly<Record<Stage, RateLimiterRedis>> | undefined;
  private readonly redis: Redis | undefined;
  /**
   * A Redis that deletes keys when full would drop counters an attacker can make it drop (fill it,
   * then guess again): while it may, the memory counters stand in, as while it is unreachable.
   */
  private readonly eviction: RedisEvictionGuard | undefined;

  constructor(options: LoginThrottleOptions) {
    this.redis = options.redisUrl
      ? // Fail fast to the memory stand-in rather than queue logins behind a reconnect.
        new Redis(options.redisUrl, { maxRetriesPerRequest: 1, enableOfflineQueue: false })
      : undefined;
    // ioredis reports connection errors as events; without a listener they would crash the process.
    this.redis?.on('error', () => undefined);
    this.eviction = this.redis && new RedisEvictionGuard(this.redis, "the login throttle's counters");
    const prefix = options.redisKeyPrefix ?? 'tandem:login';
    const points = {
      address: options.addressAttempts ?? options.attempts * 4,
      pair: options.attempts,
      account: options.accountAttempts ?? options.attempts * 4,
      signIns: options.accountSignIns ?? 100,
    };
    const settings = (stage: Stage) => ({
      keyPrefix: `${prefix}:${stage === 'signIns' ? 'sign-ins' : stage}`,
      points: points[stage],
      duration: options.windowSeconds,
    });
    const stages = <Limiter>(limiter: (stage: Stage) => Limiter): Readonly<Record<Stage, Limiter>> => ({
      address: limiter('address'),
      pair: limiter('pair'),
      account: limiter('account'),
      signIns: limiter('signIns'),
    });
    this.local = stages((stage) => new RateLimiterMemory(settings(stage)));
    // A rate-limiter-flexible whose memory records moved fails here, at start, not at a give-back.
    for (const limiter of Object.values(this.local)) memoryRecords(limiter);
    const redis = this.redis;
    // No insuranceLimiter: count() stands the memory counters in itself, to know which counter took a
    // point (it goes back to that one only).
    this.shared =
      redis &&
      stages(
        (stage) =>
          new RateLimiterRedis({ ...settings(stage), storeClient: redis, rejectIfRedisNotReady: true }),
      );
  }

  /** Resolves once the Redis connection is up (at once with the memory store). */
  async ready(): Promise<void> {
    const redis = this.redis;
    if (!redis || redis.status === 'ready') return;
    await new Promise<void>((resolve, reject) => {
      const onReady = () => {
        redis.off('error', onError);
        resolve();
      };
      const onError = (error: Error) => {
        redis.off('ready', onReady);
        reject(error);
      };
      redis.once('ready', onReady).once('error', onError);
    });
  }

  /**
   * Why the counters are kept in this process's memory although Redis is set (its maxmemory-policy
   * evicts), as of the latest check; undefined otherwise. For the start-up log.
   */
  async redisHazard(): Promise<string | undefined> {
    await this.eviction?.checked;
    return this.eviction?.hazard;
  }

  private async spends(account: string, address: string): Promise<Readonly<Record<Stage, Spend>>> {
    await this.eviction?.checked;
    const shared = this.eviction?.hazard === undefined ? this.shared : undefined;
    const spend = (stage: Stage, key: string): Spend => ({
      shared: shared?.[stage],
      local: this.local[stage],
      key,
    });
    const key = accountKey(account);
    const network = throttledNetwork(address);
    return {
      address: spend('address', network),
      pair: spend('pair', `${key}:${network}`),
      account: spend('account', key),
      signIns: spend('signIns', key),
    };
  }

  /**
   * Counts a point in Redis, or in this process's memory without Redis or while Redis does not answer
   * (what RateLimiterRedis's insuranceLimiter does, but here the point records which counter took it).
   */
  private async count({ shared, local, key }: Spend): Promise<Counted> {
    if (shared && this.redis) {
      const redis = this.redis;
      const counted = await consume(shared, key).catch(() => undefined);
      if (counted) {
        const point = {
          store: 'redis',
          limiter: shared,
          redis,
          key,
          windowEndsAt: windowEnd(counted.window),
        } as const;
        return { point, refusal: counted.refused ? counted.window : undefined };
      }
    }
    const counted = await consume(local, key);
    const point = { store: 'memory', limiter: local, key, windowEndsAt: windowEnd(counted.window) } as const;
    return { point, refusal: counted.refused ? counted.window : undefined };
  }

  /**
   * Spends one point of every stage for a guess at `account` from `address`, before its password is
   * checked. Allowed: the reservation is what recordSuccess takes. Refused: nothing is checked, and
   * the answer says how long to wait.
   */
  async reserve(account: string, address: string): Promise<ThrottleVerdict> {
    const spends = await this.spends(account, address);
    const taken: { readonly stage: Stage; readonly point: SpentPoint }[] = [];
    const take = async (stage: Stage): Promise<SpentPoint> => {
      const { point, refusal } = await this.count(spends[stage]);
      taken.push({ stage, point });
      if (refusal) throw refusal;
      return point;
    };
    try {
      // The address first: a sprayer it refuses creates no per-account entries at all.
      const reservation: Reservation = {
        address: await take('address'),
        pair: await take('pair'),
        account: await take('account'),
        signIns: await take('signIns'),
      };
      return { allowed: true, reservation };
    } catch (refusal) {
      // The refusing stage counted this request's point too: it goes back with the others, or refused
      // requests would push the counter past its limit, where later successes (a point back each)
      // could not bring it under again: parallel right-password logins locked their own account.
      await Promise.all(taken.map(({ point }) => giveBack(point)));
      if (!(refusal instanceof RateLimiterRes)) throw refusal;
      return {
        allowed: false,
        retryAfterSeconds: Math.max(1, Math.ceil(refusal.msBeforeNext / 1000)),
        reason: taken.at(-1)?.stage === 'signIns' ? 'sign_ins' : 'failures',
      };
    }
  }

  /**
   * A reserved guess succeeded: the pair's counter is cleared (whoever is at that address knows the
   * password), and the account-wide and address counters get this guess's point back (only failures
   * count there, so other addresses' failures still do), if the window it was taken in is still
   * theirs. The sign-in stage keeps it.
   */
  async recordSuccess(reservation: Reservation): Promise<void> {
    const { pair } = reservation;
    await Promise.all([
      // A Redis that does not answer keeps the pair's count, as it keeps the points (see giveBack).
      pair.limiter.delete(pair.key).catch(() => undefined),
      giveBack(reservation.account),
      giveBack(reservation.address),
    ]);
  }

  /** Closes the Redis connection, if any. */
  async close(): Promise<void> {
    this.eviction?.close();
    if (this.redis && this.redis.status !== 'end') await this.redis.quit().catch(() => undefined);
  }
}
