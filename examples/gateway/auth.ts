// API keys, scopes and MFA. Failed logins are counted per address and wrong MFA codes per account,
// in the store (so across instances): past the limit the caller gets rate_limit_exceeded with the
// wait, whatever it sends, so neither keys nor codes can be guessed at speed.
import type { FastifyRequest } from 'fastify'
import { GatewayError, isGatewayError, maskSecret } from 'fastify-gateway-errors'
import type { ApiKey, Scope, Store } from './store/store'
import { matchingStep } from './totp'

declare module 'fastify' {
  interface FastifyRequest {
    /** The key the request authenticated with (its secret is not kept). */
    caller: ApiKey
  }
}

export interface AuthOptions {
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

  async function refuseWhileLocked (bucket: string, limit: number) {
    const attempts = await store.failures(bucket)
    if (attempts !== undefined && attempts.count >= limit) {
      throw new GatewayError('rate_limit_exceeded', { retry_after_ms: Math.max(0, attempts.resetAt - Date.now()) })
    }
  }

  async function findCaller (request: FastifyRequest): Promise<ApiKey> {
    const header = request.headers.authorization ?? request.headers['x-api-key']
    const secret = typeof header === 'string' ? header.replace(/^Bearer\s+/i, '') : undefined
    if (secret === undefined || secret === '') throw new GatewayError('invalid_api_key')
    if (!API_KEY.test(secret)) throw new GatewayError('invalid_api_key', { key_hint: maskSecret(secret) })
    const key = await store.findKey(secret)
    if (key === undefined || key.revoked === true) throw new GatewayError('invalid_api_key', { key_hint: maskSecret(secret) })
    if (key.expiresAt !== undefined && key.expiresAt < Date.now()) {
      throw new GatewayError('expired_api_key', { key_hint: maskSecret(secret), expired_at: new Date(key.expiresAt).toISOString() })
    }
    return key
  }

  /** The `onRequest` hook of the API's routes. */
  async function authenticate (request: FastifyRequest) {
    const bucket = `login:${request.ip}`
    await refuseWhileLocked(bucket, failedLoginLimit)
    try {
      request.caller = await findCaller(request)
    } catch (error) {
      // A store that is down is no failed login.
      if (isGatewayError(error) && (error.code === 'invalid_api_key' || error.code === 'expired_api_key')) await store.fail(bucket, failedLoginWindowMs)
      throw error
    }
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
    await refuseWhileLocked(bucket, mfaAttemptLimit)
    if (recovery !== undefined) {
      if (await store.useRecoveryCode(account, String(recovery))) return
      await store.fail(bucket, mfaWindowMs)
      throw new GatewayError('invalid_recovery_code')
    }
    const secret = await store.mfaSecret(account)
    const step = secret === undefined ? undefined : matchingStep(secret, String(code))
    if (step !== undefined && await store.useTotpStep(account, step)) return
    await store.fail(bucket, mfaWindowMs)
    throw new GatewayError('mfa_verification_failed')
  }

  return { authenticate, requireScope, requireMfa }
}

export type Auth = ReturnType<typeof createAuth>
