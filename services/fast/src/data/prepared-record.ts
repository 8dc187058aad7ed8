/** A record ready to send: its JSON bytes and ETag, computed once when it changed. */
export interface PreparedRecord {
  readonly id: number;
  readonly bytes: Buffer;
  /** The quoted entity tag of `bytes`, ready to be written as the ETag header. */
  readonly etag: Buffer;
  /** Values of the filterable fields, as query strings compare them. */
  readonly filterKeys: readonly string[];
}

/** What changed in a collection, as live subscribers are told. */
export type StoreChange =
  { readonly op: 'upsert'; readonly record: PreparedRecord } | { readonly op: 'delete'; readonly id: number };

/**
 * The byte written after each record in a snapshot's slabs (a comma), so records that are neighbours in
 * id order already form a JSON array fragment; list bodies put the same byte between records.
 */
export const RECORD_SEPARATOR = 0x2c;
