import { createHmac, timingSafeEqual } from 'node:crypto';
import { deriveKey } from '@tandem/tokens';
import type { SignedIn } from './login-sessions.js';
import type { AuthorizationRequest } from './request.js';

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

  proof(signedIn: SignedIn, request: AuthorizationRequest): string {
    return createHmac('sha256', this.key).update(`${signedIn.id}\n${request.raw}`).digest('base64url');
  }

  holds(presented: string | undefined, signedIn: SignedIn, request: AuthorizationRequest): boolean {
    if (presented === undefined) return false;
    const expected = Buffer.from(this.proof(signedIn, request));
    const given = Buffer.from(presented);
    return expected.length === given.length && timingSafeEqual(expected, given);
  }
}
