// The attempt loop: tries a request's candidates in order, retrying and falling back by catalog code,
// and records every attempt. Usable with fetchUpstream, a provider SDK, or any call that throws.
import type { Static } from '@sinclair/typebox'
import { catalog, isGatewayErrorCode, type GatewayErrorCode } from '../../catalog/catalog'
import type { AttemptRecordSchema } from '../../catalog/details'
import { GatewayError, isGatewayError } from '../../reply/gateway-error'
import { translateProviderError } from '../provider-errors'
import { checks, type Check } from '../../routing/checks'
import type { ProviderDescription, RequestProfile } from '../../routing/types'
import { finalFailure, type Failure } from './final-code'
import { defaultAttemptPolicy, type AttemptPolicy } from './policy'
import { upstreamCall } from '../../telemetry/telemetry'
import { notAReplyBody } from '../fetch-upstream'
const ATTEMPTS_HINT = 'attemptCandidates() resolves with { result, candidate, ledger }: reply with result.body'

export type AttemptRecord = Static<typeof AttemptRecordSchema>

/** A candidate: a provider (as `routeRequest` returns them), optionally of another model. */
export type AttemptCandidate = Pick<ProviderDescription, 'name'> &
  Partial<Pick<ProviderDescription, 'supports' | 'contextWindow'>> & { model?: string }

export interface AttemptContext {
  /** 1 for the first call of the loop, counting every retry and fallback. */
  attempt: number
  /** Aborts when the client leaves (the `signal` given to the loop). */
  signal: AbortSignal | undefined
}

export interface AttemptOptions {
  /** Retry, fall back or stop, by catalog code. Default `defaultAttemptPolicy`. */
  policy?: AttemptPolicy
  /** The client's signal (`request.abortSignal`): once aborted, no attempt is started and waits end. */
  signal?: AbortSignal
  /** Calls at most, over every candidate. Default 5. */
  maxAttempts?: number
  /** The whole loop's budget, in ms: no attempt or wait is started that would pass it. Default 60,000. */
  deadlineMs?: number
  /** The longest stated wait honoured before retrying the same candidate (a longer one falls back). Default 10,000. */
  maxWaitMs?: number
  /** The first back-off in ms, doubled on each retry, with jitter, when no wait is stated. Default 250. */
  backoffMs?: number
  /** What the request asks for, so that a capability refused by one candidate skips those without it. */
  profile?: RequestProfile
  /** Called once the loop has ended, with every attempt: log it, meter it. */
  onAttempts?: (ledger: readonly AttemptRecord[], outcome: 'succeeded' | 'failed') => void
  /** For OpenTelemetry: `gen_ai.operation.name` (default `chat`), and the model when candidates name none. */
  operation?: string
  model?: string
  /** Sets `x-gateway-attempts` and `x-gateway-fallbacks` on the reply when more than one call was made. */
  reply?: { header: (name: string, value: string) => unknown }
}

export interface AttemptResult<T, C> {
  result: T
  candidate: C
  ledger: readonly AttemptRecord[]
}

const checkByCode = new Map<string, Check>(checks.map((check) => [check.code, check]))
const NO_PROFILE: RequestProfile = { model: '', endpoint: 'chat', stream: false, features: {}, limits: {}, policy: {} }
type Details = Record<string, unknown> | undefined
type Refusal = { code: GatewayErrorCode, details: Details }

function failureOf (error: unknown, candidate: AttemptCandidate, policy: AttemptPolicy): Refusal {
  if (isGatewayError(error)) {
    // A code of the app's own stays when the policy has a rule for it (`like`): the app's registry replies with it.
    const known = isGatewayErrorCode(error.code) || policy.knows?.(error.code) === true
    const code = known ? error.code : 'internal_error'
    return { code, details: error.details as Record<string, unknown> | undefined }
  }
  if (typeof error === 'object' && error !== null && ('status' in error || 'error' in error)) {
    return translateProviderError(error as Parameters<typeof translateProviderError>[0], candidate.name)
  }
  return { code: 'internal_error', details: undefined }
}

/** What a refusal teaches about the request: the capability it needs, the tokens it takes. */
function learn (profile: RequestProfile, code: GatewayErrorCode, details: Details, from: AttemptCandidate) {
  const check = checkByCode.get(code)
  if (check?.feature !== undefined) return { ...profile, features: { ...profile.features, [check.feature]: true } }
  if (code === 'streaming_not_supported') return { ...profile, stream: true }
  if (code === 'non_streaming_not_supported') return { ...profile, stream: false }
  if (code === 'context_length_exceeded') {
    const stated = details?.requested_tokens
    const window = (from.contextWindow ?? 0) + 1
    const needed = Math.max(profile.limits.contextTokens ?? 0, typeof stated === 'number' ? stated : 0, window)
    return { ...profile, limits: { ...profile.limits, contextTokens: needed } }
  }
  return profile
}

/** Why a candidate cannot serve what the request turned out to need; undefined if it can. */
function unfit (needs: RequestProfile, refused: GatewayErrorCode[], candidate: AttemptCandidate): string | undefined {
  const provider = { supports: {}, ...candidate } as ProviderDescription
  for (const code of refused) {
    const reason = checkByCode.get(code)?.reject(needs, provider)
    if (reason !== undefined) return `${code}: ${candidate.name} ${reason}`
  }
  return undefined
}

/** Whether a call failed because its signal was aborted (fetchUpstream says client_disconnected). */
function cancelled (error: unknown): boolean {
  if (isGatewayError(error)) return error.code === 'client_disconnected'
  return (error as { name?: unknown } | null)?.name === 'AbortError'
}

function sleep (ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    const done = () => { clearTimeout(timer); signal?.removeEventListener('abort', done); resolve() }
    const timer = setTimeout(done, ms)
    signal?.addEventListener('abort', done, { once: true })
  })
}

function statedWait (details: Record<string, unknown> | undefined): number | undefined {
  const wait = details?.retry_after_ms
  return typeof wait === 'number' && Number.isFinite(wait) && wait >= 0 ? Math.ceil(wait) : undefined
}

function upstreamStatus (details: Record<string, unknown> | undefined): number | undefined {
  const status = (details?.upstream as { status?: unknown } | undefined)?.status
  return typeof status === 'number' ? status : undefined
}

function positive (value: number | undefined, fallback: number, name: string): number {
  if (value === undefined) return fallback
  if (!(typeof value === 'number' && value >= 0 && !Number.isNaN(value))) {
    throw new TypeError(`fastify-gateway-errors: ${name} must be a number from 0`)
  }
  return value
}

/**
 * Tries `candidates` in order with `call` until one succeeds, retrying and falling back as the
 * policy says for the catalog code of each failure. Resolves with the first success; otherwise throws
 * one GatewayError whose code follows the documented rule and whose details carry every attempt.
 */
export async function attemptCandidates<C extends AttemptCandidate, T> (
  candidates: readonly C[],
  call: (candidate: C, context: AttemptContext) => Promise<T>,
  options: AttemptOptions = {}
): Promise<AttemptResult<T, C>> {
  const policy = options.policy ?? defaultAttemptPolicy
  const maxAttempts = positive(options.maxAttempts, 5, 'maxAttempts')
  const deadlineMs = positive(options.deadlineMs, 60_000, 'deadlineMs')
  const deadline = performance.now() + deadlineMs
  const maxWait = positive(options.maxWaitMs, 10_000, 'maxWaitMs')
  const backoff = positive(options.backoffMs, 250, 'backoffMs')
  // A call still running at the deadline is cancelled: the loop is bounded, whatever the call's own timeouts.
  const overtime = new AbortController()
  const timer = setTimeout(() => overtime.abort(), Math.min(deadlineMs, 2 ** 31 - 1))
  const signal = options.signal === undefined ? overtime.signal : AbortSignal.any([options.signal, overtime.signal])
  const ledger: AttemptRecord[] = []
  const failures: Failure[] = []
  const refused: GatewayErrorCode[] = []
  let needs = options.profile ?? NO_PROFILE
  let calls = 0

  const finish = (outcome: 'succeeded' | 'failed') => {
    clearTimeout(timer)
    if (calls > 1 && options.reply !== undefined) {
      options.reply.header('x-gateway-attempts', String(calls))
      const fallbacks = ledger.filter((record) => record.decision === 'fell_back').length
      options.reply.header('x-gateway-fallbacks', String(fallbacks))
    }
    options.onAttempts?.(ledger, outcome)
  }
  const left = () => options.signal?.aborted === true
  const stopReason = (): string | undefined => {
    if (left()) return 'the client left'
    if (calls >= maxAttempts) return `maxAttempts (${maxAttempts}) reached`
    return performance.now() >= deadline ? 'the deadline passed' : undefined
  }
  type Outcome = { done: true, result: T } | { done: false, next: boolean }

  /** One candidate, with its retries: its result, or whether to go on to the next candidate. */
  const tried = new Set<string>()
  async function tryCandidate (candidate: C): Promise<Outcome> {
    const model = candidate.model === undefined ? {} : { model: candidate.model }
    // A list that names a candidate twice (a fallback chain that loops) calls it once.
    const key = `${candidate.name}\u0000${candidate.model ?? ''}`
    const reason = tried.has(key) ? 'already tried' : unfit(needs, refused, candidate)
    tried.add(key)
    if (reason !== undefined) {
      ledger.push({ provider: candidate.name, ...model, duration_ms: 0, decision: 'skipped', reason })
      return { done: false, next: true }
    }
    let outcome: Outcome | undefined
    for (let retry = 0; outcome === undefined; retry++) outcome = await attemptOnce(candidate, model, retry)
    return outcome
  }

  /** The call, in its own CLIENT span when telemetry is on: `error.type` is the code its failure translates to. */
  function tracedCall (candidate: C, attempt: number): Promise<T> {
    const model = candidate.model ?? options.model
    const info = { operation: options.operation ?? 'chat', provider: candidate.name, model }
    return upstreamCall(info, async (span) => {
      try {
        const result = await call(candidate, { attempt, signal })
        span?.succeeded(result)
        return result
      } catch (error) {
        const { code, details } = failureOf(error, candidate, policy)
        span?.failed(code, details)
        throw error
      }
    })
  }

  /** One call: its outcome, or undefined to call the same candidate again (after the wait). */
  async function attemptOnce (candidate: C, model: { model?: string }, retry: number): Promise<Outcome | undefined> {
    const stop = stopReason()
    if (stop !== undefined) {
      ledger.push({ provider: candidate.name, ...model, duration_ms: 0, decision: 'stopped', reason: stop })
      return { done: false, next: false }
    }
    calls++
    const started = performance.now()
    try {
      const result = await tracedCall(candidate, calls)
      const duration = Math.round(performance.now() - started)
      ledger.push({ provider: candidate.name, ...model, duration_ms: duration, decision: 'succeeded' })
      return { done: true, result }
    } catch (error) {
      // cancelled at the deadline (the call gave up on the aborted signal): the provider took too long
      const { code, details } = overtime.signal.aborted && !left() && cancelled(error)
        ? { code: 'upstream_timeout' as const, details: { provider: candidate.name } }
        : failureOf(error, candidate, policy)
      const rule = policy.rule(code)
      const wait = statedWait(details)
      const status = upstreamStatus(details)
      const record: AttemptRecord = {
        provider: candidate.name,
        ...model,
        code,
        ...(status === undefined ? {} : { status }),
        retryable: (catalog as Partial<typeof catalog>)[code]?.retryable ?? rule.retries > 0,
        ...(wait === undefined ? {} : { wait_ms: wait }),
        duration_ms: Math.round(performance.now() - started),
        decision: 'stopped'
      }
      ledger.push(record)
      failures.push({ code, details, rule, wait })
      if (left()) {
        record.reason = 'the client left'
        return { done: false, next: false }
      }
      if (overtime.signal.aborted) {
        record.reason = `the deadline (${deadlineMs} ms) passed during the call`
        return { done: false, next: false }
      }
      if (retry < rule.retries && (wait === undefined || wait <= maxWait)) {
        const pause = wait ?? Math.round(backoff * 2 ** retry * (0.5 + Math.random() / 2))
        if (performance.now() + pause >= deadline) {
          record.reason = `a wait of ${pause} ms would pass the deadline`
          return { done: false, next: false }
        }
        record.decision = 'retried'
        const after = wait === undefined ? 'a back-off' : 'the stated wait'
        record.reason = `retry ${retry + 1} of ${rule.retries}, after ${after} of ${pause} ms`
        await sleep(pause, signal)
        return undefined
      }
      if (rule.then === 'stop') {
        record.reason = `${code}: every candidate would fail the same way`
        return { done: false, next: false }
      }
      record.decision = 'fell_back'
      record.reason = retry < rule.retries
        ? `the stated wait (${wait as number} ms) is over maxWaitMs`
        : `${code}: the next candidate`
      if (rule.capable) {
        needs = learn(needs, code, details, candidate)
        if (!refused.includes(code)) refused.push(code)
      }
      return { done: false, next: true }
    }
  }

  for (const candidate of candidates) {
    const outcome = await tryCandidate(candidate)
    if (outcome.done) {
      finish('succeeded')
      return notAReplyBody({ result: outcome.result, candidate, ledger }, ATTEMPTS_HINT)
    }
    if (!outcome.next) break
  }
  finish('failed')
  throw finalError(failures, ledger, left())
}

function finalError (failures: readonly Failure[], ledger: AttemptRecord[], left: boolean): GatewayError {
  const attempts = ledger.slice(-32) // the schema's bound; maxAttempts above 32 keeps the latest
  if (left) return new GatewayError('client_disconnected', { attempts } as never)
  const chosen = finalFailure(failures)
  // no call was made: there was no candidate
  if (chosen === undefined) return new GatewayError('no_provider_available', { attempts } as never)
  return new GatewayError(chosen.code, { ...chosen.details, attempts } as never)
}
