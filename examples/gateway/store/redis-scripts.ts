// The Redis store's Lua scripts, each one atomic check-and-write (budget, quota, leases, keys,
// idempotency, MFA steps, attempt counts), defined on the client as commands by createRedisStore.
import type Redis from 'ioredis'

export const scripts = {
  // KEYS: spent, used, leases, reservation. ARGV: micros, budget, quota, id, lease expiry, account, project.
  gwReserve: {
    numberOfKeys: 4,
    lua: `
      local spent = tonumber(redis.call('GET', KEYS[1]) or '0')
      if spent + tonumber(ARGV[1]) > tonumber(ARGV[2]) then return 1 end
      local used = tonumber(redis.call('GET', KEYS[2]) or '0')
      if used >= tonumber(ARGV[3]) then return 2 end
      redis.call('INCRBY', KEYS[1], ARGV[1])
      redis.call('INCR', KEYS[2])
      redis.call('HSET', KEYS[4], 'micros', ARGV[1], 'delivered', '0', 'account', ARGV[6], 'project', ARGV[7])
      redis.call('ZADD', KEYS[3], ARGV[5], ARGV[4])
      return 0`
  },
  // KEYS: leases, reservation. ARGV: id, lease expiry, delivered. Nothing once the lease is gone.
  gwRenew: {
    numberOfKeys: 2,
    lua: `
      if not redis.call('ZSCORE', KEYS[1], ARGV[1]) then return 0 end
      redis.call('ZADD', KEYS[1], 'XX', ARGV[2], ARGV[1])
      redis.call('HSET', KEYS[2], 'delivered', ARGV[3])
      return 1`
  },
  // KEYS: leases, reservation, spent, used. ARGV: id, micros to add (negative: given back), 1 to give
  // the request back to the quota. Once: 0 when the reservation was already ended (by a sweep).
  gwFinish: {
    numberOfKeys: 4,
    lua: `
      if redis.call('ZREM', KEYS[1], ARGV[1]) == 0 then return 0 end
      redis.call('DEL', KEYS[2])
      if tonumber(ARGV[2]) ~= 0 then redis.call('INCRBY', KEYS[3], ARGV[2]) end
      if ARGV[3] == '1' then redis.call('DECR', KEYS[4]) end
      return 1`
  },
  // KEYS: leases, reservation, spent, used. ARGV: id, now. A lease expired (its instance died): settled
  // at what it delivered, or given back whole if nothing. -1 if it was renewed or ended meanwhile.
  gwExpire: {
    numberOfKeys: 4,
    lua: `
      local expiry = redis.call('ZSCORE', KEYS[1], ARGV[1])
      if not expiry or tonumber(expiry) > tonumber(ARGV[2]) then return -1 end
      redis.call('ZREM', KEYS[1], ARGV[1])
      local micros = tonumber(redis.call('HGET', KEYS[2], 'micros') or '0')
      local delivered = math.min(tonumber(redis.call('HGET', KEYS[2], 'delivered') or '0'), micros)
      redis.call('DEL', KEYS[2])
      redis.call('INCRBY', KEYS[3], delivered - micros)
      if delivered == 0 then redis.call('DECR', KEYS[4]) end
      return delivered`
  },
  // KEYS: record. ARGV: fingerprint, pending ttl. Returns {state, response}.
  gwClaim: {
    numberOfKeys: 1,
    lua: `
      local fingerprint = redis.call('HGET', KEYS[1], 'fingerprint')
      if not fingerprint then
        redis.call('HSET', KEYS[1], 'fingerprint', ARGV[1])
        redis.call('PEXPIRE', KEYS[1], ARGV[2])
        return {'new'}
      end
      if fingerprint ~= ARGV[1] then return {'conflict'} end
      local response = redis.call('HGET', KEYS[1], 'response')
      if not response then return {'in_progress'} end
      return {'replay', response}`
  },
  // KEYS: record. Deletes a claim whose request never completed.
  gwAbandon: {
    numberOfKeys: 1,
    lua: 'if redis.call(\'HEXISTS\', KEYS[1], \'response\') == 0 then redis.call(\'DEL\', KEYS[1]) end return 0'
  },
  // KEYS: last step. ARGV: step, ttl. 1 when the step is newer than the last one used.
  gwUseStep: {
    numberOfKeys: 1,
    lua: `
      local last = tonumber(redis.call('GET', KEYS[1]) or '-1')
      if tonumber(ARGV[1]) <= last then return 0 end
      redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
      return 1`
  },
  // KEYS: counter. ARGV: window. Counts an attempt; returns {count, ttl}.
  gwAttempt: {
    numberOfKeys: 1,
    lua: `
      local count = redis.call('INCR', KEYS[1])
      if count == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
      return {count, redis.call('PTTL', KEYS[1])}`
  },
  // KEYS: counter. Takes one attempt back.
  gwForgive: {
    numberOfKeys: 1,
    lua: 'if tonumber(redis.call(\'GET\', KEYS[1]) or \'0\') > 0 then redis.call(\'DECR\', KEYS[1]) end return 0'
  },
  // KEYS: failure counter, hash of the secret. ARGV: limit, window. The lock checked, the secret
  // looked up and an unknown one counted in one step: {'locked', ttl}, {'found', id} or {'unknown'}.
  gwCheckKey: {
    numberOfKeys: 2,
    lua: `
      if tonumber(redis.call('GET', KEYS[1]) or '0') >= tonumber(ARGV[1]) then return {'locked', redis.call('PTTL', KEYS[1])} end
      local id = redis.call('GET', KEYS[2])
      if id then return {'found', id} end
      if redis.call('INCR', KEYS[1]) == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
      return {'unknown'}`
  },
  // KEYS: project, key, hash of the secret, the project's key ids. ARGV: key, id. 0 unless the project is active.
  gwCreateKey: {
    numberOfKeys: 4,
    lua: `
      local project = redis.call('GET', KEYS[1])
      if not project or cjson.decode(project).state ~= 'active' then return 0 end
      redis.call('SET', KEYS[2], ARGV[1])
      redis.call('SET', KEYS[3], ARGV[2])
      redis.call('SADD', KEYS[4], ARGV[2])
      return 1`
  },
  // KEYS: project. ARGV: the record read, the record to write. 1 when the record had not changed.
  gwSwapProject: {
    numberOfKeys: 1,
    lua: 'if redis.call(\'GET\', KEYS[1]) ~= ARGV[1] then return 0 end redis.call(\'SET\', KEYS[1], ARGV[2]) return 1'
  },
  // KEYS: project, the project's key ids. ARGV: the record read, the deleted record, the prefix of key
  // records. The project marked deleted and its keys removed in one step, so no key outlives it
  // (the key records' names are built here: the store runs on one Redis, not a cluster).
  gwDeleteProject: {
    numberOfKeys: 2,
    lua: `
      if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
      redis.call('SET', KEYS[1], ARGV[2])
      for _, id in ipairs(redis.call('SMEMBERS', KEYS[2])) do redis.call('DEL', ARGV[3] .. id) end
      redis.call('DEL', KEYS[2])
      return 1`
  },
  // KEYS: capacity. 1 when a slot was taken.
  gwTakeSlot: {
    numberOfKeys: 1,
    lua: 'if tonumber(redis.call(\'GET\', KEYS[1]) or \'0\') <= 0 then return 0 end redis.call(\'DECR\', KEYS[1]) return 1'
  }
}

type ScriptName = keyof typeof scripts
export type GatewayRedis = Redis & { [name in ScriptName]: (...args: Array<string | number>) => Promise<unknown> }
