// The store in process memory: the default, for one instance. Every method runs to completion
// without awaiting, so each check-and-write is atomic within the process.
import type { ApiKey, Attempts, IdempotencyClaim, Project, Store, StoreOptions } from './store'
import { DAY, IDEMPOTENCY_PENDING_MS } from './store'
import { demoSeed, hashSecret, newKeySecret, type Seed } from './seed'

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
  const attempts = new Map<string, Attempts>()
  const idempotency = new Map<string, IdempotencyRecord>()
  let batchCapacity = 0

  for (const { secret, ...key } of seed.keys) {
    keys.set(key.id, key)
    keyIdsByHash.set(hashSecret(secret), key.id)
  }
  for (const { spentMicros, ...project } of seed.projects) {
    projects.set(project.id, project)
    spent.set(project.id, spentMicros)
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

  return {
    async findKey (secret) {
      const id = keyIdsByHash.get(hashSecret(secret))
      return id === undefined ? undefined : keys.get(id)
    },
    async key (id) { return keys.get(id) },
    async createKey (fields) {
      const { id, secret } = newKeySecret()
      const key = { ...fields, id }
      keys.set(id, key)
      keyIdsByHash.set(hashSecret(secret), id)
      return { key, secret }
    },
    async deleteKey (id) {
      for (const [hash, keyId] of keyIdsByHash) if (keyId === id) keyIdsByHash.delete(hash)
      return keys.delete(id)
    },

    async project (id) { return projects.get(id) },
    async createProject (project) {
      if (projects.has(project.id)) return false
      projects.set(project.id, project)
      spent.set(project.id, 0)
      return true
    },
    async updateProject (id, patch) {
      const project = projects.get(id)
      if (project === undefined) return undefined
      const updated = { ...project, ...patch }
      projects.set(id, updated)
      return updated
    },
    async deleteProject (id) { projects.delete(id) },
    async spentMicros (project) { return spent.get(project) ?? 0 },

    async reserve (key, budgetMicros, quota, micros) {
      const spentMicros = spent.get(key.project) ?? 0
      if (spentMicros + micros > budgetMicros) return { ok: false, reason: 'budget' }
      const requests = used.get(key.id) ?? 0
      if (requests >= quota) return { ok: false, reason: 'quota' }
      spent.set(key.project, spentMicros + micros)
      used.set(key.id, requests + 1)
      return { ok: true, reservation: { project: key.project, key: key.id, micros } }
    },
    async settle (reservation, actualMicros) {
      spent.set(reservation.project, (spent.get(reservation.project) ?? 0) + actualMicros - reservation.micros)
    },
    async release (reservation) {
      spent.set(reservation.project, (spent.get(reservation.project) ?? 0) - reservation.micros)
      used.set(reservation.key, (used.get(reservation.key) ?? 1) - 1)
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

    async failures (bucket) { return liveAttempts(bucket) },
    async fail (bucket, windowMs) {
      let entry = liveAttempts(bucket)
      if (entry === undefined) {
        if (attempts.size >= 10_000) attempts.delete(attempts.keys().next().value as string)
        entry = { count: 0, resetAt: Date.now() + windowMs }
        attempts.set(bucket, entry)
      }
      entry.count++
      return entry
    },
    async clearFailures (bucket) { attempts.delete(bucket) },

    async reserveBatchSlot () {
      if (batchCapacity <= 0) return false
      batchCapacity--
      return true
    },
    async close () {}
  }
}
