// The store in process memory: the default, for one instance. Every method runs to completion
// without awaiting, so each check-and-write is atomic within the process.
import type { ApiKey, AttemptLimit, IdempotencyClaim, Project, Reservation, Store, StoreOptions } from './store'
import { DAY, IDEMPOTENCY_PENDING_MS } from './store'
import { demoSeed, hashSecret, newKeySecret, newReservationId, type Seed } from './seed'

interface Window {
  count: number
  resetAt: number
}

/** A project's name in the maps: ids are unique within their account only. */
const ref = (account: string, id: string) => `${account}/${id}`

interface IdempotencyRecord {
  fingerprint: string
  response?: unknown
  expiresAt: number
}

export function createMemoryStore (options: StoreOptions = {}, seed: Seed = demoSeed()): Store {
  const idempotencyTtlMs = options.idempotencyTtlMs ?? DAY
  const idempotencyMaxEntries = options.idempotencyMaxEntries ?? 10_000
  const keys = new Map<string, ApiKey>()
  const keyIdsByHash = new Map<string, string>()
  const projects = new Map<string, Project>()
  const spent = new Map<string, number>()
  const used = new Map<string, number>()
  const mfa = new Map(seed.accounts.map((account) => [account.id, { secret: account.mfaSecret, lastStep: -1, recovery: new Set(account.recoveryCodes) }]))
  const attempts = new Map<string, Window>()
  const idempotency = new Map<string, IdempotencyRecord>()
  const leases = new Map<string, { reservation: Reservation, expiresAt: number, deliveredMicros: number }>()
  let batchCapacity = 0

  for (const { secret, ...key } of seed.keys) {
    keys.set(key.id, key)
    keyIdsByHash.set(hashSecret(secret), key.id)
  }
  for (const { spentMicros, ...project } of seed.projects) {
    projects.set(ref(project.account, project.id), project)
    spent.set(ref(project.account, project.id), spentMicros)
  }

  /** The entry unless it has expired (an expired one is removed on the way). */
  function live<T> (map: Map<string, T>, key: string, expiresAt: (value: T) => number): T | undefined {
    const value = map.get(key)
    if (value !== undefined && expiresAt(value) <= Date.now()) {
      map.delete(key)
      return undefined
    }
    return value
  }
  const liveRecord = (id: string) => live(idempotency, id, (record) => record.expiresAt)
  const liveAttempts = (bucket: string) => live(attempts, bucket, (entry) => entry.resetAt)

  function count ({ bucket, windowMs }: AttemptLimit): Window {
    let entry = liveAttempts(bucket)
    if (entry === undefined) {
      if (attempts.size >= 10_000) attempts.delete(attempts.keys().next().value as string)
      entry = { count: 0, resetAt: Date.now() + windowMs }
      attempts.set(bucket, entry)
    }
    entry.count++
    return entry
  }

  /** Ends a reservation once: adjusts the spending, and gives the request back to the quota when asked. */
  function finish (reservation: Reservation, adjustMicros: number, giveBackQuota: boolean): boolean {
    if (!leases.delete(reservation.id)) return false
    const name = ref(reservation.account, reservation.project)
    spent.set(name, (spent.get(name) ?? 0) + adjustMicros)
    if (giveBackQuota) used.set(name, (used.get(name) ?? 1) - 1)
    return true
  }

  function deleteKeyNow (id: string): boolean {
    for (const [hash, keyId] of keyIdsByHash) if (keyId === id) keyIdsByHash.delete(hash)
    return keys.delete(id)
  }

  return {
    async checkKey (secret, guard) {
      const locked = liveAttempts(guard.bucket)
      if (locked !== undefined && locked.count >= guard.limit) return { state: 'locked', resetAt: locked.resetAt }
      const id = keyIdsByHash.get(hashSecret(secret))
      const key = id === undefined ? undefined : keys.get(id)
      if (key !== undefined) return { state: 'found', key }
      count(guard)
      return { state: 'unknown' }
    },
    async key (id) { return keys.get(id) },
    async createKey (fields) {
      if (projects.get(ref(fields.account, fields.project))?.state !== 'active') return undefined
      const { id, secret } = newKeySecret()
      const key = { ...fields, id }
      keys.set(id, key)
      keyIdsByHash.set(hashSecret(secret), id)
      return { key, secret }
    },
    async deleteKey (id) { return deleteKeyNow(id) },

    async project (account, id) { return projects.get(ref(account, id)) },
    async createProject (project) {
      const name = ref(project.account, project.id)
      if (projects.has(name)) return false
      projects.set(name, project)
      spent.set(name, 0)
      return true
    },
    async updateProject (account, id, patch) {
      const project = projects.get(ref(account, id))
      if (project === undefined || project.state === 'deleted') return undefined
      const updated = { ...project, ...patch }
      projects.set(ref(account, id), updated)
      return updated
    },
    async deleteProject (account, id) {
      const project = projects.get(ref(account, id))
      if (project === undefined) return
      projects.set(ref(account, id), { ...project, state: 'deleted' })
      for (const key of [...keys.values()]) if (key.account === account && key.project === id) deleteKeyNow(key.id)
    },
    async spentMicros (account, project) { return spent.get(ref(account, project)) ?? 0 },

    async reserve (key, budgetMicros, quota, micros, leaseMs) {
      const name = ref(key.account, key.project)
      const spentMicros = spent.get(name) ?? 0
      if (spentMicros + micros > budgetMicros) return { ok: false, reason: 'budget' }
      const requests = used.get(name) ?? 0
      if (requests >= quota) return { ok: false, reason: 'quota' }
      spent.set(name, spentMicros + micros)
      used.set(name, requests + 1)
      const reservation = { id: newReservationId(), account: key.account, project: key.project, micros }
      leases.set(reservation.id, { reservation, expiresAt: Date.now() + leaseMs, deliveredMicros: 0 })
      return { ok: true, reservation }
    },
    async renew ({ id }, deliveredMicros, leaseMs) {
      const lease = leases.get(id)
      if (lease !== undefined) Object.assign(lease, { expiresAt: Date.now() + leaseMs, deliveredMicros })
    },
    async settle (reservation, actualMicros) {
      return finish(reservation, actualMicros - reservation.micros, false)
    },
    async release (reservation) {
      return finish(reservation, -reservation.micros, true)
    },
    async sweepExpired () {
      let swept = 0
      const now = Date.now()
      for (const lease of leases.values()) {
        if (lease.expiresAt > now) continue
        const delivered = Math.min(lease.deliveredMicros, lease.reservation.micros)
        finish(lease.reservation, delivered - lease.reservation.micros, delivered === 0)
        swept++
      }
      return swept
    },

    async claimIdempotency (scope, key, fingerprint): Promise<IdempotencyClaim> {
      const id = `${scope}\n${key}`
      const record = liveRecord(id)
      if (record === undefined) {
        if (idempotency.size >= idempotencyMaxEntries) idempotency.delete(idempotency.keys().next().value as string)
        idempotency.set(id, { fingerprint, expiresAt: Date.now() + IDEMPOTENCY_PENDING_MS })
        return { state: 'new' }
      }
      if (record.fingerprint !== fingerprint) return { state: 'conflict' }
      return record.response === undefined ? { state: 'in_progress' } : { state: 'replay', response: record.response }
    },
    async completeIdempotency (scope, key, response) {
      const record = idempotency.get(`${scope}\n${key}`)
      if (record !== undefined) Object.assign(record, { response, expiresAt: Date.now() + idempotencyTtlMs })
    },
    async abandonIdempotency (scope, key) {
      const id = `${scope}\n${key}`
      if (idempotency.get(id)?.response === undefined) idempotency.delete(id)
    },

    async mfaSecret (account) { return mfa.get(account)?.secret },
    async useTotpStep (account, step) {
      const state = mfa.get(account)
      if (state === undefined || step <= state.lastStep) return false
      state.lastStep = step
      return true
    },
    async useRecoveryCode (account, code) { return mfa.get(account)?.recovery.delete(code) ?? false },

    async attempt (limit) {
      const entry = count(limit)
      return { allowed: entry.count <= limit.limit, resetAt: entry.resetAt }
    },
    async forgive (bucket) {
      const entry = liveAttempts(bucket)
      if (entry !== undefined && entry.count > 0) entry.count--
    },

    async reserveBatchSlot () {
      if (batchCapacity <= 0) return false
      batchCapacity--
      return true
    },
    async close () {}
  }
}
