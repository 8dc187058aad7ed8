import type { VerifiedAccessToken } from '@tandem/tokens';
import { CollectionStore, type HotStore } from '../data/store.js';
import { insufficientScope } from './auth.js';
import { jsonError, type Reply } from './respond.js';

const ID = /^[1-9][0-9]{0,14}$/;

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
 * The collection a token may read now, or why not: unknown collection (404), missing scope (403),
 * snapshot not loaded yet (503), checked in that order by every /v1 route.
 */
export function readableCollection(
  store: HotStore,
  collection: string,
  token: VerifiedAccessToken,
): CollectionStore | Reply {
  const records = store.get(collection);
  if (!records) return unknownCollection(collection);
  if (!token.scopes.has(records.scope)) return insufficientScope(records.scope);
  if (!store.ready) return notReady();
  return records;
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
  const record = ID.test(id) ? records.get(Number(id)) : undefined;
  if (!record) return notFound(collection, id);
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
