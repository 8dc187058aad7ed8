/** What a finished sign-in (password, and any further step) proved. */
export interface Authentication {
  readonly userId: number;
  /** RFC 8176 methods: `pwd`, then e.g. `otp` (two-factor adds it). */
  readonly amr: readonly string[];
  readonly acr?: string;
}
