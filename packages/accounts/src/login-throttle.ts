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
 * Refused: `failures` when too many guesses failed (a stage of guesses), `sign_ins` when the account
 * was checked too often, successes included.
 */
export type ThrottleVerdict =
  | { readonly allowed: true }
  | {
      readonly allowed: false;
      readonly retryAfterSeconds: number;
      readonly reason: 'failures' | 'sign_ins';
    };

/** One counter a guess spends a point of, and the key it spends it under. */
interface Spend {
  readonly limiter: RateLimiterAbstract;
  readonly key: string;
}

/** The four stages' counters (see LoginThrottle). */
interface Stages {
  readonly address: RateLimiterAbstract;
  readonly pair: RateLimiterAbstract;
  readonly account: RateLimiterAbstract;
  readonly signIns: RateLimiterAbstract;
}

/** What one guess spends, stage by stage. */
interface Spends {
  readonly address: Spend;
  readonly pair: Spend;
  readonly account: Spend;
  readonly signIns: Spend;
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
 * succeeds (the sign-in stage's point is kept either way).
 * With Redis, a per-process memory limiter stands in while Redis is unreachable, and while its
 * maxmemory-policy lets it delete keys (RedisEvictionGuard).
 */
export class LoginThrottle {
  /** The counters in this process's memory: all of them without Redis, and its stand-in with it. */
  private readonly local: Stages;
  /** The counters in Redis, shared by every instance. */
  private readonly shared: Stages | undefined;
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
    const settings = (stage: keyof Stages) => ({
      keyPrefix: `${prefix}:${stage === 'signIns' ? 'sign-ins' : stage}`,
      points: points[stage],
      duration: options.windowSeconds,
    });
    const stages = (limiter: (stage: keyof Stages) => RateLimiterAbstract): Stages => ({
      address: limiter('address'),
      pair: limiter('pair'),
      account: limiter('account'),
      signIns: limiter('signIns'),
    });
    this.local = stages((stage) => new RateLimiterMemory(settings(stage)));
    const redis = this.redis;
    this.shared =
      redis &&
      stages(
        (stage) =>
          new RateLimiterRedis({
            ...settings(stage),
            storeClient: redis,
            rejectIfRedisNotReady: true,
            insuranceLimiter: this.local[stage],
          }),
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

  private async spends(account: string, address: string): Promise<Spends> {
    await this.eviction?.checked;
    const stages = this.shared && this.eviction?.hazard === undefined ? this.shared : this.local;
    const key = accountKey(account);
    const network = throttledNetwork(address);
    return {
      address: { limiter: stages.address, key: network },
      pair: { limiter: stages.pair, key: `${key}:${network}` },
      account: { limiter: stages.account, key },
      signIns: { limiter: stages.signIns, key },
    };
  }

  /**
   * Spends one point of every stage for a guess at `account` from `address`, before its password is
   * checked. Refused: nothing is checked, and the answer says how long to wait.
   */
  async reserve(account: string, address: string): Promise<ThrottleVerdict> {
    const spends = await this.spends(account, address);
    const spent: Spend[] = [];
    // The address first: a sprayer it refuses creates no per-account entries at all.
    for (const spend of [spends.address, spends.pair, spends.account, spends.signIns]) {
      try {
        await spend.limiter.consume(spend.key);
        spent.push(spend);
      } catch (refusal) {
        // The refusing stage counted this request's point too: it goes back with the others, or refused
        // requests would push the counter past its limit, where later successes (a point back each)
        // could not bring it under again: parallel right-password logins locked their own account.
        const counted = refusal instanceof RateLimiterRes ? [...spent, spend] : spent;
        await Promise.all(counted.map(({ limiter, key }) => limiter.reward(key, 1)));
        if (!(refusal instanceof RateLimiterRes)) throw refusal;
        return {
          allowed: false,
          retryAfterSeconds: Math.max(1, Math.ceil(refusal.msBeforeNext / 1000)),
          reason: spend === spends.signIns ? 'sign_ins' : 'failures',
        };
      }
    }
    return { allowed: true };
  }

  /**
   * A reserved guess succeeded: the pair's counter is cleared (whoever is at that address knows the
   * password), and the account-wide and address counters get this guess's point back (only failures
   * count there, so other addresses' failures still do). The sign-in stage keeps it.
   */
  async recordSuccess(account: string, address: string): Promise<void> {
    const spends = await this.spends(account, address);
    await Promise.all([
      spends.pair.limiter.delete(spends.pair.key),
      spends.account.limiter.reward(spends.account.key, 1),
      spends.address.limiter.reward(spends.address.key, 1),
    ]);
  }

  /** Closes the Redis connection, if any. */
  async close(): Promise<void> {
    this.eviction?.close();
    if (this.redis && this.redis.status !== 'end') await this.redis.quit().catch(() => undefined);
  }
}
