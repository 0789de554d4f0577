// API keys, scopes and MFA. Failed logins are counted per address and MFA attempts per account, in
// the store (so across instances), and each is counted in the same step that judges it (or before):
// past the limit the caller gets rate_limit_exceeded with the wait, whatever it sends, so neither
// keys nor codes can be guessed, even by a burst of concurrent attempts over several instances.
import type { FastifyRequest } from 'fastify'
import { GatewayError, isGatewayError } from 'fastify-gateway-errors'
import { maskSecret } from 'fastify-gateway-errors/upstream'
import { hashSecret } from './store/seed'
import type { ApiKey, AttemptLimit, Scope, Store } from './store/store'
import { matchingStep } from './totp'

declare module 'fastify' {
  interface FastifyRequest {
    /** The key the request authenticated with (its secret is not kept). */
    caller: ApiKey
  }
}

export interface AuthOptions {
  /**
   * While the store is unreachable, a key verified this recently (ms) is still let in (30 s):
   * reads go on through a short outage, while spending, which needs the store, fails closed.
   */
  verifiedKeyGraceMs?: number
  /** Failed authentications per address and window before the address is refused (20). */
  failedLoginLimit?: number
  failedLoginWindowMs?: number
  /** Wrong MFA or recovery codes per account and window before MFA is locked (5 in 15 minutes). */
  mfaAttemptLimit?: number
  mfaWindowMs?: number
}

const API_KEY = /^sk-[A-Za-z0-9_-]{8,}$/

export function createAuth (store: Store, options: AuthOptions = {}) {
  const failedLoginLimit = options.failedLoginLimit ?? 20
  const failedLoginWindowMs = options.failedLoginWindowMs ?? 60_000
  const mfaAttemptLimit = options.mfaAttemptLimit ?? 5
  const mfaWindowMs = options.mfaWindowMs ?? 15 * 60_000

  const graceMs = options.verifiedKeyGraceMs ?? 30_000
  const verified = new Map<string, { key: ApiKey, at: number }>()
  const outage = { admitted: 0, loggedAt: 0 }

  /** Remembers a key just verified, by the hash of its secret (bounded: the oldest goes first). */
  function remember (secret: string, key: ApiKey): void {
    const hash = hashSecret(secret)
    verified.delete(hash)
    if (verified.size >= 10_000) verified.delete(verified.keys().next().value as string)
    verified.set(hash, { key, at: Date.now() })
  }

  /** The store failed: a key verified within the grace period passes; anything else fails closed. */
  function duringOutage (secret: string, error: unknown, request: FastifyRequest): ApiKey {
    const recent = verified.get(hashSecret(secret))
    if (!isGatewayError(error) || error.code !== 'service_unavailable' || recent === undefined || Date.now() - recent.at > graceMs) throw error
    // Said once per 10 s with a count, not once per request: an outage must not flood the logs.
    outage.admitted++
    if (Date.now() - outage.loggedAt >= 10_000) {
      request.log.warn({ admitted: outage.admitted }, 'store unreachable: keys verified in the last %d ms are let in; spending stays closed', graceMs)
      Object.assign(outage, { admitted: 0, loggedAt: Date.now() })
    }
    return recent.key
  }

  const locked = (resetAt: number) => new GatewayError('rate_limit_exceeded', { retry_after_ms: Math.max(0, resetAt - Date.now()) })

  async function findCaller (request: FastifyRequest, guard: AttemptLimit): Promise<ApiKey> {
    const header = request.headers.authorization ?? request.headers['x-api-key']
    const secret = typeof header === 'string' ? header.replace(/^Bearer\s+/i, '') : undefined
    if (secret === undefined || secret === '' || !API_KEY.test(secret)) {
      const attempt = await store.attempt(guard)
      if (!attempt.allowed) throw locked(attempt.resetAt)
      throw new GatewayError('invalid_api_key', secret === undefined || secret === '' ? undefined : { key_hint: maskSecret(secret) })
    }
    let check
    try {
      check = await store.checkKey(secret, guard)
    } catch (error) {
      return duringOutage(secret, error, request)
    }
    if (check.state === 'locked') throw locked(check.resetAt)
    if (check.state === 'unknown') throw new GatewayError('invalid_api_key', { key_hint: maskSecret(secret) })
    const key = check.key
    if (key.revoked === true || (key.expiresAt !== undefined && key.expiresAt < Date.now())) {
      // A real secret, refused: still a failed login, though not one that guesses.
      await store.attempt(guard)
      if (key.revoked === true) throw new GatewayError('invalid_api_key', { key_hint: maskSecret(secret) })
      throw new GatewayError('expired_api_key', { key_hint: maskSecret(secret), expired_at: new Date(key.expiresAt as number).toISOString() })
    }
    if (graceMs > 0) remember(secret, key)
    return key
  }

  /** The `onRequest` hook of the API's routes. */
  async function authenticate (request: FastifyRequest) {
    request.caller = await findCaller(request, { bucket: `login:${request.ip}`, limit: failedLoginLimit, windowMs: failedLoginWindowMs })
  }

  function requireScope (request: FastifyRequest, scope: Scope) {
    if (!request.caller.scopes.includes(scope)) throw new GatewayError('insufficient_permissions', { required_scope: scope })
  }

  /** A TOTP code (`x-mfa-code`, each one accepted once) or a recovery code (`x-mfa-recovery-code`, single use). */
  async function requireMfa (request: FastifyRequest) {
    const account = request.caller.account
    const bucket = `mfa:${account}`
    const code = request.headers['x-mfa-code']
    const recovery = request.headers['x-mfa-recovery-code']
    if (code === undefined && recovery === undefined) {
      throw new GatewayError('mfa_required', { action: `${request.method} ${request.routeOptions.url}` })
    }
    // Counted before it is judged; given back when it was right.
    const attempt = await store.attempt({ bucket, limit: mfaAttemptLimit, windowMs: mfaWindowMs })
    if (!attempt.allowed) throw locked(attempt.resetAt)
    if (recovery !== undefined) {
      if (!await store.useRecoveryCode(account, String(recovery))) throw new GatewayError('invalid_recovery_code')
    } else {
      const secret = await store.mfaSecret(account)
      const step = secret === undefined ? undefined : matchingStep(secret, String(code))
      if (step === undefined || !await store.useTotpStep(account, step)) throw new GatewayError('mfa_verification_failed')
    }
    await store.forgive(bucket)
  }

  return { authenticate, requireScope, requireMfa }
}

export type Auth = ReturnType<typeof createAuth>
