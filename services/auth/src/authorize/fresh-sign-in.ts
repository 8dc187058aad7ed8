import { createHmac, timingSafeEqual } from 'node:crypto';
import { deriveKey } from '@tandem/tokens';

/**
 * Proof, carried by the consent form, that the person at the page signed in for this very request:
 * an HMAC of the sign-in's id and the authorization request. prompt=login, max_age and login_hint ask
 * for such a sign-in; when the consent page follows one, its answer must count as "just signed in",
 * and an answer without the proof (a consent form posted straight from the login page's fields, at an
 * unattended browser) must meet those demands again. A later sign-in has another id, and another
 * request another text, so the proof is good for the one consent it was shown with.
 */
export class FreshSignIns {
  private readonly key: Buffer;

  constructor(secretKey: string) {
    this.key = deriveKey(secretKey, 'authorize-fresh-sign-in');
  }

  /** `signIn`: the sign-in's id (login_sessions.id); `authorization`: the request's raw query. */
  proof(signIn: string, authorization: string): string {
    return createHmac('sha256', this.key).update(`${signIn}\n${authorization}`).digest('base64url');
  }

  holds(presented: string | undefined, signIn: string, authorization: string): boolean {
    if (presented === undefined) return false;
    const expected = Buffer.from(this.proof(signIn, authorization));
    const given = Buffer.from(presented);
    return expected.length === given.length && timingSafeEqual(expected, given);
  }
}
