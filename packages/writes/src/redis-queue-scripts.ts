import type { Redis } from 'ioredis';

/**
 * accept, for a batch of writes in one script: Redis runs a script alone, so each write's idempotency
 * check, the depth bound, the id, the entry and the markers see no other client in between (two
 * requests with one key cannot both pass the check, in one batch or in two). The writes are taken in
 * the batch's order, each seeing the ones before it (a key used twice in one batch replays the first).
 * One call per batch rather than per write: a call costs the fast node a command, a socket write and a
 * reply of its own, and Redis the script's start (bench/writes-accept.ts measured both per write).
 *
 * Redis does not roll a script back, and refuses a write for lack of memory only before a script's
 * first write: the sequence and depth checks come first, and each entry's XADD (the one write that could
 * fail) comes before the markers that point at it. A failed XADD ends the batch there: the writes
 * before it are queued and answered, it and the ones after it get 'failed' and the error.
 *
 * The depth bound reads the depth key (RECOUNT_DEPTH's exact count, plus one per accept since), not an
 * XLEN of every stream per write: acks do not lower it, so between recounts it can only overstate the
 * depth (the bound may refuse early by the writes acknowledged since the last recount, never admit
 * past it). When the key is missing (first use, expired with no fast node recounting, Redis lost its
 * data) the script counts the streams itself.
 *
 * KEYS: sequence, depth, the P partition streams, then the batch's idempotency keys.
 * ARGV: P, max depth, idempotency TTL (s), queued-marker prefix, queued-marker TTL (s), depth key TTL
 *       (ms), then five per write: its stream (1..P), its idempotency key's index in KEYS (0: none),
 *       bodyHash, payload, subject.
 * Returns {'no_sequence'} when the sequence is missing (a new or emptied Redis; nothing done): the
 * caller floors it (FLOOR_SEQUENCE) and sends the batch again. Else two items per write: accepted,
 * replayed or key_reused and the id; busy and the depth; or failed and XADD's error, which ends the list.
 */
const ACCEPT_BATCH = `
local partitions = tonumber(ARGV[1])
if redis.call('EXISTS', KEYS[1]) == 0 then return {'no_sequence'} end
local depth = tonumber(redis.call('GET', KEYS[2]))
if not depth then
  depth = 0
  for i = 3, 2 + partitions do depth = depth + redis.call('XLEN', KEYS[i]) end
  redis.call('SET', KEYS[2], depth, 'PX', ARGV[6])
end
local max = tonumber(ARGV[2])
local out = {}
local added = 0
for a = 7, #ARGV, 5 do
  local idem = tonumber(ARGV[a + 1])
  local prior = false
  if idem > 0 then prior = redis.call('GET', KEYS[idem]) end
  if prior then
    local space = string.find(prior, ' ', 1, true)
    local id = tonumber(string.sub(prior, 1, space - 1))
    out[#out + 1] = string.sub(prior, space + 1) == ARGV[a + 2] and 'replayed' or 'key_reused'
    out[#out + 1] = id
  elseif depth >= max then
    out[#out + 1] = 'busy'
    out[#out + 1] = depth
  else
    local id = redis.call('INCR', KEYS[1])
    local entry = redis.pcall('XADD', KEYS[2 + tonumber(ARGV[a])], id .. '-0', 'w', ARGV[a + 3])
    if type(entry) == 'table' and entry.err then
      out[#out + 1] = 'failed'
      out[#out + 1] = entry.err
      break
    end
    depth = depth + 1
    added = added + 1
    if idem > 0 then redis.call('SET', KEYS[idem], id .. ' ' .. ARGV[a + 2], 'EX', ARGV[3]) end
    redis.call('SET', ARGV[4] .. id, ARGV[a + 4], 'EX', ARGV[5])
    out[#out + 1] = 'accepted'
    out[#out + 1] = id
  end
end
if added > 0 then redis.call('INCRBY', KEYS[2], added) end
return out
`;

/**
 * The queue depth, counted exactly (the streams' lengths: acknowledged writes are deleted from them),
 * and stored in the depth key for ACCEPT_BATCH's bound with a TTL, so a count no fast node refreshes any more
 * expires and the next accept counts again. KEYS: depth, then every stream. ARGV: depth key TTL (ms).
 */
const RECOUNT_DEPTH = `
local depth = 0
for i = 2, #KEYS do depth = depth + redis.call('XLEN', KEYS[i]) end
redis.call('SET', KEYS[1], depth, 'PX', ARGV[1])
return depth
`;

/**
 * Sets the sequence to at least ARGV[1] (the highest write id the database has seen) and at least every
 * stream's last generated id, so that ids never repeat: not after Redis lost its data (the outcome rows
 * keep their ids), nor when only the sequence key was lost (XADD needs ids above the stream's last).
 * KEYS: sequence, then every stream.
 */
const FLOOR_SEQUENCE = `
local floor = tonumber(ARGV[1])
local current = tonumber(redis.call('GET', KEYS[1]) or '0')
if current > floor then floor = current end
for i = 2, #KEYS do
  if redis.call('EXISTS', KEYS[i]) == 1 then
    local info = redis.call('XINFO', 'STREAM', KEYS[i])
    for j = 1, #info, 2 do
      if info[j] == 'last-generated-id' then
        local top = tonumber(string.match(info[j + 1], '^(%d+)-'))
        if top > floor then floor = top end
      end
    end
  end
end
redis.call('SET', KEYS[1], floor)
return floor
`;

/**
 * Acknowledges applied writes of one partition: XACK (out of the pending list), XDEL (out of the stream,
 * so the streams' lengths are the queue depth), and the queued marker kept one more minute: a GET of the
 * write in that minute finds it "queued" rather than missing while its outcome row travels the feed.
 * KEYS: the stream. ARGV: group, queued-marker prefix, marker TTL (ms), then the write ids.
 */
const ACK = `
for i = 4, #ARGV do
  local entry = ARGV[i] .. '-0'
  redis.call('XACK', KEYS[1], ARGV[1], entry)
  redis.call('XDEL', KEYS[1], entry)
  redis.call('PEXPIRE', ARGV[2] .. ARGV[i], ARGV[3])
end
return #ARGV - 3
`;

/** Renews a partition lease if this applier still holds it. KEYS: lease. ARGV: holder, ttl (ms). */
const RENEW_LEASE = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 0
`;

/** Gives a partition lease up if this applier still holds it. KEYS: lease. ARGV: holder. */
const RELEASE_LEASE = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
`;

type Reply = Promise<unknown>;

/** The queue's scripts on a connection (EVALSHA, loaded on first use by ioredis). */
export interface QueueScripts {
  writeAcceptBatch(numberOfKeys: number, keys: readonly string[], args: readonly (string | number)[]): Reply;
  writeFloorSequence(numberOfKeys: number, ...keysThenArgs: (string | number)[]): Reply;
  writeRecountDepth(numberOfKeys: number, ...keysThenArgs: (string | number)[]): Reply;
  writeAck(stream: string, ...args: (string | number)[]): Reply;
  writeRenewLease(lease: string, holder: string, ttlMs: number): Reply;
  writeReleaseLease(lease: string, holder: string): Reply;
}

export function withQueueScripts(redis: Redis): Redis & QueueScripts {
  redis.defineCommand('writeAcceptBatch', { lua: ACCEPT_BATCH });
  redis.defineCommand('writeFloorSequence', { lua: FLOOR_SEQUENCE });
  redis.defineCommand('writeRecountDepth', { lua: RECOUNT_DEPTH });
  redis.defineCommand('writeAck', { lua: ACK, numberOfKeys: 1 });
  redis.defineCommand('writeRenewLease', { lua: RENEW_LEASE, numberOfKeys: 1 });
  redis.defineCommand('writeReleaseLease', { lua: RELEASE_LEASE, numberOfKeys: 1 });
  return redis as Redis & QueueScripts;
}
