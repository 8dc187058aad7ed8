import { RateLimiterMemory, RateLimiterRes } from 'rate-limiter-flexible';

export interface LoginThrottleOptions {
  /** Failed attempts allowed per account within the window. */
  readonly attempts: number;
  readonly windowSeconds: number;
}

export type ThrottleVerdict =
  { readonly allowed: true } | { readonly allowed: false; readonly retryAfterSeconds: number };

/**
 * Counts failed logins per account and per client address. An address gets more room than an
 * account (several people may share one NAT), but a password-spraying client still runs out.
 * Kept in process memory: each service throttles its own login endpoint.
 */
export class LoginThrottle {
  private readonly perAccount: RateLimiterMemory;
  private readonly perAddress: RateLimiterMemory;

  constructor(options: LoginThrottleOptions) {
    this.perAccount = new RateLimiterMemory({
      keyPrefix: 'account',
      points: options.attempts,
      duration: options.windowSeconds,
    });
    this.perAddress = new RateLimiterMemory({
      keyPrefix: 'address',
      points: options.attempts * 4,
      duration: options.windowSeconds,
    });
  }

  async check(account: string, address: string): Promise<ThrottleVerdict> {
    const [byAccount, byAddress] = await Promise.all([
      this.perAccount.get(account.toLowerCase()),
      this.perAddress.get(address),
    ]);
    const blocked = [
      [byAccount, this.perAccount.points],
      [byAddress, this.perAddress.points],
    ].filter(
      ([result, points]) => result instanceof RateLimiterRes && result.consumedPoints >= (points as number),
    );
    if (blocked.length === 0) return { allowed: true };
    const waitMs = Math.max(...blocked.map(([result]) => (result as RateLimiterRes).msBeforeNext));
    return { allowed: false, retryAfterSeconds: Math.max(1, Math.ceil(waitMs / 1000)) };
  }

  async recordFailure(account: string, address: string): Promise<void> {
    await Promise.all([
      this.perAccount.penalty(account.toLowerCase(), 1),
      this.perAddress.penalty(address, 1),
    ]);
  }

  /** A successful login clears the account's counter (the address keeps its count). */
  async recordSuccess(account: string): Promise<void> {
    await this.perAccount.delete(account.toLowerCase());
  }
}
