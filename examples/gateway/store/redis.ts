// The store in Redis, for several gateway instances behind one balancer. Every check-and-write
// (budget, quota, idempotency, MFA steps, failure counts) is one Lua script, so it is atomic across
// instances. When Redis is unreachable or fails, every method throws `service_unavailable` with a
// wait: budgets and idempotency fail closed, and the client recovers by itself when Redis returns.
import Redis from 'ioredis'
import { GatewayError } from 'fastify-gateway-errors'
import type { ApiKey, IdempotencyClaim, Project, Store, StoreOptions } from './store'
import { DAY, IDEMPOTENCY_PENDING_MS } from './store'
import { demoSeed, hashSecret, newKeySecret, type Seed } from './seed'

export interface RedisStoreOptions extends StoreOptions {
  url: string
  /** Prefix of every key: instances that share state share the prefix. */
  prefix?: string
  /** Called when the connection fails (ioredis reconnects by itself). */
  onConnectionError?: (error: Error) => void
}

/** How long a caller is told to wait when Redis fails. */
const RETRY_AFTER_MS = 1000

const scripts = {
  // KEYS: spent, used. ARGV: micros, budget, quota.
  gwReserve: {
    numberOfKeys: 2,
    lua: `
      local spent = tonumber(redis.call('GET', KEYS[1]) or '0')
      if spent + tonumber(ARGV[1]) > tonumber(ARGV[2]) then return 1 end
      local used = tonumber(redis.call('GET', KEYS[2]) or '0')
      if used >= tonumber(ARGV[3]) then return 2 end
      redis.call('INCRBY', KEYS[1], ARGV[1])
      redis.call('INCR', KEYS[2])
      return 0`
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
  // KEYS: counter. ARGV: window. Returns {count, ttl}.
  gwFail: {
    numberOfKeys: 1,
    lua: `
      local count = redis.call('INCR', KEYS[1])
      if count == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
      return {count, redis.call('PTTL', KEYS[1])}`
  },
  // KEYS: capacity. 1 when a slot was taken.
  gwTakeSlot: {
    numberOfKeys: 1,
    lua: 'if tonumber(redis.call(\'GET\', KEYS[1]) or \'0\') <= 0 then return 0 end redis.call(\'DECR\', KEYS[1]) return 1'
  }
}

type ScriptName = keyof typeof scripts
type GatewayRedis = Redis & { [name in ScriptName]: (...args: Array<string | number>) => Promise<unknown> }

/**
 * Connects, seeds the demo accounts once per prefix, and returns the store with its client (which
 * @fastify/rate-limit shares). Redis need not be up at start-up: until it is, every call is
 * `service_unavailable`, and the client keeps reconnecting.
 */
export async function createRedisStore (options: RedisStoreOptions, seed: Seed = demoSeed()): Promise<Store & { redis: Redis, prefix: string }> {
  const prefix = options.prefix ?? 'gateway:'
  const idempotencyTtlMs = options.idempotencyTtlMs ?? DAY
  const redis = new Redis(options.url, {
    lazyConnect: true,
    // Commands fail at once while disconnected, and are never sent twice: a budget spent by a
    // command whose reply was lost stays spent once, rather than being spent again on reconnection.
    enableOfflineQueue: false,
    autoResendUnfulfilledCommands: false,
    maxRetriesPerRequest: 0,
    commandTimeout: 2000,
    connectTimeout: 2000,
    retryStrategy: (attempt) => Math.min(attempt * 50, 500)
  }) as GatewayRedis
  redis.on('error', (error: Error) => options.onConnectionError?.(error))
  for (const [name, script] of Object.entries(scripts)) redis.defineCommand(name, script)

  const k = (...parts: string[]) => prefix + parts.join(':')

  // On every (re)connection: a Redis that lost its data (no persistence) gets the demo accounts back.
  async function seedOnce (): Promise<void> {
    if (await redis.exists(k('seeded')) === 1) return
    const batch = redis.multi().set(k('seeded'), String(Date.now()))
    for (const { secret, ...key } of seed.keys) batch.set(k('key', key.id), JSON.stringify(key)).set(k('keyhash', hashSecret(secret)), key.id)
    for (const { spentMicros, ...project } of seed.projects) batch.set(k('project', project.id), JSON.stringify(project)).set(k('spent', project.id), spentMicros)
    for (const account of seed.accounts) {
      batch.set(k('mfa', account.id), account.mfaSecret).sadd(k('recovery', account.id), ...account.recoveryCodes.map(hashSecret))
    }
    await batch.exec()
  }
  redis.on('ready', () => { seedOnce().catch((error: Error) => options.onConnectionError?.(error)) })
  try {
    await redis.connect()
    await seedOnce()
  } catch {
    // unreachable for now: the store fails closed, ioredis keeps trying
  }

  async function readJson<T> (key: string): Promise<T | undefined> {
    const text = await redis.get(key)
    return text === null ? undefined : JSON.parse(text) as T
  }

  const store: Store & { redis: Redis, prefix: string } = {
    redis,
    prefix,
    async findKey (secret) {
      const id = await redis.get(k('keyhash', hashSecret(secret)))
      return id === null ? undefined : readJson<ApiKey>(k('key', id))
    },
    async key (id) { return readJson<ApiKey>(k('key', id)) },
    async createKey (fields) {
      const { id, secret } = newKeySecret()
      const key = { ...fields, id }
      await redis.multi().set(k('key', id), JSON.stringify(key)).set(k('keyhash', hashSecret(secret)), id).exec()
      return { key, secret }
    },
    async deleteKey (id) {
      // The hash of the secret is not kept beside the key: a deleted key's lookup finds no record.
      return await redis.del(k('key', id)) === 1
    },

    async project (id) { return readJson<Project>(k('project', id)) },
    async createProject (project) {
      return await redis.set(k('project', project.id), JSON.stringify(project), 'NX') === 'OK'
    },
    async updateProject (id, patch) {
      const project = await readJson<Project>(k('project', id))
      if (project === undefined) return undefined
      const updated = { ...project, ...patch }
      await redis.set(k('project', id), JSON.stringify(updated), 'XX')
      return updated
    },
    async deleteProject (id) { await redis.del(k('project', id), k('spent', id)) },
    async spentMicros (project) { return Number(await redis.get(k('spent', project)) ?? 0) },

    async reserve (key, budgetMicros, quota, micros) {
      const result = await redis.gwReserve(k('spent', key.project), k('used', key.id), micros, budgetMicros, quota)
      if (result === 1) return { ok: false, reason: 'budget' }
      if (result === 2) return { ok: false, reason: 'quota' }
      return { ok: true, reservation: { project: key.project, key: key.id, micros } }
    },
    async settle (reservation, actualMicros) {
      if (actualMicros !== reservation.micros) await redis.incrby(k('spent', reservation.project), actualMicros - reservation.micros)
    },
    async release (reservation) {
      await redis.multi().decrby(k('spent', reservation.project), reservation.micros).decr(k('used', reservation.key)).exec()
    },

    async claimIdempotency (scope, key, fingerprint) {
      const [state, response] = await redis.gwClaim(k('idem', scope, hashSecret(key)), fingerprint, IDEMPOTENCY_PENDING_MS) as [IdempotencyClaim['state'], string?]
      return state === 'replay' ? { state, response: JSON.parse(response as string) } : { state } as IdempotencyClaim
    },
    async completeIdempotency (scope, key, response) {
      await redis.multi().hset(k('idem', scope, hashSecret(key)), 'response', JSON.stringify(response)).pexpire(k('idem', scope, hashSecret(key)), idempotencyTtlMs).exec()
    },
    async abandonIdempotency (scope, key) { await redis.gwAbandon(k('idem', scope, hashSecret(key))) },

    async mfaSecret (account) { return await redis.get(k('mfa', account)) ?? undefined },
    async useTotpStep (account, step) { return await redis.gwUseStep(k('mfa-step', account), step, 10 * 60_000) === 1 },
    async useRecoveryCode (account, code) { return await redis.srem(k('recovery', account), hashSecret(code)) === 1 },

    async failures (bucket) {
      const [[, count], [, ttl]] = await redis.multi().get(k('fail', bucket)).pttl(k('fail', bucket)).exec() as [[null, string | null], [null, number]]
      return count === null || ttl <= 0 ? undefined : { count: Number(count), resetAt: Date.now() + ttl }
    },
    async fail (bucket, windowMs) {
      const [count, ttl] = await redis.gwFail(k('fail', bucket), windowMs) as [number, number]
      return { count, resetAt: Date.now() + ttl }
    },
    async clearFailures (bucket) { await redis.del(k('fail', bucket)) },

    async reserveBatchSlot () { return await redis.gwTakeSlot(k('batch-capacity')) === 1 },
    async close () { redis.disconnect() }
  }
  return failClosed(store)
}

/** Every method but `close`: a failure of Redis becomes `service_unavailable`, the cause logged, never sent. */
function failClosed<S extends Store> (store: S): S {
  const guarded = { ...store }
  for (const [name, method] of Object.entries(store)) {
    if (typeof method !== 'function' || name === 'close') continue
    Object.assign(guarded, {
      [name]: async (...args: unknown[]) => {
        try {
          return await method.apply(store, args)
        } catch (error) {
          throw new GatewayError('service_unavailable', { retry_after_ms: RETRY_AFTER_MS }, { cause: error })
        }
      }
    })
  }
  return guarded
}
