import { hash } from 'node:crypto';

/**
 * The entity tag of a record's JSON as the feed builds it (RecordRow.json, RecordChange.json): the
 * quoted first 22 characters of its SHA-1 in base64url (132 bits: collisions are not a concern for
 * change detection). The fast service sends it as `ETag`, and the applier recomputes it from the same
 * bytes to check a write's `If-Match`, so both must use this one function.
 */
export function recordEtag(json: string | Uint8Array): string {
  return `"${hash('sha1', json, 'base64url').slice(0, 22)}"`;
}
