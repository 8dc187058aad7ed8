import { createHmac, timingSafeEqual } from 'node:crypto';
import { deriveKey } from '@tandem/tokens';
import type { Authentication } from './authentication.js';

/**
 * A sign-in that passed some steps but not all (the password, not yet the second factor), carried
 * between the steps' forms in a hidden field: the user id, the methods so far, an expiry and the
 * browser it belongs to, signed with a key derived for this purpose. Nothing about it is stored; it
 * is valid for a few minutes, and only in the browser whose CSRF token (`browser`, an HMAC of its CSRF
 * cookie) it was sealed for: copied into another browser, it is refused like an expired one.
 */
export class PendingSignIns {
  private readonly key: Buffer;

  constructor(secretKey: string) {
    this.key = deriveKey(secretKey, 'sign-in-pending');
  }

  private mac(body: string): string {
    return createHmac('sha256', this.key).update(body).digest('base64url');
  }

  /** `stamp`: the credentialStamp of the password the sign-in checked (see `open`). */
  seal(
    authentication: Authentication,
    browser: string,
    stamp: string,
    ttlSeconds = 300,
    now = Date.now(),
  ): string {
    const body = Buffer.from(
      JSON.stringify({
        u: authentication.userId,
        m: authentication.amr,
        c: stamp,
        e: now + ttlSeconds * 1000,
        b: this.mac(`browser:${browser}`),
      }),
    ).toString('base64url');
    return `${body}.${this.mac(body)}`;
  }

  /**
   * The pending sign-in and the credential stamp it was sealed with, or undefined when the value is
   * forged, altered, expired or another browser's. The caller compares the stamp with the user's
   * current one: a password changed since the password step makes the sign-in stale.
   */
  open(
    sealed: string,
    browser: string,
    now = Date.now(),
  ): { authentication: Authentication; stamp: string } | undefined {
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
    };
    if (value.b !== this.mac(`browser:${browser}`)) return undefined;
    return value.e > now ? { authentication: { userId: value.u, amr: value.m }, stamp: value.c } : undefined;
  }
}
