// The store in Redis, for several gateway instances behind one balancer. Every check-and-write
// (budget, quota, idempotency, MFA steps, failure counts) is one Lua script, so it is atomic across
// instances. When Redis is unreachable or fails, every method throws `service_unavailable` with a
// wait: budgets and idempotency fail closed, and the client recovers by itself when Redis returns.
import Redis from 'ioredis'
import { GatewayError } from 'fastify-gateway-errors'
import type { ApiKey, IdempotencyClaim, Project, Reservation, Store, StoreOptions } from './store'
import { DAY, IDEMPOTENCY_PENDING_MS } from './store'
import { scripts, type GatewayRedis } from './redis-scripts'
import { demoSeed, hashSecret, newKeySecret, newReservationId, type Seed } from './seed'

export interface RedisStoreOptions extends StoreOptions {
  url: string
  /** Prefix of every key: instances that share state share the prefix. */
  prefix?: string
  /** Called when the connection fails (ioredis reconnects by itself). */
  onConnectionError?: (error: Error) => void
}

/** How long a caller is told to wait when Redis fails. */
const RETRY_AFTER_MS = 1000

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
    for (const { secret, ...key } of seed.keys) {
      batch.set(k('key', key.id), JSON.stringify(key)).set(k('keyhash', hashSecret(secret)), key.id).sadd(k('project-keys', key.account, key.project), key.id)
    }
    for (const { spentMicros, ...project } of seed.projects) {
      batch.set(k('project', project.account, project.id), JSON.stringify(project)).set(k('spent', project.account, project.id), spentMicros)
    }
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

  async function finish (reservation: Reservation, adjustMicros: number, giveBackQuota: boolean): Promise<boolean> {
    const { id, account, project } = reservation
    const keys = [k('leases'), k('resv', id), k('spent', account, project), k('used', account, project)]
    return await redis.gwFinish(...keys, id, adjustMicros, giveBackQuota ? 1 : 0) === 1
  }

  async function readJson<T> (key: string): Promise<T | undefined> {
    const text = await redis.get(key)
    return text === null ? undefined : JSON.parse(text) as T
  }

  const store: Store & { redis: Redis, prefix: string } = {
    redis,
    prefix,
    async checkKey (secret, guard) {
      const [state, value] = await redis.gwCheckKey(k('fail', guard.bucket), k('keyhash', hashSecret(secret)), guard.limit, guard.windowMs) as [string, string | number]
      if (state === 'locked') return { state, resetAt: Date.now() + Math.max(0, Number(value)) }
      const key = state === 'found' ? await readJson<ApiKey>(k('key', String(value))) : undefined
      if (key !== undefined) return { state: 'found', key }
      // A deleted key's secret (its hash is not kept beside the key): counted like an unknown one.
      if (state === 'found') await store.attempt(guard)
      return { state: 'unknown' }
    },
    async key (id) { return readJson<ApiKey>(k('key', id)) },
    async createKey (fields) {
      const { id, secret } = newKeySecret()
      const key = { ...fields, id }
      const keys = [k('project', key.account, key.project), k('key', id), k('keyhash', hashSecret(secret)), k('project-keys', key.account, key.project)]
      return await redis.gwCreateKey(...keys, JSON.stringify(key), id) === 1 ? { key, secret } : undefined
    },
    async deleteKey (id) {
      // The hash of the secret is not kept beside the key: a deleted key's lookup finds no record.
      return await redis.del(k('key', id)) === 1
    },

    async project (account, id) { return readJson<Project>(k('project', account, id)) },
    async createProject (project) {
      return await redis.set(k('project', project.account, project.id), JSON.stringify(project), 'NX') === 'OK'
    },
    async updateProject (account, id, patch) {
      // Read, change, and write only if no one wrote between (a deletion included); else read again.
      for (;;) {
        const text = await redis.get(k('project', account, id))
        const project = text === null ? undefined : JSON.parse(text) as Project
        if (project === undefined || project.state === 'deleted') return undefined
        const updated = { ...project, ...patch }
        if (await redis.gwSwapProject(k('project', account, id), text as string, JSON.stringify(updated)) === 1) return updated
      }
    },
    async deleteProject (account, id) {
      for (;;) {
        const text = await redis.get(k('project', account, id))
        if (text === null) return
        const deleted = JSON.stringify({ ...JSON.parse(text) as Project, state: 'deleted' })
        if (await redis.gwDeleteProject(k('project', account, id), k('project-keys', account, id), text, deleted, k('key', '')) === 1) return
      }
    },
    async spentMicros (account, project) { return Number(await redis.get(k('spent', account, project)) ?? 0) },

    async reserve (key, budgetMicros, quota, micros, leaseMs) {
      const id = newReservationId()
      const keys = [k('spent', key.account, key.project), k('used', key.account, key.project), k('leases'), k('resv', id)]
      const result = await redis.gwReserve(...keys, micros, budgetMicros, quota, id, Date.now() + leaseMs, key.account, key.project)
      if (result === 1) return { ok: false, reason: 'budget' }
      if (result === 2) return { ok: false, reason: 'quota' }
      return { ok: true, reservation: { id, account: key.account, project: key.project, micros } }
    },
    async renew ({ id }, deliveredMicros, leaseMs) {
      await redis.gwRenew(k('leases'), k('resv', id), id, Date.now() + leaseMs, Math.round(deliveredMicros))
    },
    async settle (reservation, actualMicros) {
      return await finish(reservation, actualMicros - reservation.micros, false)
    },
    async release (reservation) {
      return await finish(reservation, -reservation.micros, true)
    },
    async sweepExpired () {
      const now = Date.now()
      const expired = await redis.zrangebyscore(k('leases'), '-inf', now, 'LIMIT', 0, 200)
      let swept = 0
      for (const id of expired) {
        const [account, project] = await redis.hmget(k('resv', id), 'account', 'project') as [string | null, string | null]
        if (account === null || project === null) {
          await redis.zrem(k('leases'), id) // a lease without its record: nothing left to settle
          continue
        }
        const keys = [k('leases'), k('resv', id), k('spent', account, project), k('used', account, project)]
        if (await redis.gwExpire(...keys, id, now) !== -1) swept++
      }
      return swept
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

    async attempt ({ bucket, limit, windowMs }) {
      const [count, ttl] = await redis.gwAttempt(k('fail', bucket), windowMs) as [number, number]
      return { allowed: count <= limit, resetAt: Date.now() + Math.max(0, ttl) }
    },
    async forgive (bucket) { await redis.gwForgive(k('fail', bucket)) },

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
