import { ROW_ACCESS_CLAIMS } from '@tandem/models';
import { AccessTokenVerifier, type VerifiedAccessToken } from '@tandem/tokens';
import type { PreparedRecord } from '../data/prepared-record.js';
import { CollectionStore, type HotStore } from '../data/store.js';
import { insufficientScope } from './auth.js';
import { decimalValue } from './decimal-value.js';
import { jsonError, type Reply } from './respond.js';

/**
 * The id of `/v1/{collection}/{id}` as a number: 1 to 15 decimal digits, no leading zero (so each id
 * has one spelling and stays a safe integer), else undefined. No regex call, on every record GET.
 */
export function recordId(id: string): number | undefined {
  return id.charCodeAt(0) === ZERO ? undefined : decimalValue(id, 15);
}

const ZERO = 48;

export function notFound(collection: string, id: string): Reply {
  return jsonError(404, 'not_found', `No ${collection} record with id ${JSON.stringify(id)}.`);
}

export function unknownCollection(collection: string): Reply {
  return jsonError(404, 'not_found', `There is no collection named ${JSON.stringify(collection)}.`);
}

export function notReady(): Reply {
  return jsonError(503, 'not_ready', 'The service is loading its data; retry shortly.', [
    ['Retry-After', '1'],
  ]);
}

/**
 * The collection a token may read now, or why not: unknown collection (404), missing scope or, where
 * rows belong to owners, no claim naming one (403), snapshot not loaded yet (503), checked in that
 * order by every /v1 route.
 */
export function readableCollection(
  store: HotStore,
  collection: string,
  token: VerifiedAccessToken,
): CollectionStore | Reply {
  const records = store.get(collection);
  if (!records) return unknownCollection(collection);
  if (!AccessTokenVerifier.grants(token, records.scope, records.scopeBit))
    return insufficientScope(records.scope);
  // Shared collections (no rowAccess) skip this: their path is what it was before row access.
  if (records.rowAccess !== undefined && records.readsAs(token) === undefined)
    return insufficientScope(records.rowAccess!.anyScope, ownerClaimMissingMessage(records));
  if (!store.ready) return notReady();
  return records;
}

/** Why a token that owns no rows of a row-access collection (and may not read everyone's) is refused. */
export function ownerClaimMissingMessage(records: CollectionStore): string {
  const { claim, anyScope } = records.rowAccess!;
  const lift = anyScope === undefined ? '' : `, or the ${anyScope} scope to read every row`;
  return `Each ${records.name} record is visible to its owner only: reading them needs ${ROW_ACCESS_CLAIMS[claim].holder}${lift}. This token has no such claim.`;
}

/**
 * Whose rows `token` reads in `records` (CollectionStore.readsAs): null for all of them, else the
 * token's owner key. Only after readableCollection, which refuses a token that has none.
 */
export function readerOf(records: CollectionStore, token: VerifiedAccessToken): string | null {
  const owner = records.readsAs(token);
  if (owner === undefined) throw new Error(`readableCollection let a token that reads no ${records.name} in`);
  return owner;
}

/** GET /v1/{collection}/{id}: prepared bytes and ETag; 304 when the client already has them. */
export function recordReply(
  store: HotStore,
  collection: string,
  id: string,
  ifNoneMatch: string,
  token: VerifiedAccessToken,
): Reply {
  const records = readableCollection(store, collection, token);
  if (!(records instanceof CollectionStore)) return records;
  const owner = records.rowAccess === undefined ? null : readerOf(records, token);
  const number = recordId(id);
  if (number === undefined) return notFound(collection, id);
  // A 200 from where the snapshot put the bytes, without reading the record object (SlabLocations);
  // anything else (a conditional GET, a record changed since, a hot window's row) from the record.
  const { located } = records;
  if (ifNoneMatch === '' && located.has(number) && (owner === null || located.owner(number) === owner))
    return { status: 200, body: located.bytes(number), etag: located.etag(number) };
  return preparedRecordReply(collection, id, records.get(number), owner, ifNoneMatch);
}

/**
 * The answer for `record` (undefined: none) to a reader of `owner`'s rows (null: every row): GET's
 * 200 or 304, or its 404. Another owner's row is answered exactly like a missing one: the same bytes,
 * no existence leak.
 */
export function preparedRecordReply(
  collection: string,
  id: string,
  record: PreparedRecord | undefined,
  owner: string | null,
  ifNoneMatch: string,
): Reply {
  if (!record || (owner !== null && record.owner !== owner)) return notFound(collection, id);
  if (ifNoneMatch !== '' && etagMatches(ifNoneMatch, record.etag.toString('latin1')))
    return { status: 304, body: '', etag: record.etag };
  return { status: 200, body: record.bytes, etag: record.etag };
}

/** RFC 9110 §13.1.2 (weak comparison): `*`, or any listed tag equal to ours with or without W/. */
export function etagMatches(header: string, etag: string): boolean {
  if (header === etag) return true;
  for (const candidate of header.split(',')) {
    const tag = candidate.trim();
    if (tag === '*' || tag === etag || tag === `W/${etag}`) return true;
  }
  return false;
}
