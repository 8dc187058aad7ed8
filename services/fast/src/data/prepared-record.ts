/**
 * A filterable field's value as a filter compares it: its JSON text for a number or a boolean, the
 * string itself, and null (not a string) for null or absent, so that `city=null` selects the rows
 * without a city and not those whose city is the text "null".
 */
export type FilterKey = string | null;

/** A record ready to send: its JSON bytes and ETag, computed once when it changed. */
export interface PreparedRecord {
  readonly id: number;
  readonly bytes: Buffer;
  /**
   * The snapshot slab `bytes` lies in (ByteArena), or undefined when they have a buffer of their own;
   * `start` and `end` are where in it, as plain numbers: list pages read these instead of the Buffer's
   * `byteOffset` and `length`, which optimized code read through a generic property lookup.
   */
  readonly slab: Buffer | undefined;
  readonly start: number;
  readonly end: number;
  /** The quoted entity tag of `bytes`, ready to be written as the ETag header. */
  readonly etag: Buffer;
  /** Values of the filterable fields, as query strings compare them: see FilterKey. */
  readonly filterKeys: readonly FilterKey[];
  /**
   * In a collection with row access, the owner key of the row (its rowAccess field, spelled as the
   * verifier spells the claim): the only token that reads it without the lifting scope. Undefined for
   * a row without an owner, and in shared collections.
   */
  readonly owner: string | undefined;
}

/**
 * What changed in a collection, as live subscribers are told. `movedFrom` is the previous owner of a
 * row whose owner changed (that owner's subscribers are told of a delete); `owner` is the owner of
 * a deleted row.
 */
export type StoreChange =
  | { readonly op: 'upsert'; readonly record: PreparedRecord; readonly movedFrom: string | undefined }
  | { readonly op: 'delete'; readonly id: number; readonly owner: string | undefined };

/**
 * The byte written after each record in a snapshot's slabs (a comma), so records that are neighbours in
 * id order already form a JSON array fragment; list bodies put the same byte between records.
 */
export const RECORD_SEPARATOR = 0x2c;
