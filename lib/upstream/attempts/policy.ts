// What the attempt loop does after a failure, by catalog code: retry the same candidate, fall back to
// the next one (any, or only one that can do what was refused), or stop. Checked when it is created.
import { catalog, codes, isGatewayErrorCode, type GatewayErrorCode } from '../../catalog/catalog'
import { checks } from '../../routing/checks'

export type AttemptAction = 'fallback' | 'stop'

export interface AttemptRule {
  /** How many times to try the same candidate again, with a wait, before `then`. Default 0. */
  retries?: number
  /** After the retries: the next candidate, or stop. */
  then?: AttemptAction
  /** Behave as this code does (a code of your own that means a catalog one). */
  like?: string
}

export interface ResolvedRule {
  readonly retries: number
  readonly then: AttemptAction
  /** Fall back only to candidates that can do what was refused (capabilities, the context window). */
  readonly capable: boolean
}

export type AttemptPolicyRules = Readonly<Record<string, AttemptRule>>

export interface AttemptPolicy {
  rule: (code: string) => ResolvedRule
  /** Whether the policy has a rule for a code (a code of your own given one with `like`). */
  knows?: (code: string) => boolean
}

/** Provider faults worth the same candidate again, after a wait. */
const RETRIED = new Set<string>(['rate_limit_exceeded', 'model_unavailable', 'upstream_timeout', 'upstream_error'])
/** What one candidate refused because of what it is: another may serve it. */
const CAPABILITY_STAGES = new Set(['endpoint', 'features', 'context'])
/** Whom the request may use, with which keys, at what price, and who is up: another candidate may pass. */
const PROVIDER_STAGES = new Set(['policy', 'keys', 'limits', 'availability'])
const stageOf = new Map(checks.map((check) => [check.code as string, check.stage]))

function defaultRule (code: GatewayErrorCode): ResolvedRule {
  const stage = stageOf.get(code)
  if (RETRIED.has(code)) return { retries: 2, then: 'fallback', capable: false }
  if (stage !== undefined && CAPABILITY_STAGES.has(stage)) return { retries: 0, then: 'fallback', capable: true }
  if (stage !== undefined && PROVIDER_STAGES.has(stage)) return { retries: 0, then: 'fallback', capable: false }
  // content_filtered and everything the caller must fix: every candidate would fail the same way.
  if (stage === 'content' || catalog[code].status < 500) return { retries: 0, then: 'stop', capable: false }
  return { retries: 0, then: 'fallback', capable: false } // a provider's fault: another may serve
}

/** The default rule of every catalog code, derived from the catalog and the routing checks. */
export const DEFAULT_RULES: Readonly<Record<GatewayErrorCode, ResolvedRule>> = Object.freeze(Object.fromEntries(
  codes.map((code) => [code, Object.freeze(defaultRule(code))])
) as Record<GatewayErrorCode, ResolvedRule>)

const STOP: ResolvedRule = Object.freeze({ retries: 0, then: 'stop', capable: false })

function problem (text: string): Error {
  return new TypeError(`fastify-gateway-errors: attempt policy: ${text}`)
}

/**
 * A policy from rules that override the defaults, by code. Refuses an unknown code (unless `like`
 * names a catalog code), a count that is not a whole number from 0, an action other than fallback or
 * stop, and `like` chains that loop.
 */
export function attemptPolicy (rules: AttemptPolicyRules = {}): AttemptPolicy {
  const resolved = new Map<string, ResolvedRule>(Object.entries(DEFAULT_RULES))
  const pending = new Map(Object.entries(rules))
  for (const [code, rule] of pending) {
    if (rule === null || typeof rule !== 'object') throw problem(`the rule for '${code}' must be an object`)
    if (!isGatewayErrorCode(code) && rule.like === undefined) {
      throw problem(`'${code}' is not a catalog code (give it \`like\` a catalog code)`)
    }
    if (rule.retries !== undefined && !(Number.isInteger(rule.retries) && rule.retries >= 0 && rule.retries <= 10)) {
      throw problem(`retries for '${code}' must be a whole number from 0 to 10, not ${String(rule.retries)}`)
    }
    if (rule.then !== undefined && rule.then !== 'fallback' && rule.then !== 'stop') {
      throw problem(`then for '${code}' must be 'fallback' or 'stop', not ${String(rule.then)}`)
    }
  }
  const resolving = new Set<string>()
  const resolve = (code: string): ResolvedRule => {
    const rule = pending.get(code)
    if (rule === undefined) {
      const known = resolved.get(code)
      if (known === undefined) throw problem(`\`like\` names '${code}', which is neither a catalog code nor a rule`)
      return known
    }
    if (resolving.has(code)) throw problem(`\`like\` loops: ${[...resolving, code].join(' → ')}`)
    resolving.add(code)
    const base = rule.like === undefined ? (resolved.get(code) as ResolvedRule) : resolve(rule.like)
    resolving.delete(code)
    const result = Object.freeze({
      retries: rule.retries ?? base.retries,
      then: rule.then ?? base.then,
      capable: base.capable
    })
    pending.delete(code)
    resolved.set(code, result)
    return result
  }
  for (const code of [...pending.keys()]) if (pending.has(code)) resolve(code)
  return { rule: (code) => resolved.get(code) ?? STOP, knows: (code) => resolved.has(code) }
}

export const defaultAttemptPolicy: AttemptPolicy = attemptPolicy()
