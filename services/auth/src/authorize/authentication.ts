/** What a finished sign-in (password, and any further step) proved. */
export interface Authentication {
  readonly userId: number;
  /** RFC 8176 methods: `pwd`, then e.g. `otp` (two-factor adds it). */
  readonly amr: readonly string[];
  /**
   * credentialStamp of the stored password hash the password step verified: the sign-in starts only
   * while that is still the user's password (startSignIn), so a password changed meanwhile wins.
   */
  readonly stamp: string;
  readonly acr?: string;
  /**
   * The pending sign-in's attempt id (pending-sign-in.ts) when a step after the password finished
   * it: startSignIn lets each attempt finish one sign-in only.
   */
  readonly attempt?: string;
}
