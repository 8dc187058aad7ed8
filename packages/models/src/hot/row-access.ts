/**
 * Row access (issue 14): a hot collection whose rows each belong to someone. A row is served and
 * pushed only to a token whose claim equals the row's field, e.g. an order's `userId` and the user id
 * in `sub`; a token with the lifting scope (a trusted machine client) sees every row.
 */
export interface RowAccess {
  /** Exposed field holding the row's owner, e.g. "userId" (a many-to-one to User exposes its id). */
  readonly field: string;
  /** The token claim compared with the field: one of ROW_ACCESS_CLAIMS. */
  readonly claim: RowAccessClaim;
  /** A scope that lifts the rule: its tokens read every row, like a shared collection. */
  readonly anyScope?: string;
}

/**
 * The claims a row-access rule may name. The verifier reads each one once per token into the string
 * a row's owner key is compared with (the fast service keeps its rows' keys in the same spelling), so
 * a request compares two strings; a token whose claim is absent or of another shape has no key and is
 * refused (403), never matched. A tenant claim is one more entry here and its reader in
 * @tandem/tokens (the type makes the reader required).
 */
export const ROW_ACCESS_CLAIMS = {
  sub: {
    /** What the row field must hold (checked against the ORM metadata at start-up). */
    fieldType: 'integer',
    holder: "a user's token (its sub is the user id; a machine client's sub is client:<id>)",
  },
  /**
   * The token's `sub` verbatim, whoever holds it: rows a machine client owns as well as a user (a
   * write's outcome belongs to whoever sent the write).
   */
  subject: {
    fieldType: 'string',
    holder: 'the token (its sub verbatim: a user id, or client:<id> for a machine client)',
  },
} as const;

export type RowAccessClaim = keyof typeof ROW_ACCESS_CLAIMS;

export function isRowAccessClaim(claim: string): claim is RowAccessClaim {
  return Object.hasOwn(ROW_ACCESS_CLAIMS, claim);
}

/**
 * A row's owner key as the verifier spells a claim's value: a JSON integer or string in its decimal
 * or literal form; undefined (nobody's row) for null, a missing field or any other value.
 */
export function ownerKeyOf(value: unknown): string | undefined {
  if (typeof value === 'number') return Number.isSafeInteger(value) ? String(value) : undefined;
  return typeof value === 'string' && value !== '' ? value : undefined;
}
