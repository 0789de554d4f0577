'use strict'
// State behind a small interface; the in-memory default is seeded with demo accounts. A real
// gateway implements the same methods over its database.
const { createHmac } = require('node:crypto')

const DAY = 24 * 60 * 60 * 1000

/** RFC 6238 TOTP (HMAC-SHA1, 30 s steps, 6 digits) over a base32 secret. */
function totp (secretBase32, at = Date.now(), step = 0) {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567'
  let bits = ''
  for (const char of secretBase32.replace(/=+$/, '')) bits += alphabet.indexOf(char).toString(2).padStart(5, '0')
  const key = Buffer.from(bits.match(/.{8}/g).map((byte) => parseInt(byte, 2)))
  const counter = Buffer.alloc(8)
  counter.writeBigUInt64BE(BigInt(Math.floor(at / 30000) + step))
  const hmac = createHmac('sha1', key).update(counter).digest()
  const offset = hmac[hmac.length - 1] & 0xf
  return String((hmac.readUInt32BE(offset) & 0x7fffffff) % 1e6).padStart(6, '0')
}

/**
 * Idempotency records are kept per project (another project's key of the same name is another
 * record), expire after `idempotencyTtlMs` and are bounded: the oldest goes when the store is full.
 */
function createMemoryStore ({ idempotencyTtlMs = DAY, idempotencyMaxEntries = 10_000 } = {}) {
  const now = Date.now()
  const plans = {
    pro: { features: ['chat', 'responses', 'messages', 'embeddings', 'batches'], quota: 1_000_000 },
    free: { features: ['chat', 'messages'], quota: 1_000 },
    exhausted: { features: ['chat', 'responses', 'messages'], quota: 0 }
  }
  const projects = new Map(Object.entries({
    'proj-demo': { id: 'proj-demo', name: 'Demo', state: 'active', budgetUsd: 100, spentUsd: 3, createdAt: now - 30 * DAY },
    'proj-default': { id: 'proj-default', name: 'Default', state: 'active', default: true, budgetUsd: 100, spentUsd: 0, createdAt: now - 90 * DAY },
    'proj-broke': { id: 'proj-broke', name: 'Broke', state: 'active', budgetUsd: 10, spentUsd: 10, createdAt: now - 10 * DAY },
    'proj-archived': { id: 'proj-archived', name: 'Old', state: 'archived', budgetUsd: 100, spentUsd: 1, createdAt: now - 400 * DAY },
    'proj-corrupt': { id: 'proj-corrupt', name: null, state: undefined, createdAt: 'yesterday' }
  }))
  const account = (scopes, extra = {}) => ({ project: 'proj-demo', plan: 'pro', scopes, rateLimit: 1000, ...extra })
  const all = ['chat', 'models', 'projects', 'keys', 'batches']
  const keys = new Map(Object.entries({
    'sk-demo-full': account(all),
    'sk-demo-readonly': account(['models']),
    'sk-demo-free': account(all, { plan: 'free' }),
    'sk-demo-expired': account(all, { expiresAt: now - DAY }),
    'sk-demo-revoked': account(all, { revoked: true }),
    'sk-demo-limited': account(all, { rateLimit: 0 }),
    'sk-demo-broke': account(all, { project: 'proj-broke' }),
    'sk-demo-noquota': account(all, { plan: 'exhausted' })
  }))
  const mfa = { secret: 'JBSWY3DPEHPK3PXP', recoveryCodes: new Set(['rc-1111-2222', 'rc-3333-4444']) }
  const idempotency = new Map()
  let batchCapacity = 0

  return {
    async findKey (key) { return keys.get(key) },
    async plan (name) { return plans[name] },
    async project (id) { return projects.get(id) },
    async createProject (project) { projects.set(project.id, project); return project },
    async updateProject (id, patch) { const project = { ...projects.get(id), ...patch }; projects.set(id, project); return project },
    async deleteProject (id) { projects.delete(id) },
    async deleteKey (key) { return keys.delete(key) },
    async verifyTotp (code) { return [-1, 0, 1].some((step) => totp(mfa.secret, Date.now(), step) === code) },
    async useRecoveryCode (code) { return mfa.recoveryCodes.delete(code) },
    async idempotent (scope, key) {
      const id = `${scope}\n${key}`
      const record = idempotency.get(id)
      if (record === undefined || record.expiresAt > Date.now()) return record
      idempotency.delete(id)
      return undefined
    },
    async remember (scope, key, fingerprint, response) {
      const id = `${scope}\n${key}`
      idempotency.delete(id)
      if (idempotency.size >= idempotencyMaxEntries) idempotency.delete(idempotency.keys().next().value)
      idempotency.set(id, { fingerprint, response, expiresAt: Date.now() + idempotencyTtlMs })
    },
    async reserveBatchSlot () { if (batchCapacity <= 0) return false; batchCapacity--; return true },
    setBatchCapacity (n) { batchCapacity = n }
  }
}

module.exports = { createMemoryStore, totp }
