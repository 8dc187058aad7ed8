import type { VerifiedAccessToken } from '@tandem/tokens';
import { listBody } from './list-body.js';
import { CollectionStore, type HotStore } from '../data/store.js';
import { decimalValue } from './decimal-value.js';
import { queryPairs } from './query-pairs.js';
import { readableCollection, readerOf } from './record.js';
import { jsonError, type Reply } from './respond.js';

export const DEFAULT_LIMIT = 50;
export const MAX_LIMIT = 1000;
/** A cursor is an id (at most 15 digits, a safe integer); a limit at most 4 digits before its range check. */
const CURSOR_DIGITS = 15;
const LIMIT_DIGITS = 4;

/**
 * GET /v1/{collection}?limit=&after=&{field}=value — keyset pagination over sorted ids, by id; in a
 * row-access collection, over the caller's rows.
 */
export function listReply(
  store: HotStore,
  collection: string,
  query: string,
  token: VerifiedAccessToken,
): Reply {
  const records = readableCollection(store, collection, token);
  if (!(records instanceof CollectionStore)) return records;
  let limit = DEFAULT_LIMIT;
  let limitGiven = false;
  let after: number | undefined;
  const filters: { field: string; value: string }[] = [];
  for (const [name, value] of queryPairs(query)) {
    // One value per parameter: a filter repeated 150 times in one URL made the page walk test each row
    // 150 times (and a row cannot equal two values anyway); a second limit or cursor is ambiguous.
    if (
      name === 'limit'
        ? limitGiven
        : name === 'after'
          ? after !== undefined
          : filters.some((f) => f.field === name)
    )
      return jsonError(
        400,
        'duplicate_parameter',
        `${JSON.stringify(name)} is given more than once; give each parameter once.`,
      );
    if (name === 'limit') {
      limitGiven = true;
      const n = decimalValue(value, LIMIT_DIGITS);
      if (n === undefined || n < 1 || n > MAX_LIMIT)
        return jsonError(400, 'invalid_limit', `limit must be a whole number from 1 to ${MAX_LIMIT}.`);
      limit = n;
    } else if (name === 'after') {
      after = decimalValue(value, CURSOR_DIGITS);
      if (after === undefined)
        return jsonError(400, 'invalid_cursor', 'after must be the "next" cursor of a previous page.');
    } else if (records.filterable.includes(name)) {
      const problem = records.filterValueProblem(name, value);
      if (problem !== undefined) return jsonError(400, 'invalid_filter', problem);
      filters.push({ field: name, value });
    } else {
      const allowed = ['limit', 'after', ...records.filterable].join(', ');
      return jsonError(
        400,
        'unknown_parameter',
        `${JSON.stringify(name)} is not a filter of ${collection} (use ${allowed}).`,
      );
    }
  }
  // A row-access collection lists the caller's rows only, from its owner index (same cursor format).
  const owner = readerOf(records, token) ?? undefined;
  if (owner === undefined || after !== undefined || filters.length > 0)
    return { status: 200, body: listBody(records.page(after, limit, filters, owner)) };
  // "My list"'s first page: bytes kept until one of the owner's rows changes (OwnerFirstPages).
  const pages = records.firstPages!;
  const cached = pages.get(owner, limit);
  if (cached) return { status: 200, body: cached };
  return {
    status: 200,
    body: pages.remember(owner, limit, listBody(records.page(undefined, limit, [], owner))),
  };
}
