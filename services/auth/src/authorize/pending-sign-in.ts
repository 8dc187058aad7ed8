import { createHmac, timingSafeEqual } from 'node:crypto';
import { PENDING_SIGN_IN_SECONDS, deriveKey } from '@tandem/tokens';
import type { Authentication } from './authentication.js';

/**
 * A sign-in that passed some steps but not all (the password, not yet the second factor), carried
 * between the steps' forms in a hidden field: the user id, the methods so far, an expiry and the
 * browser it belongs to, signed with a key derived for this purpose. Nothing about it is stored; it
 * is valid for a few minutes, and only in the browser whose CSRF token (`browser`, an HMAC of its CSRF
 * cookie) it was sealed for: copied into another browser, it is refused like an expired one.
 * Each password step seals a new one with a random `attempt` id, which names its two-factor enrolment
 * (@tandem/two-factor): a secret shown to one sign-in cannot be confirmed by another. The sign-in an
 * attempt finishes records it (login_sessions.sign_in_attempt, unique), so one pending sign-in
 * finishes one sign-in: posted again, by whoever holds the browser's cookies of that moment, or twice
 * at once, it is refused.
 */
export class PendingSignIns {
  private readonly key: Buffer;

  constructor(secretKey: string) {
    this.key = deriveKey(secretKey, 'sign-in-pending');
  }

  private mac(body: string): string {
    return createHmac('sha256', this.key).update(body).digest('base64url');
  }

  /**
   * The authentication's `stamp` (the credentialStamp of the password the sign-in checked) goes along,
   * for `open`'s caller to compare. `attempt`: the sign-in's id (newEnrolmentAttempt at the password
   * step, then kept by every later step).
   */
  seal(
    authentication: Authentication,
    browser: string,
    attempt: string,
    ttlSeconds = PENDING_SIGN_IN_SECONDS,
    now = Date.now(),
  ): string {
    const body = Buffer.from(
      JSON.stringify({
        u: authentication.userId,
        m: authentication.amr,
        c: authentication.stamp,
        e: now + ttlSeconds * 1000,
        b: this.mac(`browser:${browser}`),
        a: attempt,
      }),
    ).toString('base64url');
    return `${body}.${this.mac(body)}`;
  }

  /**
   * The pending sign-in (its authentication, stamp included) and its attempt id, or undefined when the
   * value is forged, altered, expired or another browser's. The caller compares the stamp with the
   * user's current one: a password changed since the password step makes the sign-in stale.
   */
  open(
    sealed: string,
    browser: string,
    now = Date.now(),
  ): { authentication: Authentication; attempt: string } | undefined {
    const [body, mac, extra] = sealed.split('.');
    if (body === undefined || mac === undefined || extra !== undefined) return undefined;
    const expected = Buffer.from(this.mac(body));
    const given = Buffer.from(mac);
    if (expected.length !== given.length || !timingSafeEqual(expected, given)) return undefined;
    const value = JSON.parse(Buffer.from(body, 'base64url').toString('utf8')) as {
      u: number;
      m: string[];
      c: string;
      e: number;
      b: string;
      a?: string;
    };
    // Without an attempt id it was sealed before they existed: sign in again.
    if (value.b !== this.mac(`browser:${browser}`) || typeof value.a !== 'string') return undefined;
    if (value.e <= now) return undefined;
    return { authentication: { userId: value.u, amr: value.m, stamp: value.c }, attempt: value.a };
  }
}
