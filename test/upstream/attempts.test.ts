// The attempt loop against local fake providers: every real provider reply of the corpus as the first
// candidate's answer, under the default policy, and the loop's bounds (client leaving, deadline,
// maxAttempts), capability and context-window fallbacks, streams, and the policy's checks.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { Value } from '@sinclair/typebox/value'
import t, { type Test } from 'tap'
import { AttemptRecordSchema } from '../../lib/catalog/details'
import { attemptCandidates, attemptPolicy, DEFAULT_RULES, fetchUpstream, type AttemptCandidate, type AttemptRecord } from '../../lib/upstream'
import Fastify from 'fastify'
import gatewayErrors, { GatewayError, isGatewayError, type GatewayErrorCode } from '../internals'

interface Fixture { name: string, status: number, headers: Record<string, string>, body: string, expect: { code: GatewayErrorCode } }
const dir = join(__dirname, '..', 'fixtures', 'providers')
const corpus = readdirSync(dir).filter((file) => file.endsWith('.json')).flatMap((file) =>
  (JSON.parse(readFileSync(join(dir, file), 'utf8')) as Fixture[]).map((fixture) => ({ provider: file.replace('.json', ''), ...fixture })))

const OK = JSON.stringify({ id: 'x', choices: [{ message: { content: 'served' } }] })
const everything: AttemptCandidate = {
  name: 'capable',
  contextWindow: 10_000_000,
  supports: { tools: true, toolChoiceRequired: true, structuredOutput: true, jsonMode: true, vision: true, audioOutput: true, reasoning: true, disableThinking: true, streaming: true, nonStreaming: true }
}

type Handler = (req: IncomingMessage, res: ServerResponse) => void
async function providers (t: Test, routes: Record<string, Handler>) {
  const calls: Record<string, number> = {}
  const server = createServer((req, res) => {
    const name = (req.url ?? '/').slice(1)
    calls[name] = (calls[name] ?? 0) + 1
    const handler = routes[name]
    if (handler === undefined) { res.writeHead(200, { 'content-type': 'application/json' }); res.end(OK); return }
    handler(req, res)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.teardown(() => { server.closeAllConnections(); server.close() })
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  const call = (candidate: AttemptCandidate, context: { signal: AbortSignal | undefined }) =>
    fetchUpstream(`${url}/${candidate.name}`, { provider: candidate.name, timeoutMs: 300, method: 'POST', body: '{}', headers: { 'content-type': 'application/json' }, signal: context.signal })
  return { calls, call, url }
}

const reply = (status: number, headers: Record<string, string>, body: string): Handler => (_req, res) => { res.writeHead(status, headers); res.end(body) }

function checkLedger (t: Test, ledger: readonly AttemptRecord[], calls: Record<string, number>, label: string): void {
  t.ok(ledger.every((record) => Value.Check(AttemptRecordSchema, record)), `${label}: every record valid against GatewayAttempt`)
  const called = ledger.filter((record) => record.decision !== 'skipped' && !(record.decision === 'stopped' && record.code === undefined))
  t.equal(called.length, Object.values(calls).reduce((a, b) => a + b, 0), `${label}: one record per call the providers saw`)
}

t.test('every provider reply of the corpus, then a healthy candidate: the default policy\'s promise', async (t) => {
  const routes: Record<string, Handler> = {}
  corpus.forEach((fixture, i) => { routes[`p${i}`] = reply(fixture.status, fixture.headers, fixture.body) })
  const { calls, call } = await providers(t, routes)
  const maxWaitMs = 50
  for (const [i, fixture] of corpus.entries()) {
    for (const key of Object.keys(calls)) delete calls[key]
    const rule = DEFAULT_RULES[fixture.expect.code]
    const label = `${fixture.provider} ${fixture.name} (${fixture.expect.code})`
    let ledger: readonly AttemptRecord[] = []
    const outcome = await attemptCandidates([{ name: `p${i}` }, everything], call, { maxWaitMs, backoffMs: 1, onAttempts: (l) => { ledger = l } })
      .then((result) => result, (error: unknown) => error)
    const stated = ledger[0]?.wait_ms
    const retries = stated === undefined || stated <= maxWaitMs ? rule.retries : 0
    t.equal(calls[`p${i}`], 1 + retries, `${label}: the failing provider called ${1 + retries} times`)
    if (rule.then === 'fallback') {
      t.equal(calls.capable, 1, `${label}: fell back to the next candidate`)
      t.match(outcome, { result: { body: { choices: [{ message: { content: 'served' } }] } }, candidate: { name: 'capable' } })
    } else {
      t.equal(calls.capable, undefined, `${label}: stopped: every candidate would fail the same way`)
      t.ok(isGatewayError(outcome) && outcome.code === fixture.expect.code, `${label}: the provider's code`)
      t.match((outcome as GatewayError).details, { attempts: [{ provider: `p${i}`, code: fixture.expect.code, decision: 'stopped' }] })
    }
    checkLedger(t, ledger, calls, label)
  }
})

t.test('faults that are not replies: a provider that hangs, refuses, or answers HTML', async (t) => {
  const { calls, call } = await providers(t, {
    hangs: () => {},
    html: reply(200, { 'content-type': 'text/html' }, '<html>oops</html>')
  })
  const refused = { name: 'refused' }
  const dead = async () => { throw Object.assign(new TypeError('fetch failed'), { cause: { code: 'ECONNREFUSED' } }) }
  let ledger: readonly AttemptRecord[] = []
  const result = await attemptCandidates([{ name: 'hangs' }, { name: 'html' }, refused, { name: 'fine' }], (candidate, context) =>
    candidate === refused ? dead() : call(candidate, context), { backoffMs: 1, maxAttempts: 10, onAttempts: (l) => { ledger = l } })
  t.equal(result.candidate.name, 'fine')
  t.same(ledger.map((r) => [r.provider, r.code, r.decision]), [
    ['hangs', 'upstream_timeout', 'retried'], ['hangs', 'upstream_timeout', 'retried'], ['hangs', 'upstream_timeout', 'fell_back'],
    ['html', 'upstream_error', 'retried'], ['html', 'upstream_error', 'retried'], ['html', 'upstream_error', 'fell_back']
  ].concat([['refused', 'internal_error', 'fell_back'], ['fine', undefined, 'succeeded']] as never), 'retried twice each, then the next')
  t.same(calls, { hangs: 3, html: 3, fine: 1 })
})

t.test('a capability one candidate refuses: only candidates that declare it are tried', async (t) => {
  const { calls, call } = await providers(t, {})
  // the first provider's adapter knows the refusal (a provider SDK's error, a check of its own)
  const refusing = async (candidate: AttemptCandidate, context: { signal: AbortSignal | undefined }) => {
    if (candidate.name === 'first') { calls.first = 1; throw new GatewayError('tools_not_supported', { model: 'm' }) }
    return call(candidate, context)
  }
  let ledger: readonly AttemptRecord[] = []
  const result = await attemptCandidates([{ name: 'first' }, { name: 'plain', supports: {} }, { name: 'tooled', supports: { tools: true } }], refusing, { onAttempts: (l) => { ledger = l } })
  t.equal(result.candidate.name, 'tooled')
  t.same(calls, { first: 1, tooled: 1 }, 'the candidate without tools is never called')
  t.match(ledger[1], { provider: 'plain', decision: 'skipped', reason: /^tools_not_supported: plain does not support tool calling/ })
})

t.test('context_length_exceeded falls back only to a larger window', async (t) => {
  const { calls, call } = await providers(t, {
    small: reply(400, { 'content-type': 'application/json' }, JSON.stringify({ error: { message: "This model's maximum context length is 8192 tokens. However, your messages resulted in 20000 tokens.", type: 'invalid_request_error', code: 'context_length_exceeded' } }))
  })
  let ledger: readonly AttemptRecord[] = []
  const result = await attemptCandidates([
    { name: 'small', contextWindow: 8192 }, { name: 'medium', contextWindow: 16_384 }, { name: 'large', model: 'big-model', contextWindow: 128_000 }
  ], call, { onAttempts: (l) => { ledger = l } })
  t.equal(result.candidate.name, 'large')
  t.same(calls, { small: 1, large: 1 })
  t.match(ledger, [{ code: 'context_length_exceeded', decision: 'fell_back' }, { provider: 'medium', decision: 'skipped', reason: /context_length_exceeded/ }, { provider: 'large', model: 'big-model', decision: 'succeeded' }])

  const none = await attemptCandidates([{ name: 'small', contextWindow: 8192 }, { name: 'medium', contextWindow: 16_384 }], call).catch((e: unknown) => e)
  t.match(none, { code: 'context_length_exceeded', details: { requested_tokens: 20000, max_context_tokens: 8192 } }, 'no window is large enough: the refusal itself')
})

t.test('waits: stated waits honoured, the deadline never passed, the client leaving stops everything', async (t) => {
  const limited: Handler = reply(429, { 'content-type': 'application/json', 'retry-after-ms': '40' }, JSON.stringify({ error: { message: 'Rate limit reached', type: 'rate_limit_error' } }))
  const { calls, call } = await providers(t, { limited, slow: (_req, res) => { setTimeout(() => reply(503, { 'content-type': 'application/json' }, '{}')(_req, res), 50) } })

  const started = performance.now()
  const waited = await attemptCandidates([{ name: 'limited' }, { name: 'fine' }], call).catch((e: unknown) => e) as { candidate: AttemptCandidate, ledger: AttemptRecord[] }
  t.equal(waited.candidate.name, 'fine')
  t.ok(performance.now() - started >= 80, 'two stated waits of 40 ms were slept')
  t.match(waited.ledger.slice(0, 2), [{ wait_ms: 40, decision: 'retried', reason: /stated wait of 40 ms/ }, { wait_ms: 40, decision: 'retried' }])

  calls.limited = 0
  const deadline = await attemptCandidates([{ name: 'limited' }, { name: 'fine' }], call, { deadlineMs: 30 }).catch((e: unknown) => e) as GatewayError
  t.equal(deadline.code, 'rate_limit_exceeded')
  t.equal(calls.limited, 1, 'the wait that would pass the deadline was not started')
  t.match(deadline.details, { retry_after_ms: 40, attempts: [{ decision: 'stopped', reason: 'a wait of 40 ms would pass the deadline' }] })

  calls.limited = 0
  const client = new AbortController()
  // The client leaves during the 40 ms wait that follows the first refusal (whatever the machine's load).
  let abortedAt = 0
  const leaveAfterFirst: typeof call = (provider, options) => call(provider, options).finally(() => {
    setTimeout(() => { abortedAt = performance.now(); client.abort() }, 5)
  })
  const gone = await attemptCandidates([{ name: 'limited' }, { name: 'fine' }], leaveAfterFirst, { signal: client.signal }).catch((e: unknown) => e) as GatewayError
  t.equal(gone.code, 'client_disconnected')
  t.ok(abortedAt > 0 && performance.now() - abortedAt < 30, 'the wait ended when the client left')
  t.equal(calls.limited, 1)
  t.equal(calls.fine ?? 0, 1, 'no call after the client left (fine was called once, by the first loop)')

  const during = new AbortController()
  setTimeout(() => during.abort(), 10)
  const midCall = await attemptCandidates([{ name: 'slow' }, { name: 'fine' }], call, { signal: during.signal }).catch((e: unknown) => e) as GatewayError
  t.equal(midCall.code, 'client_disconnected', 'the client leaving during a call: no fallback')
  t.equal(calls.fine, 1)
})

t.test('maxAttempts bounds the calls over every candidate; headers say how many', async (t) => {
  const { calls, call } = await providers(t, { a: reply(502, {}, 'bad gateway'), b: reply(502, {}, 'bad gateway'), c: reply(502, {}, 'bad gateway') })
  const headers: Record<string, string> = {}
  const error = await attemptCandidates([{ name: 'a' }, { name: 'b' }, { name: 'c' }], call, { maxAttempts: 4, backoffMs: 1, reply: { header: (name, value) => { headers[name] = value } } })
    .catch((e: unknown) => e) as GatewayError
  t.same(calls, { a: 3, b: 1 })
  t.equal(error.code, 'upstream_error')
  t.same(headers, { 'x-gateway-attempts': '4', 'x-gateway-fallbacks': '1' })
  t.match((error.details as { attempts: AttemptRecord[] }).attempts.at(-1), { provider: 'b', decision: 'stopped', reason: 'maxAttempts (4) reached' })
})

t.test('the policy is checked when it is created', async (t) => {
  t.throws(() => attemptPolicy({ upstream_eror: { retries: 1 } }), /'upstream_eror' is not a catalog code/)
  t.throws(() => attemptPolicy({ upstream_error: { retries: -1 } }), /retries for 'upstream_error' must be a whole number from 0 to 10, not -1/)
  t.throws(() => attemptPolicy({ upstream_error: { retries: 1.5 } }), /not 1.5/)
  t.throws(() => attemptPolicy({ upstream_error: { then: 'retry' as never } }), /then for 'upstream_error' must be 'fallback' or 'stop', not retry/)
  t.throws(() => attemptPolicy({ mine: { like: 'yours' }, yours: { like: 'mine' } }), /`like` loops: mine → yours → mine/)
  t.throws(() => attemptPolicy({ mine: { like: 'nothing' } }), /'nothing', which is neither a catalog code nor a rule/)
  t.throws(() => attemptPolicy({ upstream_error: null as never }), /must be an object/)
  const policy = attemptPolicy({ content_filtered: { then: 'fallback' }, guardrail_blocked: { like: 'content_filtered' }, upstream_error: { retries: 0 } })
  t.same(policy.rule('content_filtered'), { retries: 0, then: 'fallback', capable: false })
  t.same(policy.rule('guardrail_blocked'), { retries: 0, then: 'fallback', capable: false }, 'a code of your own behaves like the one it names')
  t.same(policy.rule('upstream_error'), { retries: 0, then: 'fallback', capable: false })
  t.same(policy.rule('never_heard_of'), { retries: 0, then: 'stop', capable: false }, 'an unknown code stops')
  t.same(DEFAULT_RULES.invalid_request, { retries: 0, then: 'stop', capable: false }, 'the caller must fix it: no retry, no fallback')
  t.same(DEFAULT_RULES.rate_limit_exceeded, { retries: 2, then: 'fallback', capable: false })
  t.same(DEFAULT_RULES.vision_not_supported, { retries: 0, then: 'fallback', capable: true })
  t.same(DEFAULT_RULES.content_filtered, { retries: 0, then: 'stop', capable: false })
  await t.rejects(attemptCandidates([], async () => 1, { maxAttempts: -1 }), /maxAttempts must be a number from 0/)
})

t.test('no candidates: no_provider_available; a thrown non-error: internal_error', async (t) => {
  await t.rejects(attemptCandidates([], async () => 1), { code: 'no_provider_available' })
  await t.rejects(attemptCandidates([{ name: 'x' }], async () => { throw new GatewayError('invalid_api_key') }), { code: 'invalid_api_key' })
})

t.test('what a refusal teaches: streaming, non-streaming, endpoints; SDK errors translated', async (t) => {
  const refuse = (codes: Record<string, GatewayErrorCode>) => async (candidate: AttemptCandidate) => {
    const code = codes[candidate.name]
    if (code !== undefined) throw new GatewayError(code)
    return candidate.name
  }
  const skipped = async (code: GatewayErrorCode, candidates: AttemptCandidate[]) => {
    let ledger: readonly AttemptRecord[] = []
    const result = await attemptCandidates(candidates, refuse({ first: code, again: code }), { onAttempts: (l) => { ledger = l } })
    return { served: result.result, skipped: ledger.filter((r) => r.decision === 'skipped').map((r) => r.provider) }
  }
  t.same(await skipped('streaming_not_supported', [{ name: 'first' }, { name: 'no-stream', supports: { streaming: false } }, { name: 'streams', supports: {} }]),
    { served: 'streams', skipped: ['no-stream'] })
  t.same(await skipped('non_streaming_not_supported', [{ name: 'first' }, { name: 'stream-only', supports: { nonStreaming: false } }, { name: 'both', supports: {} }]),
    { served: 'both', skipped: ['stream-only'] })
  t.same(await skipped('no_compatible_endpoint', [{ name: 'first' }, { name: 'other' }]), { served: 'other', skipped: [] }, 'nothing to learn without the profile: the next is tried')
  t.same(await skipped('tools_not_supported', [{ name: 'first', supports: { tools: true } }, { name: 'again', supports: { tools: true } }, { name: 'third', supports: { tools: true } }]),
    { served: 'third', skipped: [] }, 'candidates that declare the capability are tried, even after two refusals')

  const sdkError = Object.assign(new Error('429 Rate limit reached'), { status: 429, headers: { 'retry-after-ms': '3' }, error: { message: 'Rate limit reached', type: 'requests' } })
  let ledger: readonly AttemptRecord[] = []
  const result = await attemptCandidates([{ name: 'sdk' }, { name: 'fine' }], async (candidate) => {
    if (candidate.name === 'sdk') throw sdkError
    return 'ok'
  }, { onAttempts: (l) => { ledger = l } })
  t.equal(result.result, 'ok')
  t.match(ledger, [{ provider: 'sdk', code: 'rate_limit_exceeded', status: 429, wait_ms: 3, decision: 'retried' }], 'a provider SDK\'s APIError is translated')
  await t.rejects(attemptCandidates([{ name: 'x' }], async () => { throw new GatewayError('not_a_code' as never) }), { code: 'internal_error' }, 'a GatewayError of an unknown code')
})

t.test('a fallback once the deadline has passed is not started', async (t) => {
  let ledger: readonly AttemptRecord[] = []
  const error = await attemptCandidates([{ name: 'slow' }, { name: 'next' }], async (candidate) => {
    if (candidate.name === 'next') t.fail('called after the deadline')
    await new Promise((resolve) => setTimeout(resolve, 30))
    throw new GatewayError('service_unavailable')
  }, { deadlineMs: 20, onAttempts: (l) => { ledger = l } }).catch((e: unknown) => e)
  t.match(error, { code: 'service_unavailable' })
  t.match(ledger, [{ provider: 'slow', code: 'service_unavailable', decision: 'stopped', reason: 'the deadline (20 ms) passed during the call' }])
  t.equal(ledger.length, 1, 'no fallback once the deadline has passed')
})

t.test('a candidate listed twice (a fallback chain that loops) is called once', async (t) => {
  let calls = 0
  let ledger: readonly AttemptRecord[] = []
  const error = await attemptCandidates([{ name: 'a' }, { name: 'b', model: 'x' }, { name: 'a' }, { name: 'b', model: 'y' }], async (candidate) => {
    calls++
    throw new GatewayError('service_unavailable', { provider: candidate.name } as never)
  }, { onAttempts: (l) => { ledger = l } }).catch((e: unknown) => e)
  t.match(error, { code: 'service_unavailable' })
  t.equal(calls, 3, 'a, b/x and b/y; the second a is skipped')
  t.match(ledger[2], { provider: 'a', decision: 'skipped', reason: 'already tried' })
})

t.test('a call still running at the deadline is cancelled: upstream_timeout, and nothing after', async (t) => {
  const { calls, url } = await providers(t, { stalls: () => {} })
  let ledger: readonly AttemptRecord[] = []
  const started = performance.now()
  const error = await attemptCandidates([{ name: 'stalls' }, { name: 'next' }], (candidate, { signal }) =>
    fetchUpstream(`${url}/${candidate.name}`, { provider: candidate.name, timeoutMs: 5000, method: 'POST', body: '{}', signal }),
  { deadlineMs: 150, onAttempts: (l) => { ledger = l } }).catch((e: unknown) => e) as GatewayError
  const elapsed = performance.now() - started
  t.equal(error.code, 'upstream_timeout')
  t.ok(elapsed < 1000, `ended at the deadline, not at the call's own 5 s answer timeout (${Math.round(elapsed)} ms)`)
  t.match(ledger, [{ provider: 'stalls', code: 'upstream_timeout', decision: 'stopped', reason: 'the deadline (150 ms) passed during the call' }])
  t.equal(ledger.length, 1, 'no call after the deadline')
  t.equal(calls.next, undefined)
})

t.test('at the deadline: an AbortError is a timeout, anything else keeps its own code', async (t) => {
  const abortable = (signal: AbortSignal | undefined) => new Promise((_resolve, reject) => {
    signal?.addEventListener('abort', () => reject(new DOMException('The operation was aborted', 'AbortError')))
  })
  await t.rejects(attemptCandidates([{ name: 'sdk' }], async (_candidate, { signal }) => abortable(signal), { deadlineMs: 30 }), { code: 'upstream_timeout' })
  const late = (thrown: unknown) => attemptCandidates([{ name: 'odd' }], async () => {
    await new Promise((resolve) => setTimeout(resolve, 40))
    throw thrown
  }, { deadlineMs: 20 })
  await t.rejects(late(null), { code: 'internal_error' }, 'null thrown after the deadline')
  await t.rejects(late(new TypeError('bug')), { code: 'internal_error' })
})

t.test('a deadline passed before its timer fires (a blocked event loop) still stops the next call', async (t) => {
  let ledger: readonly AttemptRecord[] = []
  await t.rejects(attemptCandidates([{ name: 'busy' }, { name: 'next' }], async (candidate) => {
    if (candidate.name === 'next') t.fail('called after the deadline')
    const end = performance.now() + 30
    while (performance.now() < end) {} // eslint-disable-line no-empty -- a handler that blocks
    throw new GatewayError('service_unavailable')
  }, { deadlineMs: 20, onAttempts: (l) => { ledger = l } }), { code: 'service_unavailable' })
  t.match(ledger, [{ provider: 'busy', decision: 'fell_back' }, { provider: 'next', decision: 'stopped', reason: 'the deadline passed' }])
})

t.test('a code of the app\'s own, thrown by a call: its code and its `like` rule survive the loop', async (t) => {
  const policy = attemptPolicy({ guardrail_blocked: { like: 'content_filtered' } })
  let calls = 0
  const refuse = async () => { calls++; throw new GatewayError('guardrail_blocked' as never) }
  const stopped = await attemptCandidates([{ name: 'a' }, { name: 'b' }], refuse, { policy }).catch((e: unknown) => e) as GatewayError
  t.equal(stopped.code, 'guardrail_blocked' as never)
  t.equal(calls, 1, 'like content_filtered: stopped, no fallback')
  t.match((stopped.details as { attempts: AttemptRecord[] }).attempts, [{ code: 'guardrail_blocked', retryable: false, decision: 'stopped' }])
  const app = Fastify()
  await app.register(gatewayErrors, { extraCodes: { guardrail_blocked: { status: 403, message: 'Blocked by a guardrail policy' } } })
  app.get('/', async () => attemptCandidates([{ name: 'a' }], refuse, { policy }))
  t.teardown(() => app.close())
  const res = await app.inject('/')
  t.equal(res.statusCode, 403, 'the app that declares it replies with its status')
  t.equal(res.json().error.code, 'guardrail_blocked')
  t.match(res.json().error.details.attempts, [{ code: 'guardrail_blocked' }], 'and the ledger')
  calls = 0
  const unknown = await attemptCandidates([{ name: 'a' }], async () => { throw new GatewayError('' as never) }).catch((e: unknown) => e) as GatewayError
  t.equal(unknown.code, 'internal_error', 'a GatewayError without a code is an internal_error')
  const noRule = await attemptCandidates([{ name: 'a' }], refuse).catch((e: unknown) => e) as GatewayError
  t.equal(noRule.code, 'internal_error', 'without a rule, a code of your own cannot be told from a typo')
  const custom = { rule: () => ({ retries: 0, then: 'stop' as const, capable: false }) }
  const mine = await attemptCandidates([{ name: 'a' }], refuse, { policy: custom }).catch((e: unknown) => e) as GatewayError
  t.equal(mine.code, 'internal_error', 'a policy of your own without `knows` knows only the catalog')
})
