// fast-check: random policies, candidate lists and provider behaviours. The loop always ends, never
// calls more than the policy allows, and when every attempt failed the code is the documented rule's.
import fc from 'fast-check'
import t from 'tap'
import { attemptCandidates, attemptPolicy, type AttemptCandidate, type AttemptPolicy, type AttemptRecord } from '../../lib/upstream'
import { GatewayError, isGatewayError, type GatewayErrorCode } from '../internals'

const FAILURES = ['rate_limit_exceeded', 'upstream_error', 'upstream_timeout', 'model_unavailable', 'service_unavailable', 'internal_error',
  'invalid_request', 'invalid_api_key', 'content_filtered', 'tools_not_supported', 'context_length_exceeded'] as const
type Behaviour = { ok: true } | { ok: false, code: typeof FAILURES[number], wait?: number }

const behaviour: fc.Arbitrary<Behaviour> = fc.oneof(
  fc.constant({ ok: true as const }),
  fc.record({ ok: fc.constant(false as const), code: fc.constantFrom(...FAILURES), wait: fc.option(fc.integer({ min: 0, max: 4 }), { nil: undefined }) }, { requiredKeys: ['ok', 'code'] })
)
const candidate = fc.record({
  tools: fc.boolean(),
  contextWindow: fc.integer({ min: 1000, max: 200_000 }),
  script: fc.array(behaviour, { minLength: 1, maxLength: 6 })
})
const rules = fc.dictionary(fc.constantFrom(...FAILURES), fc.record({ retries: fc.integer({ min: 0, max: 3 }), then: fc.constantFrom('fallback' as const, 'stop' as const) }), { maxKeys: 5 })

/** The rule as docs/attempts.md states it, applied to the ledger. */
function documentedCode (ledger: readonly AttemptRecord[], policy: AttemptPolicy): string {
  const failed = ledger.filter((record) => record.code !== undefined)
  if (failed.length === 0) return 'no_provider_available'
  const callers = failed.filter((record) => policy.rule(record.code as string).then === 'stop')
  if (callers.length > 0) return callers[0]?.code as string
  const faults = failed.filter((record) => !policy.rule(record.code as string).capable)
  if (faults.length === 0) return failed[0]?.code as string
  const waited = faults.filter((record) => record.wait_ms !== undefined)
  if (waited.length > 0) return waited.reduce((a, b) => ((b.wait_ms as number) < (a.wait_ms as number) ? b : a)).code as string
  return faults[faults.length - 1]?.code as string
}

t.test('attempts never exceed the policy; the loop ends; the final code follows the rule', async (t) => {
  await fc.assert(fc.asyncProperty(fc.array(candidate, { maxLength: 4 }), rules, fc.integer({ min: 1, max: 8 }), async (list, overrides, maxAttempts) => {
    const policy = attemptPolicy(overrides)
    const calls = list.map(() => 0)
    const candidates: AttemptCandidate[] = list.map((c, i) => ({ name: `p${i}`, contextWindow: c.contextWindow, supports: { tools: c.tools } }))
    let ledger: readonly AttemptRecord[] = []
    const outcome = await attemptCandidates(candidates, async (picked) => {
      const index = Number(picked.name.slice(1))
      const step = (list[index]?.script ?? [])[Math.min(calls[index] as number, (list[index]?.script.length as number) - 1)] as Behaviour
      calls[index] = (calls[index] as number) + 1
      if (step.ok) return picked.name
      throw new GatewayError(step.code as GatewayErrorCode, (step.wait === undefined ? {} : { retry_after_ms: step.wait }) as never)
    }, { policy, maxAttempts, backoffMs: 0, maxWaitMs: 2, onAttempts: (l) => { ledger = l } }).then((result) => result, (error: unknown) => error)

    const total = calls.reduce((a, b) => a + b, 0)
    if (total > maxAttempts) throw new Error(`${total} calls > maxAttempts ${maxAttempts}`)
    const maxRetries = Math.max(2, ...Object.values(overrides).map((rule) => rule.retries))
    if (calls.some((count) => count > 1 + maxRetries)) throw new Error(`a candidate called more than 1 + ${maxRetries} times: ${calls.join(',')}`)
    if (ledger.filter((record) => record.code !== undefined || record.decision === 'succeeded').length !== total) throw new Error('the ledger does not record every call')
    if (isGatewayError(outcome)) {
      const expected = documentedCode(ledger, policy)
      if (outcome.code !== expected) throw new Error(`final code ${outcome.code}, the rule says ${expected}: ${JSON.stringify(ledger)}`)
    } else {
      const { result } = outcome as { result: string }
      if (ledger.at(-1)?.decision !== 'succeeded' || ledger.at(-1)?.provider !== result) throw new Error('a success is the ledger\'s last record')
    }
  }), { numRuns: Number(process.env.FC_RUNS ?? 300) })
  t.pass('held for every run')
})
