import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';

/** A Lua script run by EVALSHA, loaded with EVAL the first time a server does not know it. */
export interface LuaScript {
  run(redis: Redis, keys: string[], args: Array<string | number>): Promise<unknown>;
}

export function luaScript(source: string): LuaScript {
  const sha = createHash('sha1').update(source).digest('hex');
  return {
    async run(redis, keys, args) {
      try {
        return await redis.evalsha(sha, keys.length, ...keys, ...args);
      } catch (error) {
        if (!(error instanceof Error) || !error.message.startsWith('NOSCRIPT')) throw error;
        return redis.eval(source, keys.length, ...keys, ...args);
      }
    },
  };
}

/**
 * Appends events to a session's stream in one atomic step: fencing check, seq allocation,
 * id and time stamping, XADD with stream id `0-<seq>`, and the session row's counters and
 * status. processed_at never goes backwards within a session, whatever the writers' clocks.
 * KEYS: session hash, stream, lease token counter, status index prefix (`...sessions:status:`).
 * ARGV: fence ('' = none), now, status ('' = unchanged), stop_reason json ('' = null), n,
 *       then n pairs of (8-char random id tail, event json without id/processed_at).
 * Returns {'ok', processed_at, id...} | {'not_found'} | {'fenced', current token}.
 */
export const APPEND = luaScript(`
if redis.call('EXISTS', KEYS[1]) == 0 then return {'not_found'} end
if ARGV[1] ~= '' then
  local current = tonumber(redis.call('GET', KEYS[3]) or '0')
  if current > tonumber(ARGV[1]) then return {'fenced', tostring(current)} end
end
local at = ARGV[2]
local last = redis.call('HGET', KEYS[1], 'last_at')
if last and last > at then at = last end
local n = tonumber(ARGV[5])
local first = redis.call('HINCRBY', KEYS[1], 'seq', n) - n + 1
local id = ''
local reply = {'ok', at}
for i = 0, n - 1 do
  local seq = first + i
  id = 'sevt_' .. string.format('%012d', seq) .. ARGV[6 + 2 * i]
  local body = ARGV[7 + 2 * i]
  local json = '{"id":"' .. id .. '","processed_at":"' .. at .. '",' .. string.sub(body, 2)
  redis.call('XADD', KEYS[2], '0-' .. seq, 'e', json)
  reply[#reply + 1] = id
end
redis.call('HSET', KEYS[1], 'last_at', at, 'updated_at', at, 'last_event_id', id)
redis.call('HINCRBY', KEYS[1], 'event_count', n)
if ARGV[3] ~= '' then
  local previous = redis.call('HGET', KEYS[1], 'status')
  redis.call('HSET', KEYS[1], 'status', ARGV[3], 'stop_reason', ARGV[4])
  if previous ~= ARGV[3] then
    local id = redis.call('HGET', KEYS[1], 'id')
    if previous then redis.call('ZREM', KEYS[4] .. previous, id) end
    redis.call('ZADD', KEYS[4] .. ARGV[3], redis.call('HGET', KEYS[1], 'ord'), id)
  end
end
return reply
`);

/**
 * Publishes a delta tagged with the session's current seq, so followers can place it
 * between the events it came after and before. KEYS: session hash. ARGV: channel, payload.
 */
export const PUBLISH_DELTA = luaScript(`
local seq = redis.call('HGET', KEYS[1], 'seq')
if not seq then return 0 end
return redis.call('PUBLISH', ARGV[1], seq .. ' ' .. ARGV[2])
`);

/**
 * KEYS: session hash, session index, ord counter, the idle status index.
 * ARGV: id, then field/value pairs.
 */
export const CREATE_SESSION = luaScript(`
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
local ord = redis.call('INCR', KEYS[3])
redis.call('HSET', KEYS[1], 'ord', ord, unpack(ARGV, 2))
redis.call('ZADD', KEYS[2], ord, ARGV[1])
redis.call('ZADD', KEYS[4], ord, ARGV[1])
return ord
`);

/** KEYS: session hash. ARGV: field/value pairs. Returns the whole row, or {} when missing. */
export const UPDATE_SESSION = luaScript(`
if redis.call('EXISTS', KEYS[1]) == 0 then return {} end
redis.call('HSET', KEYS[1], unpack(ARGV))
return redis.call('HGETALL', KEYS[1])
`);

/** KEYS: lease, lease token counter. ARGV: owner, ttl ms. Returns the new token or nil. */
export const ACQUIRE_LEASE = luaScript(`
if redis.call('EXISTS', KEYS[1]) == 1 then return false end
local token = redis.call('INCR', KEYS[2])
redis.call('SET', KEYS[1], token .. ':' .. ARGV[1], 'PX', ARGV[2])
return token
`);

/** KEYS: lease. ARGV: expected value (token:owner), ttl ms. Returns 1 when renewed. */
export const RENEW_LEASE = luaScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 0
`);

/** KEYS: lease. ARGV: expected value (token:owner). */
export const RELEASE_LEASE = luaScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
`);

/** KEYS: resource hash, order zset, ord counter. ARGV: id, json. Keeps first-put order. */
export const PUT_RESOURCE = luaScript(`
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
if redis.call('ZSCORE', KEYS[2], ARGV[1]) == false then
  redis.call('ZADD', KEYS[2], redis.call('INCR', KEYS[3]), ARGV[1])
end
return 1
`);
