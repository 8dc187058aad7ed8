import { createHash, randomBytes } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/core';
import { LoginThrottle, type LoginThrottleOptions } from '@tandem/accounts';
import { SealedTextError, openSealedText, sealText, type SealContext } from '@tandem/tokens';
import { qrCodeSvg } from './qr-code.js';
import { RecoveryCodeHasher, newRecoveryCodes } from './recovery-codes.js';
import { looksLikeTotpCode, matchingTotpStep, newTotpSecret, totpUri } from './totp.js';
import {
  claimRecoveryCode,
  claimTotpStep,
  confirmTotp,
  findTotp,
  removeTwoFactor,
  storePendingSecret,
  twoFactorEnrolled,
  unusedRecoveryCodes,
  type StoredTotp,
} from './two-factor-store.js';

/** RFC 8176 `amr` value of a sign-in that passed a one-time password (TOTP or recovery code). */
export const OTP_AMR = 'otp';

/** Who is proving a second factor: the user id, and the account name the throttle and apps show. */
export interface TwoFactorUser {
  readonly id: number;
  readonly email: string;
}

export interface TwoFactorStatus {
  readonly enrolled: boolean;
  readonly recoveryCodesLeft: number;
}

/** What an enrolment page shows. The secret is for typing in by hand; it is never logged. */
export interface Enrolment {
  readonly secret: string;
  readonly uri: string;
  readonly qrSvg: string;
}

export type CodeRefusal =
  | { readonly ok: false; readonly reason: 'throttled'; readonly retryAfterSeconds: number }
  /** Not a current code, not an unused recovery code, or nothing to check it against. */
  | { readonly ok: false; readonly reason: 'invalid' }
  /** A right code whose time step was already used (a replay, or the same code typed twice). */
  | { readonly ok: false; readonly reason: 'reused' };

export type CodeVerdict = { readonly ok: true; readonly method: 'totp' | 'recovery' } | CodeRefusal;

export type ConfirmVerdict = { readonly ok: true; readonly recoveryCodes: readonly string[] } | CodeRefusal;

export interface TwoFactorOptions {
  readonly em: EntityManager;
  /** TANDEM_SECRET_KEY: seals the TOTP secrets and keys the recovery-code HMACs. */
  readonly secretKey: string;
  /** The password throttle's limits; the code guesses count in their own counters. */
  readonly throttle: LoginThrottleOptions;
  /** The issuer name authenticator apps show (config.twoFactor.issuer). */
  readonly issuer: string;
}

/**
 * How long an unconfirmed secret can be confirmed. Enough to scan a QR code and type a code; short, so
 * a secret shown to someone who then left is not waiting for the real user to adopt it.
 */
export const ENROLMENT_TTL_SECONDS = 10 * 60;

/**
 * Which enrolment a secret belongs to: an opaque id of the sign-in or session that displays it (the
 * auth service's pending sign-in, the admin session). Only that attempt sees the secret again or can
 * confirm it; any other attempt gets a fresh secret, in its place.
 */
export type EnrolmentAttempt = string;

/** A new attempt's id: random, so no two sign-ins (or sessions) share an enrolment. */
export function newEnrolmentAttempt(): EnrolmentAttempt {
  return randomBytes(16).toString('base64url');
}

/** Longest code input considered (a recovery code with generous spacing); longer is refused unread. */
const MAX_CODE_LENGTH = 64;

/**
 * Two-factor sign-in for one service: enrolment (secret + QR code, confirmed by a first code, ten
 * recovery codes shown once) and verification of a TOTP or recovery code. Every code guess, at
 * enrolment or sign-in, is reserved in a LoginThrottle (the password limits, in counters of their own)
 * before it is checked, so parallel guesses cannot outrun the limit. A TOTP code is accepted once
 * (its time step is claimed atomically) and a recovery code once (marked used atomically).
 */
export class TwoFactor {
  private readonly em: EntityManager;
  private readonly secretKey: string;
  private readonly issuer: string;
  private readonly hasher: RecoveryCodeHasher;
  private readonly throttle: LoginThrottle;

  constructor(options: TwoFactorOptions) {
    this.em = options.em;
    this.secretKey = options.secretKey;
    this.issuer = options.issuer;
    this.hasher = new RecoveryCodeHasher(options.secretKey);
    const prefix = options.throttle.redisKeyPrefix ?? 'tandem:login';
    this.throttle = new LoginThrottle({ ...options.throttle, redisKeyPrefix: `${prefix}:2fa` });
  }

  private sealing(userId: number): SealContext {
    return { secretKey: this.secretKey, purpose: 'totp-secret-encryption', boundTo: `user:${userId}` };
  }

  /**
   * An unconfirmed secret is sealed for its attempt too (a digest of the id, as additional data): it
   * opens for that attempt only, so nothing has to be stored to tell attempts apart. Confirming
   * re-seals it with `sealing`, for the user alone.
   */
  private attemptSealing(userId: number, attempt: EnrolmentAttempt): SealContext {
    const digest = createHash('sha256').update(attempt).digest('base64url');
    return { ...this.sealing(userId), boundTo: `user:${userId} enrolment:${digest}` };
  }

  /** The secret of `stored` if it is unconfirmed, not expired and this attempt's; else undefined. */
  private pendingSecret(
    stored: StoredTotp | null,
    userId: number,
    attempt: EnrolmentAttempt,
  ): string | undefined {
    if (!stored || stored.confirmed) return undefined;
    if (stored.createdAt.getTime() + ENROLMENT_TTL_SECONDS * 1000 <= Date.now()) return undefined;
    try {
      return openSealedText(stored.secretEncrypted, this.attemptSealing(userId, attempt));
    } catch (error) {
      if (error instanceof SealedTextError) return undefined;
      throw error;
    }
  }

  private async enrolment(user: TwoFactorUser, secret: string): Promise<Enrolment> {
    const uri = totpUri(secret, user.email, this.issuer);
    return { secret, uri, qrSvg: await qrCodeSvg(uri) };
  }

  private throttleKey(user: TwoFactorUser): string {
    return `user:${user.id}`;
  }

  async status(userId: number): Promise<TwoFactorStatus> {
    if (!(await twoFactorEnrolled(this.em, userId))) return { enrolled: false, recoveryCodesLeft: 0 };
    return { enrolled: true, recoveryCodesLeft: await unusedRecoveryCodes(this.em, userId) };
  }

  /**
   * The secret for this enrolment attempt: the one it was shown already (a reloaded page or a wrong
   * code shows the same), else a fresh one that takes the place of any other unconfirmed secret (another
   * attempt's, perhaps planted by someone who knew the password, or an expired one). Null when the
   * user already has a confirmed authenticator.
   */
  async beginEnrolment(user: TwoFactorUser, attempt: EnrolmentAttempt): Promise<Enrolment | null> {
    // A parallel enrolment may change the row between the read and the write: read again then.
    for (let tries = 0; tries < 3; tries++) {
      const stored = await findTotp(this.em, user.id);
      if (stored?.confirmed) return null;
      const shown = this.pendingSecret(stored, user.id, attempt);
      if (shown !== undefined) return this.enrolment(user, shown);
      const secret = newTotpSecret();
      const sealed = sealText(secret, this.attemptSealing(user.id, attempt));
      if (await storePendingSecret(this.em, user.id, sealed, stored?.secretEncrypted))
        return this.enrolment(user, secret);
    }
    throw new Error('two-factor enrolment: the pending secret kept changing');
  }

  /**
   * A first code from the new authenticator confirms it, if it is this attempt's secret and not
   * expired; the answer holds the recovery codes, once. Confirming ends the user's other sign-ins
   * and token sessions (confirmTotp).
   */
  async confirmEnrolment(
    user: TwoFactorUser,
    attempt: EnrolmentAttempt,
    code: string,
    address: string,
  ): Promise<ConfirmVerdict> {
    return this.guarded(user, code, address, async () => {
      const stored = await findTotp(this.em, user.id);
      const secret = this.pendingSecret(stored, user.id, attempt);
      if (!stored || secret === undefined) return { ok: false, reason: 'invalid' };
      const step = matchingTotpStep(secret, code);
      if (step === null) return { ok: false, reason: 'invalid' };
      const recoveryCodes = newRecoveryCodes();
      const hashes = recoveryCodes.map((recoveryCode) => this.hasher.hash(recoveryCode));
      const secrets = {
        pendingEncrypted: stored.secretEncrypted,
        confirmedEncrypted: sealText(secret, this.sealing(user.id)),
      };
      if (!(await confirmTotp(this.em, user.id, secrets, step, hashes, user)))
        return { ok: false, reason: 'invalid' };
      return { ok: true, recoveryCodes };
    });
  }

  /** The second step of a sign-in: a current TOTP code or an unused recovery code. */
  async verify(user: TwoFactorUser, code: string, address: string): Promise<CodeVerdict> {
    return this.guarded(user, code, address, async () => {
      const stored = await findTotp(this.em, user.id);
      if (!stored?.confirmed) return { ok: false, reason: 'invalid' };
      if (looksLikeTotpCode(code)) {
        const secret = openSealedText(stored.secretEncrypted, this.sealing(user.id));
        const step = matchingTotpStep(secret, code);
        if (step === null) return { ok: false, reason: 'invalid' };
        return (await claimTotpStep(this.em, user.id, step))
          ? { ok: true, method: 'totp' }
          : { ok: false, reason: 'reused' };
      }
      return (await claimRecoveryCode(this.em, user.id, this.hasher.hash(code)))
        ? { ok: true, method: 'recovery' }
        : { ok: false, reason: 'invalid' };
    });
  }

  /** Turns two-factor sign-in off for oneself: only with a current code (or a recovery code). */
  async disable(user: TwoFactorUser, code: string, address: string): Promise<CodeVerdict> {
    const verdict = await this.verify(user, code, address);
    if (verdict.ok) await removeTwoFactor(this.em, user.id, user, 'disable_two_factor');
    return verdict;
  }

  /**
   * Reserves the guess in the throttle before `check` looks at the code; a success gives the points
   * back (as a right password does), a failure keeps them.
   */
  private async guarded<T extends { ok: boolean }>(
    user: TwoFactorUser,
    code: string,
    address: string,
    check: () => Promise<T | CodeRefusal>,
  ): Promise<T | CodeRefusal> {
    const key = this.throttleKey(user);
    const verdict = await this.throttle.reserve(key, address);
    if (!verdict.allowed)
      return { ok: false, reason: 'throttled', retryAfterSeconds: verdict.retryAfterSeconds };
    const result =
      code.length > MAX_CODE_LENGTH ? ({ ok: false, reason: 'invalid' } as const) : await check();
    if (result.ok) await this.throttle.recordSuccess(verdict.reservation);
    return result;
  }

  /** Resolves once the throttle's Redis connection is up (at once without Redis). */
  async ready(): Promise<void> {
    await this.throttle.ready();
  }

  /** Closes the throttle's Redis connection, if any. */
  async close(): Promise<void> {
    await this.throttle.close();
  }
}
