// The demo accounts every store starts with. A real gateway has a database; these are for trying
// each catalog code by hand (see the README's table) and for the tests.
import { createHash, randomBytes } from 'node:crypto'
import type { ApiKey, Plan, Project, Scope } from './store'
import { DAY } from './store'

export const plans: Record<string, Plan> = {
  pro: { features: ['chat', 'responses', 'messages', 'embeddings', 'batches'], quota: 1_000_000 },
  free: { features: ['chat', 'messages'], quota: 1_000 },
  exhausted: { features: ['chat', 'responses', 'messages'], quota: 0 }
}

export interface SeedAccount {
  id: string
  /** Base32 TOTP secret, one per account. */
  mfaSecret: string
  recoveryCodes: string[]
}

export interface Seed {
  accounts: SeedAccount[]
  projects: Array<Project & { spentMicros: number }>
  keys: Array<ApiKey & { secret: string }>
}

export const USD = 1_000_000

export function demoSeed (now = Date.now()): Seed {
  const all: Scope[] = ['chat', 'models', 'projects', 'keys', 'batches']
  const key = (id: string, secret: string, scopes: Scope[], extra: Partial<ApiKey> = {}): ApiKey & { secret: string } =>
    ({ id, secret, account: 'acct-demo', project: 'proj-demo', plan: 'pro', scopes, rateLimit: 1000, ...extra })
  const project = (id: string, name: string, extra: Partial<Project> & { spentMicros?: number } = {}) =>
    ({ id, account: 'acct-demo', name, state: 'active' as const, budgetMicros: 100 * USD, spentMicros: 0, createdAt: now - 30 * DAY, ...extra })
  return {
    accounts: [
      { id: 'acct-demo', mfaSecret: 'JBSWY3DPEHPK3PXP', recoveryCodes: ['rc-1111-2222', 'rc-3333-4444'] },
      { id: 'acct-broke', mfaSecret: 'KRSXG5CTMVRXEZLU', recoveryCodes: ['rc-5555-6666'] }
    ],
    projects: [
      project('proj-demo', 'Demo', { spentMicros: 3 * USD }),
      project('proj-default', 'Default', { default: true, createdAt: now - 90 * DAY }),
      project('proj-archived', 'Old', { state: 'archived', spentMicros: USD, createdAt: now - 400 * DAY }),
      // A record damaged by hand: reading it makes the handler fail (internal_error).
      project('proj-corrupt', null as unknown as string, { state: undefined as unknown as 'active', createdAt: 'yesterday' as unknown as number }),
      project('proj-broke', 'Broke', { account: 'acct-broke', budgetMicros: 10 * USD, spentMicros: 10 * USD, createdAt: now - 10 * DAY })
    ],
    keys: [
      key('key_demo_admin', 'sk-demo-admin', [...all, 'admin']),
      key('key_demo_full', 'sk-demo-full', all),
      key('key_demo_readonly', 'sk-demo-readonly', ['models']),
      key('key_demo_free', 'sk-demo-free', all, { plan: 'free' }),
      key('key_demo_expired', 'sk-demo-expired', all, { expiresAt: now - DAY }),
      key('key_demo_temporary', 'sk-demo-temporary', all, { expiresAt: now + 7 * DAY }),
      key('key_demo_revoked', 'sk-demo-revoked', all, { revoked: true }),
      key('key_demo_limited', 'sk-demo-limited', all, { rateLimit: 0 }),
      key('key_demo_noquota', 'sk-demo-noquota', all, { plan: 'exhausted' }),
      key('key_demo_broke', 'sk-demo-broke', all, { account: 'acct-broke', project: 'proj-broke' }),
      key('key_broke_admin', 'sk-demo-broke-admin', [...all, 'admin'], { account: 'acct-broke', project: 'proj-broke' })
    ]
  }
}

/** Secrets (keys, recovery codes, idempotency keys) are stored by their hash: a leaked store does not leak them. */
export function hashSecret (secret: string): string {
  return createHash('sha256').update(secret).digest('hex')
}

export function newKeySecret (): { id: string, secret: string } {
  return { id: `key_${randomBytes(9).toString('base64url')}`, secret: `sk-${randomBytes(24).toString('base64url')}` }
}

export function newReservationId (): string {
  return `resv_${randomBytes(12).toString('base64url')}`
}
