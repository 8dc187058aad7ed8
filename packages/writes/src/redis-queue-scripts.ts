import type { Redis } from 'ioredis';

/**
 * accept, as one script: Redis runs a script alone, so the idempotency check, the depth bound, the id,
 * the entry and the markers see no other client in between (two requests with one key cannot both
 * pass the check). Redis does not roll a script back, so every check comes before the first write,
 * and the one write that could fail (XADD) comes before the markers that point at its entry.
 *
 * The depth bound reads the depth key (RECOUNT_DEPTH's exact count, plus one per accept since), not an
 * XLEN of every stream per write: acks do not lower it, so between recounts it can only overstate the
 * depth (the bound may refuse early by the writes acknowledged since the last recount, never admit
 * past it). When the key is missing (first use, expired with no fast node recounting, Redis lost its
 * data) the script counts the streams itself.
 *
 * KEYS: idempotency key (unused when ARGV[1] is '0'), sequence, target stream, depth, then every stream.
 * ARGV: has key ('1'/'0'), bodyHash, payload, max depth, idempotency TTL (s), queued-marker prefix,
 *       subject, queued-marker TTL (s), depth key TTL (ms).
 * Returns {kind, number}: accepted/replayed/key_reused + id, busy + depth, or no_sequence + 0 when the
 * sequence is missing (a new or emptied Redis): the caller floors it (FLOOR_SEQUENCE) and retries.
 */
const ACCEPT = `
if ARGV[1] == '1' then
  local prior = redis.call('GET', KEYS[1])
  if prior then
    local space = string.find(prior, ' ', 1, true)
    local id = tonumber(string.sub(prior, 1, space - 1))
    if string.sub(prior, space + 1) == ARGV[2] then return {'replayed', id} end
    return {'key_reused', id}
  end
end
local depth = tonumber(redis.call('GET', KEYS[4]))
if not depth then
  depth = 0
  for i = 5, #KEYS do depth = depth + redis.call('XLEN', KEYS[i]) end
  redis.call('SET', KEYS[4], depth, 'PX', ARGV[9])
end
if depth >= tonumber(ARGV[4]) then return {'busy', depth} end
if redis.call('EXISTS', KEYS[2]) == 0 then return {'no_sequence', 0} end
local id = redis.call('INCR', KEYS[2])
redis.call('XADD', KEYS[3], id .. '-0', 'w', ARGV[3])
redis.call('INCR', KEYS[4])
if ARGV[1] == '1' then redis.call('SET', KEYS[1], id .. ' ' .. ARGV[2], 'EX', ARGV[5]) end
redis.call('SET', ARGV[6] .. id, ARGV[7], 'EX', ARGV[8])
return {'accepted', id}
`;

/**
 * The queue depth, counted exactly (the streams' lengths: acknowledged writes are deleted from them),
 * and stored in the depth key for ACCEPT's bound with a TTL, so a count no fast node refreshes any more
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
  writeAccept(numberOfKeys: number, ...keysThenArgs: (string | number)[]): Reply;
  writeFloorSequence(numberOfKeys: number, ...keysThenArgs: (string | number)[]): Reply;
  writeRecountDepth(numberOfKeys: number, ...keysThenArgs: (string | number)[]): Reply;
  writeAck(stream: string, ...args: (string | number)[]): Reply;
  writeRenewLease(lease: string, holder: string, ttlMs: number): Reply;
  writeReleaseLease(lease: string, holder: string): Reply;
}

export function withQueueScripts(redis: Redis): Redis & QueueScripts {
  redis.defineCommand('writeAccept', { lua: ACCEPT });
  redis.defineCommand('writeFloorSequence', { lua: FLOOR_SEQUENCE });
  redis.defineCommand('writeRecountDepth', { lua: RECOUNT_DEPTH });
  redis.defineCommand('writeAck', { lua: ACK, numberOfKeys: 1 });
  redis.defineCommand('writeRenewLease', { lua: RENEW_LEASE, numberOfKeys: 1 });
  redis.defineCommand('writeReleaseLease', { lua: RELEASE_LEASE, numberOfKeys: 1 });
  return redis as Redis & QueueScripts;
}
