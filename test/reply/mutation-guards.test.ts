// Fast, pure checks of what SECURITY.md promises, for `npm run mutate` (StrykerJS runs this file
// once per mutant, so it starts no server): redaction of every format, the translation of every
// provider reply in the corpus, the waits providers state, and request ids. A mutant of
// lib/upstream/redact.ts, provider-errors.ts, provider-waits.ts, catalog/retry-after.ts, reply/request-id.ts or
// patterns.ts that none of these notices is a protection no test guards.
import t from 'tap'
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { maskSecret, redactString, toSafeJson } from '../../lib/upstream/redact'
import { isSafetyBlock, readProviderError, statusOfError, translateProviderError } from '../../lib/upstream/provider-errors'
import { headerValue, parseDuration, providerWait } from '../../lib/upstream/provider-waits'
import { capWait, jitteredWait, MAX_RETRY_AFTER_MS, noWaitCures, parseRetryAfter, parseRetryAfterMs } from '../../lib/catalog/retry-after'
import { gatewayGenReqId, headerSafeId, SEQUENTIAL_ID } from '../../lib/reply/request-id'
import { compose, composedPatterns, followedWithin, precededWithin } from '../../lib/upstream/patterns'
import type { IncomingMessage } from 'node:http'
import { secretCases } from '../fixtures/secrets'

interface Fixture { name: string, status: number, headers: Record<string, string>, body: string, expect: { code: string, details?: Record<string, unknown> } }

const dir = join(__dirname, '..', 'fixtures', 'providers')
const corpus = readdirSync(dir).filter((file) => file.endsWith('.json')).flatMap((file) =>
  (JSON.parse(readFileSync(join(dir, file), 'utf8')) as Fixture[]).map((fixture) => ({ provider: file.replace('.json', ''), ...fixture })))

t.test('every provider reply of the corpus: its code, its numbers, attributed', async (t) => {
  for (const fixture of corpus) {
    const result = translateProviderError({ status: fixture.status, headers: fixture.headers, body: fixture.body, provider: fixture.provider })
    t.equal(result.code, fixture.expect.code, `${fixture.provider}: ${fixture.name}`)
    if (fixture.expect.details !== undefined) t.match(result.details, fixture.expect.details, `${fixture.provider}: ${fixture.name}: numbers`)
    t.match(result.details, { provider: fixture.provider, upstream: { status: fixture.status, provider: fixture.provider } })
  }
})

t.test('every secret format is redacted; ordinary text is left alone', async (t) => {
  for (const [label, text, secret, redacted] of secretCases) {
    t.notOk(redactString(text, 400).includes(secret), label)
    t.equal(redactString(text, 400), redacted, `${label}: exactly`)
  }
  const exactly: Array<[string, string]> = [
    ['v1.eyJabc.defghijk', 'v1.eyJabc.defghijk'], // too short a header to be a token
    ['eyJabcdef.ghijkl', 'eyJ…'], // the shortest: eyJ + 6, then 6
    ['eyJabcde.ghijkl', 'eyJabcde.ghijkl'],
    ['eyJabcdefg.ghijk', 'eyJabcdefg.ghijk'],
    ['x.eyJabcdef.ghijkl.sig.more', 'x.eyJ….more'],
    ['gpt-4o-mini.2024-07-18.release', 'gpt-4o-mini.2024-07-18.release'],
    ['abceyJabcdef.ghijkl', 'abceyJ…'],
    ['a.eyJabcdef.ghijkl and b.eyJzyxwvu.tsrqpo', 'a.eyJ… and b.eyJ…'],
    ['Bearer  abcdefgh', 'Bearer …'],
    ['PASSWORD=x1 and token=y2', 'PASSWORD=… and token=…'],
    ['ghp_A1b2C3d4E5f6G7h8I9j0', 'ghp_…I9j0'],
    ['ghx_A1b2C3d4E5f6G7h8I9j0', 'ghx_A1b2C3d4E5f6G7h8I9j0'],
    ['ghp_A1b2C3d4E5f6G7h8I9j', 'ghp_A1b2C3d4E5f6G7h8I9j'],
    ['id:ABCDEFGHIJKLMNOPQRSTUVWXYZabcdef12;', 'id:…ef12;'],
    ['ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmn', '…klmn'],
    ['ab/cd/ef/gh1/ij/kl/mn/op/qr/st/uv', '…t/uv'],
    ['QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVo=x', '…YWVo=x'],
    ['QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVo== ok', '…Vo== ok'],
    ['ABCDEFGHIJKLMNOPQRSTUVWXYZabcde', 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcde'], // 31: too short to look random
    ['x=1 '.repeat(50), 'x=1 '.repeat(50)] // exactly 200 characters, worked on: no ellipsis
  ]
  for (const [text, redacted] of exactly) t.equal(redactString(text), redacted, text.slice(0, 40))
  t.equal(maskSecret('ab9cd-efgh1234'), '…1234', 'a prefix is only at the start')
  for (const text of ['meta-llama/Llama-3.1-405B-Instruct-Turbo', 'limit 60 per minute', 'gpt-4o-mini', 'version 1.2', 'a short sentence.']) {
    t.equal(redactString(text), text, `left alone: ${text}`)
  }
  t.equal(redactString('Bearer abcdefgh'), 'Bearer …')
  t.equal(redactString('basic dXNlcjpw'), 'basic …')
  t.equal(redactString('password=hunter2&x=1'), 'password=…&x=1')
  t.equal(redactString('"api_key": "abc123"'), '"api_key": "…"')
  t.equal(redactString('token: abc123'), 'token: …')
  t.equal(redactString('AKIAIOSFODNN7EXAMPLE'), 'AKIAIOSFODNN7EXAMPLE'.slice(0, 0) + '…MPLE')
  t.equal(redactString('AIzaSyA1234567890abcdefghijk'), 'AIza…')
  t.equal(redactString('ghp_16C7e42F292c6912E7710c838347Ae178B4a'), 'ghp_…8B4a')
  t.equal(redactString('xoxb-123456789012-abc'), 'xoxb-…-abc')
  t.equal(redactString('sk-abcdef123456'), 'sk-…3456')
  t.equal(redactString('key_abcdefghijkl12'), 'key_…kl12')
  t.equal(redactString('at 10.1.2.3 and 192.168.0.1, 172.16.0.1, 169.254.1.1'), 'at [internal] and [internal], [internal], [internal]')
  t.equal(redactString('at 172.15.0.1 and 8.8.8.8'), 'at 172.15.0.1 and 8.8.8.8', 'public addresses stay')
  t.equal(redactString('api.corp'), '[internal]')
  t.equal(redactString('a/b/c/d/e/f/g/h/i/j/k/l/m/n/o/p/q/r/s'), 'a/b/c/d/e/f/g/h/i/j/k/l/m/n/o/p/q/r/s', 'a path is no random run')
  t.equal(redactString('ABCDEFGHIJKLMNOPQRSTUVWXYZabcdef12'), '…ef12')
  t.equal(redactString('x\ny\tz\u2029'), 'x y z ')
  t.equal(redactString('word '.repeat(60)), `${'word '.repeat(40)}…`, 'clipped at 200 with an ellipsis')
  t.equal(redactString('word '.repeat(60), 250), `${'word '.repeat(50)}…`)
  t.equal(redactString('word '.repeat(40)), 'word '.repeat(40), 'exactly the limit: not clipped')
  t.equal(redactString(`${'word '.repeat(200)}sk-abcdef123456`), `${'word '.repeat(40)}…`, 'clipped before any expression runs')
  t.equal(maskSecret('sk-proj-abcdefwxyz'), 'sk-…wxyz')
  t.equal(maskSecret('abcdefwxyz'), '…wxyz')
})

t.test('toSafeJson: bounded, redacted, no prototype keys, hostile objects survive', async (t) => {
  t.strictSame(toSafeJson({ a: 'sk-abcdef123456', n: 1, b: true, big: 10n, f: () => 1, s: Symbol('x'), inf: Infinity }),
    { a: 'sk-…3456', n: 1, b: true, big: '10', inf: null })
  t.same(Object.keys(toSafeJson({ f: () => 1, u: undefined, ok: 1 }) as object), ['ok'], 'what is not JSON is left out, not kept as undefined')
  t.strictSame(toSafeJson([[[[[[['deep']]]]]]]), [[[[[[null]]]]]], 'arrays count toward the depth too')
  const deep: Record<string, unknown> = {}
  let cursor = deep
  for (let i = 0; i < 10; i++) { cursor.next = {}; cursor = cursor.next as Record<string, unknown> }
  t.same(toSafeJson(deep), { next: { next: { next: { next: { next: { next: null } } } } } }, 'six levels, then null')
  const cycle: Record<string, unknown> = { name: 'x' }
  cycle.self = cycle
  t.same(toSafeJson(cycle), { name: 'x', self: null })
  const shared = { v: 1 }
  t.same(toSafeJson({ a: shared, b: shared }), { a: { v: 1 }, b: { v: 1 } }, 'a repeated (not circular) object is kept')
  t.equal((toSafeJson(Array.from({ length: 80 }, (_, i) => i)) as unknown[]).length, 50)
  t.strictSame(toSafeJson([undefined, () => 1]), [null, null])
  t.equal(Object.keys(toSafeJson(Object.fromEntries(Array.from({ length: 80 }, (_, i) => [`k${i}`, i]))) as object).length, 50)
  const poisoned = toSafeJson(JSON.parse('{"__proto__": {"x": 1}, "y": 2}')) as Record<string, unknown>
  t.same(poisoned, { y: 2 })
  t.equal(Object.getPrototypeOf(poisoned), Object.prototype, 'no prototype set from input')
  t.equal(poisoned.x, undefined)
  t.same(toSafeJson(Object.create({ inherited: 1 })), {})
  t.same(toSafeJson({ get bad () { throw new Error('x') }, ok: 1 }), { ok: 1 })
  t.equal(toSafeJson(new Proxy({}, { ownKeys () { throw new Error('x') } })), null)
  t.same(toSafeJson({ 'sk-abcdef123456': 1 }), { 'sk-…3456': 1 }, 'keys are redacted too')
  t.equal(toSafeJson(undefined), undefined)
  t.equal(toSafeJson(null), null)
})

t.test('translateProviderError: statuses, shapes and the details it states', async (t) => {
  const code = (status: number, body?: unknown, headers?: Record<string, string>) => translateProviderError({ status, body, headers }).code
  t.equal(code(401, { error: { message: 'bad key' } }), 'upstream_error', 'the gateway\'s own key: not the caller\'s')
  t.equal(code(403, { error: { message: 'blocked by content filter' } }), 'content_filtered')
  t.equal(code(403, { error: { message: 'billing hard limit' } }), 'model_unavailable')
  t.equal(code(403, { error: { message: 'no' } }), 'upstream_error')
  t.equal(code(400, { error: { details: [{ reason: 'API_KEY_INVALID' }], message: 'x' } }), 'upstream_error')
  t.equal(code(402, {}), 'model_unavailable')
  t.equal(code(400, { error: { message: 'insufficient_quota' } }), 'model_unavailable')
  for (const status of [408, 504, 524]) t.equal(code(status), 'upstream_timeout', String(status))
  for (const status of [503, 529]) t.equal(code(status), 'model_unavailable', String(status))
  t.equal(code(500, { error: { type: 'overloaded_error' } }), 'model_unavailable')
  t.equal(code(429, { error: { message: 'slow down' } }), 'rate_limit_exceeded')
  t.equal(code(400, { error: { type: 'ThrottlingException' } }), 'rate_limit_exceeded')
  t.equal(code(429, { error: { message: 'You exceeded your current quota' } }), 'model_unavailable')
  t.equal(code(429, { error: { message: 'Request too large for gpt-4o: Limit 30000, Requested 50000' } }), 'invalid_request')
  t.equal(code(429, { error: { message: 'Requested 50000 tokens, but the Limit 30000 per minute' } }), 'invalid_request')
  t.equal(code(429, { error: { message: 'input exceeds the tokens per minute limit' } }), 'invalid_request')
  t.equal(code(429, {}, { 'retry-after': '7200' }), 'model_unavailable', 'two hours away: not a wait to state')
  t.equal(code(500), 'upstream_error')
  t.equal(code(400), 'upstream_error', 'no body to read')
  t.equal(code(413), 'payload_too_large')
  t.equal(code(413, { error: { message: 'too many tokens in the context window' } }), 'context_length_exceeded')
  t.equal(code(413, { error: { message: 'too many bytes' } }), 'payload_too_large')
  t.equal(code(400, { error: { message: 'This model\'s maximum context length is 8192 tokens' } }), 'context_length_exceeded')
  t.equal(code(400, { error: { message: 'flagged by our safety system' } }), 'content_filtered')
  t.equal(code(404, { error: { message: 'nope' } }), 'upstream_error')
  t.equal(code(400, { error: { code: 'model_not_found', message: 'x' } }), 'upstream_error')
  t.equal(code(400, { error: { message: 'Unknown parameter: \'temprature\'' } }), 'unknown_field')
  t.equal(code(400, { error: { message: 'messages: field required' } }), 'missing_required_parameter')
  t.equal(code(400, { error: { message: 'tools are not supported by this model' } }), 'tools_not_supported')
  t.equal(code(400, { error: { message: 'This model does not support function calling' } }), 'tools_not_supported')
  t.equal(code(400, { error: { message: 'image input is not supported' } }), 'vision_not_supported')
  t.equal(code(400, { error: { message: 'streaming is not supported for this model' } }), 'streaming_not_supported')
  t.equal(code(400, { error: { message: 'This model does not support streaming' } }), 'streaming_not_supported')
  t.equal(code(400, { error: { message: 'response_format is not supported' } }), 'json_mode_not_supported')
  t.equal(code(400, { error: { message: 'reasoning is unsupported here' } }), 'reasoning_not_supported')
  t.equal(code(400, { error: { message: 'something else not supported' } }), 'invalid_request')
  t.equal(code(400, { error: { message: 'bad', param: 'temperature' } }), 'invalid_parameter_value')
  t.equal(code(400, { error: { message: 'max_tokens: 99999 > 8192, which is the maximum' } }), 'invalid_parameter_value')
  t.equal(code(400, { error: { message: 'just wrong' } }), 'invalid_request')
  t.equal(code(400, 'not json at all'), 'upstream_error')
  t.equal(code(400, '["a"]'), 'upstream_error')
  t.equal(code(400, '{broken'), 'upstream_error')
  t.equal(code(400, '"a bare string message"'), 'invalid_request', 'xAI\'s bare JSON string is the message')
  t.equal(code(400, '[{"error":{"code":429,"message":"slow down","status":"RESOURCE_EXHAUSTED"}}]'), 'rate_limit_exceeded', 'Gemini\'s array')
  t.equal(code(400, { message: 'flat', code: 'x' }), 'invalid_request')
  t.equal(code(400, { error: 'a string error mentions a content filter' }), 'content_filtered')
  t.equal(code(400, { detail: 'maximum context length is 4096 tokens' }), 'context_length_exceeded')
  t.equal(code(400, { error: { message: { nested: 'prompt is too long' } } }), 'context_length_exceeded', 'a structured message')
  t.equal(code(400, { error: { message: 'see https://example.com/docs#token-limit for why' } }), 'invalid_request', 'a link is not the wording')
  t.equal(code(400, {}, { 'x-amzn-errortype': 'ThrottlingException:http://internal' }), 'rate_limit_exceeded')
  t.equal(translateProviderError({ status: 429 }).code, 'rate_limit_exceeded', 'no headers, no body')

  const details = (input: Parameters<typeof translateProviderError>[0]) => translateProviderError(input).details
  t.same(details({ status: 400, body: { error: { message: 'prompt is too long: 250000 tokens > 200000 maximum' } } }),
    { upstream: { status: 400 }, requested_tokens: 250000, max_context_tokens: 200000 })
  t.match(details({ status: 400, body: { error: { message: 'This model\'s maximum context length is 8192 tokens. However, you requested 9000 tokens' } } }),
    { requested_tokens: 9000, max_context_tokens: 8192 })
  t.match(details({ status: 400, body: { error: { message: 'The input token count (1200000) exceeds the maximum number of tokens allowed (1048576)' } } }),
    { requested_tokens: 1200000, max_context_tokens: 1048576 })
  t.notMatch(details({ status: 400, body: { error: { message: 'maximum context length exceeded' } } }), { requested_tokens: Number })
  t.same(details({ status: 400, body: { error: { message: 'x', type: 'invalid_request_error', code: 'bad_param', param: 'top_p' } }, provider: 'acme', excerpt: true }),
    { provider: 'acme', upstream: { status: 400, provider: 'acme', type: 'invalid_request_error', code: 'bad_param' }, param: 'top_p', excerpt: 'x' })
  t.match(details({ status: 400, body: { error: { message: 'Unknown parameter: \'temprature\'' } } }), { param: 'temprature' })
  t.match(details({ status: 400, body: { error: { message: 'extraneous key [top_k] is not permitted' } } }), { param: 'top_k' })
  t.match(details({ status: 400, body: { error: { message: 'required key [messages] not found' } } }), { param: 'messages' })
  t.match(details({ status: 400, body: { error: { message: '`max_tokens` must be positive' } } }), { param: 'max_tokens' })
  t.same(details({ status: 429, headers: { 'retry-after-ms': '1500' } }), { upstream: { status: 429 }, retry_after_ms: 1500 })
  t.same(details({ status: 429, headers: { 'retry-after-ms': '1500.2' } }).retry_after_ms, 1501, 'rounded up')
  t.same(details({ status: 503, headers: { 'retry-after': '3' } }), { upstream: { status: 503 }, retry_after_ms: 3000 })
  t.same(details({ status: 503, headers: { 'retry-after': '7200' } }), { upstream: { status: 503 } }, 'a wait beyond the cap is not stated')
  t.same(details({ status: 429, body: { error: { message: 'You exceeded your current quota' } }, headers: { 'retry-after': '3' } }), { upstream: { status: 429 } })
  t.notOk('excerpt' in details({ status: 400, body: { error: { message: '' } }, excerpt: true }), 'no excerpt of an empty message')
  t.notOk('excerpt' in details({ status: 400, body: { error: { message: 'x' } } }), 'no excerpt unless asked')
  t.equal(details({ status: 400, body: { error: { message: 'word '.repeat(100) } }, excerpt: true }).excerpt, `${'word '.repeat(32)}…`)
  t.match(details({ status: 400, body: { error: { message: 'x', type: 'ab '.repeat(40), code: 'cd '.repeat(40) } } }).upstream,
    { type: `${'ab '.repeat(20)}…`, code: `${'cd '.repeat(20)}…` })
  t.match(details({ status: 400, body: { error: { message: 'x', type: 'sk-abcdef123456', code: 'sk-abcdef654321' } } }).upstream, { type: 'sk-…3456', code: 'sk-…4321' })

  const sdk = translateProviderError({ status: 429, headers: { 'retry-after': '2' }, error: { error: { message: 'slow' } } }, 'openai')
  t.same(sdk, { code: 'rate_limit_exceeded', details: { provider: 'openai', upstream: { status: 429, provider: 'openai' }, retry_after_ms: 2000 } })
  t.same(translateProviderError({ error: undefined }), { code: 'upstream_error', details: { upstream: { status: 502 } } }, 'an SDK connection error')
  t.equal(translateProviderError({ status: 400, body: { get error () { throw new Error('x') } } }).code, 'upstream_error', 'a body that throws')
})

t.test('readProviderError, statusOfError and isSafetyBlock', async (t) => {
  t.same(readProviderError({ error: { message: 'm', type: 't', code: 'c', param: 'p' } }), { message: 'm', type: 't', code: 'c', param: 'p', reasons: [], counts: { requested: undefined, max: undefined } })
  t.match(readProviderError({ error: { status: 'RESOURCE_EXHAUSTED', details: [{ reason: 'R' }, { violations: [{ quotaId: 'PerDay' }] }, null] } }),
    { type: 'RESOURCE_EXHAUSTED', reasons: ['R', 'PerDay'] })
  t.match(readProviderError({ error: { message: 'm', innererror: { code: 'ResponsibleAIPolicyViolation' } } }), { reasons: ['ResponsibleAIPolicyViolation'] })
  t.match(readProviderError({ error: { message: 'm', inner_error: { code: 'X' } } }), { reasons: ['X'] })
  t.match(readProviderError({ __type: 'ThrottlingException', message: 'm' }), { type: 'ThrottlingException', message: 'm' })
  t.match(readProviderError({ type: 'error', error: { type: 'overloaded_error', message: 'm' } }), { type: 'overloaded_error' })
  t.match(readProviderError({ type: 'x', message: 'm' }), { type: 'x' })
  t.match(readProviderError({ error: { message: 'm', code: 429 } }), { code: '429' })
  t.equal(readProviderError('plain text'), undefined)
  t.equal(readProviderError('null'), undefined)
  t.equal(readProviderError(42), undefined)
  t.equal(readProviderError({ error: { message: 'x'.repeat(5000) } })?.message.length, 2000, 'long messages are read up to 2,000 characters')
  t.equal(statusOfError({ code: 429 }), 429)
  t.equal(statusOfError({ code: 399 }), 502)
  t.equal(statusOfError({ code: 600 }), 502)
  t.equal(statusOfError({ code: 400 }), 400)
  t.equal(statusOfError({ code: 599 }), 599)
  t.equal(statusOfError({ status: 'UNAVAILABLE' }), 503)
  t.equal(statusOfError({ type: 'overloaded_error' }), 529)
  t.equal(statusOfError({ type: 'rate_limit_error' }), 429)
  t.equal(statusOfError({ status: 'INVALID_ARGUMENT', type: 'api_error' }), 400, 'status first')
  t.equal(statusOfError(undefined), 502)
  t.ok(isSafetyBlock({ promptFeedback: { blockReason: 'SAFETY' } }))
  t.ok(isSafetyBlock({ candidates: [{ finishReason: 'SAFETY' }, { finishReason: 'PROHIBITED_CONTENT' }] }))
  t.notOk(isSafetyBlock({ candidates: [{ finishReason: 'SAFETY' }, { finishReason: 'STOP' }] }))
  t.notOk(isSafetyBlock({ candidates: [] }))
  t.notOk(isSafetyBlock({ candidates: [{ finishReason: 'SAFETY_X' }] }))
  t.notOk(isSafetyBlock({ promptFeedback: {} }))
  t.notOk(isSafetyBlock(null))
  t.notOk(isSafetyBlock('x'))
})

t.test('the waits providers state', async (t) => {
  const now = Date.parse('2026-12-06T00:00:00Z')
  t.equal(parseDuration('1m30s'), 90_000)
  t.equal(parseDuration('20ms'), 20)
  t.equal(parseDuration('6.5s'), 6500)
  t.equal(parseDuration('1h'), 3_600_000)
  for (const bad of [undefined, '', '5', 's', '1x', '1s2', ' 1s']) t.equal(parseDuration(bad), undefined, `not a duration: ${String(bad)}`)
  t.equal(headerValue(new Headers({ a: 'b' }), 'a'), 'b')
  t.equal(headerValue({ a: ['x', 'y'] }, 'a'), 'x')
  t.equal(headerValue({ a: 'z'.repeat(100) }, 'a'), 'z'.repeat(64))
  t.equal(headerValue({ a: 5 as unknown as string }, 'a'), undefined)
  t.equal(headerValue(undefined, 'a'), undefined)
  t.equal(providerWait({ 'retry-after-ms': '250', 'retry-after': '9' }, undefined, now), 250, 'retry-after-ms first')
  t.equal(providerWait({ 'x-ms-retry-after-ms': '300', 'retry-after': '9' }, undefined, now), 300)
  t.equal(providerWait({ 'retry-after': '9' }, undefined, now), 9000)
  t.equal(providerWait({ 'x-ratelimit-reset-requests': '2s', 'x-ratelimit-reset-tokens': '6s' }, undefined, now), 6000, 'the longer of the two limits')
  t.equal(providerWait({ 'x-ratelimit-reset-requests': '2s' }, undefined, now), 2000)
  t.equal(providerWait({ 'anthropic-ratelimit-tokens-reset': '2026-12-06T00:00:30Z' }, undefined, now), 30_000)
  t.equal(providerWait({ 'anthropic-ratelimit-output-tokens-reset': '2026-12-06T00:00:10Z', 'anthropic-ratelimit-requests-reset': '2026-12-06T00:00:05Z' }, undefined, now), 10_000)
  t.equal(providerWait({ 'anthropic-ratelimit-input-tokens-reset': '2026-12-05T23:00:00Z' }, undefined, now), 0, 'a reset in the past')
  t.equal(providerWait({ 'anthropic-ratelimit-tokens-reset': 'soon' }, undefined, now), undefined)
  t.equal(providerWait({ 'anthropic-ratelimit-tokens-reset': '2026-13-99T00:00:00Z' }, undefined, now), undefined)
  t.equal(providerWait({}, { error: { details: [{ '@type': 'x' }, { retryDelay: '37s' }] } }, now), 37_000, 'Gemini\'s RetryInfo')
  t.equal(providerWait({}, [{ error: { details: [null, { retryDelay: '0.5s' }] } }], now), 500)
  t.equal(providerWait({}, { error: { details: 'x' } }, now), undefined)
  t.equal(providerWait({}, { error: { message: 'Please try again in 6.78s.' } }, now), 6780)
  t.equal(providerWait({}, { message: 'try again in 1m0.5s' }, now), 60_500)
  t.equal(providerWait({}, [{ error: { message: 'Try again in 644ms' } }], now), 644)
  t.equal(providerWait({}, { error: { message: 'try again later' } }, now), undefined)
  // waits in words, the unit spelt out or not
  const inWords: Array<[string, number]> = [
    ['Please retry after 9 seconds.', 9000], ['Rate limit is exceeded. Try again in 30 seconds.', 30_000],
    ['Please retry in 20.04466179s.', 20_044.66179], ['please wait 500 ms', 500], ['Retry after 250 milliseconds', 250],
    ['try again in 2 minutes', 120_000], ['retry after 1 hour', 3_600_000], ['Wait 3 secs', 3000], ['retry after 1 min', 60_000]
  ]
  for (const [message, ms] of inWords) t.equal(providerWait({}, { error: { message } }, now), ms, message)
  t.equal(providerWait({}, { error: { message: 'retry after a while, 5 tries left' } }, now), undefined, 'no number, no wait')
  t.equal(providerWait({}, { error: { message: 5 } }, now), undefined)
  t.equal(providerWait(undefined, undefined, now), undefined)
  t.equal(parseRetryAfter('2', now), 2000)
  t.equal(parseRetryAfterMs('0'), 0)
  t.equal(capWait(0), 0)
  t.equal(capWait(MAX_RETRY_AFTER_MS + 1), MAX_RETRY_AFTER_MS)
  t.equal(capWait(MAX_RETRY_AFTER_MS), MAX_RETRY_AFTER_MS)
  for (let i = 0; i < 200; i++) {
    const wait = jitteredWait(1000, 0.5)
    if (wait < 1000 || wait > 1500 || !Number.isInteger(wait)) t.fail(`jitter out of bounds: ${wait}`)
  }
  t.equal(jitteredWait(58_900, 1) <= MAX_RETRY_AFTER_MS, true)
  t.equal(jitteredWait(0, 0.5), 0)
  const spread = new Set(Array.from({ length: 100 }, () => jitteredWait(1000, 0.5)))
  t.ok(spread.size > 30, 'spread')
})

t.test('request ids: cleaned for headers, generated unique, Fastify\'s recognised', async (t) => {
  t.equal(headerSafeId('req-1'), 'req-1')
  t.equal(headerSafeId('a'.repeat(128)), 'a'.repeat(128))
  t.equal(headerSafeId('a'.repeat(129)), 'a'.repeat(128))
  t.equal(headerSafeId('a b\r\nc'), 'abc')
  t.equal(headerSafeId(42), '42')
  t.equal(headerSafeId(''), 'unknown')
  t.equal(headerSafeId('\u0000\u0001'), 'unknown')
  t.equal(headerSafeId({ toString () { throw new Error('x') } }), 'unknown')
  t.equal(headerSafeId(`${'x'.repeat(600)}`), 'x'.repeat(128))
  t.equal(headerSafeId(`${' '.repeat(600)}ab`), 'unknown', 'only the first 512 characters are cleaned')
  t.match(gatewayGenReqId(), /^req_[0-9a-f]{32}$/)
  t.not(gatewayGenReqId(), gatewayGenReqId())
  t.ok(SEQUENTIAL_ID.test('req-1') && SEQUENTIAL_ID.test('req-zz9') && !SEQUENTIAL_ID.test('req_1') && !SEQUENTIAL_ID.test('req-12345678') && !SEQUENTIAL_ID.test('xreq-1'))
})

t.test('translateProviderError: each phrase and its spellings, each boundary', async (t) => {
  const code = (status: number, body?: unknown, headers?: Record<string, string>) => translateProviderError({ status, body, headers }).code
  const says = (message: string, status = 400) => code(status, { error: { message } })
  for (const message of ['the contentfilter said no', 'the content-filter said no', 'a contentpolicy violation', 'content management refused it']) {
    t.equal(says(message), 'content_filtered', message)
  }
  // wordings beyond the corpus: each names the real class
  const translated = (status: number, error: Record<string, unknown>) => translateProviderError({ status, body: JSON.stringify({ error }), provider: 'p' })
  t.match(translated(400, { message: 'Unrecognized request argument supplied: foo', param: null }), { code: 'unknown_field', details: { param: 'foo' } })
  t.equal(says('Invalid content type. image_url is only supported by certain models.'), 'vision_not_supported')
  t.equal(translated(400, { message: "Invalid parameter: 'response_format' of type 'json_schema' is not supported with this model.", param: 'response_format' }).code, 'structured_output_not_supported')
  t.equal(translated(400, { message: "'response_format' of type 'json_object' is not supported with this model.", param: 'response_format' }).code, 'json_mode_not_supported')
  t.equal(says('Structured output is not supported by this model'), 'structured_output_not_supported')
  t.match(translated(400, { message: 'Prompt contains 40000 tokens and 0 draft tokens, too large for model with 32768 maximum context length' }),
    { code: 'context_length_exceeded', details: { requested_tokens: 40000, max_context_tokens: 32768 } })
  t.match(translateProviderError({ status: 400, body: JSON.stringify({ message: "invalid request: unknown field: parameter 'foo' is not a valid field" }) }),
    { code: 'unknown_field', details: { param: 'foo' } }, 'the name after a second keyword')
  t.equal(translated(400, { message: "Invalid model 'llama-3-sonar-large-32k-online'. Permitted models can be found in the documentation.", type: 'invalid_model' }).code,
    'upstream_error', 'the model the gateway named')
  t.match(translateProviderError({ status: 500, body: JSON.stringify({ detail: { error: 'Requested tokens (9000) exceed context window of 8192' } }) }),
    { code: 'context_length_exceeded', details: { requested_tokens: 9000, max_context_tokens: 8192 } })
  t.equal(says('Too many requests, please check your quota settings', 429), 'rate_limit_exceeded', 'advice to check a quota is no exhausted quota')
  t.equal(says('You exceeded your current quota, please check your plan and billing details', 429), 'model_unavailable', 'the statement beside the advice stays')
  t.equal(says('requests exceed the per-minute limit', 429), 'invalid_request')
  t.equal(says('input exceeds the perminute limit', 429), 'invalid_request')
  t.equal(says('exceeds the limit, wait a minute', 429), 'rate_limit_exceeded', 'no "per minute": a wait')
  t.equal(says('Requested 9000. Limit 3000', 429), 'invalid_request')
  t.equal(says(`Requested 9000.${' '.repeat(120)}Limit 3000`, 429), 'rate_limit_exceeded', 'a limit too far away is another sentence')
  t.equal(says('the tool is not supported'), 'tools_not_supported')
  t.equal(says('stream is not supported'), 'streaming_not_supported')
  t.equal(says('jsonmode is not supported'), 'json_mode_not_supported')
  t.equal(says('responseformat is not supported'), 'json_mode_not_supported')
  t.equal(says('jsonschema is not supported'), 'structured_output_not_supported', 'a JSON schema is structured output')
  t.equal(says('it went wrong: try again'), 'invalid_request', 'a field is named only at the start')
  t.match(translateProviderError({ status: 400, body: { error: { message: 'messages.0.content: must be a string' } } }).details, { param: 'messages.0.content' })
  t.match(translateProviderError({ status: 400, body: { error: { message: 'Unknown parameter: temprature' } } }).details, { param: 'temprature' })
  t.match(translateProviderError({ status: 400, body: { error: { message: 'Unknown parameter: top_k', param: '' } } }).details, { param: 'top_k' }, 'an empty param is none')
  t.equal(says('bad thing, see http://docs.example.com/context-length'), 'invalid_request', 'an http link is not the wording either')
  t.equal(code(400, { error: { type: 'content_filter', message: 'x' } }), 'content_filtered', 'the type alone says it')
  t.equal(code(400, { error: { code: 'insufficient_quota', message: 'x' } }), 'model_unavailable', 'the code alone says it')
  t.equal(code(400, { error: { message: 'x', details: [{ reason: 'x' }, { reason: 'APIKEYINVALID' }] } }), 'upstream_error')
  t.equal(code(400, { error: { message: 'x', details: [{ reason: 'INVALIDAPIKEY' }] } }), 'upstream_error')
  t.equal(code(400, { error: { message: 'x', details: [{ reason: 'PERMISSIONDENIED' }] } }), 'upstream_error')
  t.equal(code(400, { error: { message: 'x', details: [{ reason: 'UNAUTHENTICATED' }] } }), 'upstream_error')
  t.equal(code(400, { error: { message: 'x', details: [{ reason: 'OTHER' }] } }), 'invalid_request')
  t.equal(code(403, { error: { message: 'content filter' } }), 'content_filtered')
  t.equal(code(401, { error: { message: 'content filter' } }), 'upstream_error', 'a filter is named only with 403')
  t.equal(code(401, { error: { message: 'billing' } }), 'upstream_error', 'and credit only with 403')
  t.equal(code(400, { error: { type: 'service_unavailable', message: 'x' } }), 'model_unavailable')
  t.equal(code(400, { error: { type: 'x', code: 'ratelimit', message: 'x' } }), 'rate_limit_exceeded')
  t.equal(code(400, { error: { type: 'RESOURCEEXHAUSTED', message: 'x' } }), 'rate_limit_exceeded')
  t.equal(code(400, { error: { type: 'RESOURCE_EXHAUSTED', message: 'x' } }), 'rate_limit_exceeded')
  t.equal(code(429, {}, { 'retry-after': '59' }), 'rate_limit_exceeded', 'the longest wait a client honours')
  t.equal(code(429, {}, { 'retry-after-ms': '59001' }), 'model_unavailable', 'a millisecond beyond it')
  t.equal(code(400, { error: { type: 'NOT_FOUND', message: 'x' } }), 'upstream_error')
  t.equal(code(400, { error: { type: 'x', code: 'x', message: 'x' } }), 'invalid_request')
  t.equal(says('messages is required'), 'missing_required_parameter')
  t.equal(says('a value is required'), 'invalid_request', 'required, no field named')
  t.equal(code(400, { error: { message: 'bad', param: '' } }), 'invalid_request', 'an empty param names nothing')
  t.equal(code(400, { error: { message: 'fine' } }, { 'x-amzn-errortype': 'ThrottlingException:x' }), 'rate_limit_exceeded')
  t.equal(code(400, { error: { type: 'invalid_request_error', message: 'fine' } }, { 'x-amzn-errortype': 'ThrottlingException:x' }), 'invalid_request', 'the body\'s own type first')
  t.equal(code(400, 'plain', { 'x-amzn-errortype': 'ThrottlingException:x' }), 'upstream_error', 'no body to name: the header alone is not read')

  const details = (input: Parameters<typeof translateProviderError>[0]) => translateProviderError(input).details
  t.strictSame(details({ status: 400, body: { error: { message: 'prompt is too long: you requested 9000 tokens' } } }), { upstream: { status: 400 } }, 'no maximum stated: no numbers')
  t.strictSame(details({ status: 400, body: { error: { message: 'prompt is too long' } }, provider: undefined }), { upstream: { status: 400 } })
  t.strictSame(details({ status: 400, body: { error: { message: 'just wrong' } } }), { upstream: { status: 400 } }, 'no param named: none stated')
  t.strictSame(details({ status: 503, headers: { 'retry-after-ms': '59000' } }), { upstream: { status: 503 }, retry_after_ms: 59_000 })
  t.strictSame(details({ status: 503, headers: { 'retry-after-ms': '59001' } }), { upstream: { status: 503 } })
  t.strictSame(details({ status: 429, body: { error: { message: 'quota' } }, headers: { 'retry-after': '5' } }), { upstream: { status: 429 } }, 'out of quota at 429: no wait stated')
  t.strictSame(details({ status: 400, body: { error: { message: 'x', type: 'invalid_request_error' } } }), { upstream: { status: 400, type: 'invalid_request_error' } })
  for (const status of [99, 100, 599, 600]) {
    t.equal((details({ status, body: {} }).upstream as { status: number }).status, status >= 100 && status <= 599 ? status : 502, `status ${status}`)
  }
  t.strictSame(translateProviderError({ body: { error: { message: 'x' } } } as never).details, { upstream: { status: 502 } }, 'a body without a status')
  t.equal(translateProviderError({ status: 400, body: { error: { message: 'x' } }, error: 'not the sdk shape' } as never).code, 'invalid_request', 'with a body, it is a reply, not an SDK error')
})

t.test('readProviderError: where each field is found', async (t) => {
  t.match(readProviderError({ type: 'invalid_request_error', error: { message: 'm' } }), { type: 'invalid_request_error' }, 'the root\'s type beside a nested error')
  t.match(readProviderError({ type: 'error', error: { message: 'm' } }), { type: undefined }, 'Anthropic\'s "error" is no type')
  t.match(readProviderError({ error: { message: { text: 'structured' } } }), { message: '{"text":"structured"}' })
  t.match(readProviderError({ error: { message: 'plain' } }), { message: 'plain' }, 'a string message is not quoted')
  t.match(readProviderError({ error: { message: { text: 'x'.repeat(3000) } } })?.message.length, 2000)
  t.match(readProviderError('  {"error":{"message":"padded"}}'), { message: 'padded' })
  t.equal(readProviderError('x{"error":{"message":"m"}}'), undefined, 'text that is no JSON document')
  t.match(readProviderError({ error: { details: Array.from({ length: 10 }, (_, i) => ({ reason: `R${i}` })) } })?.reasons, ['R0', 'R1', 'R2', 'R3', 'R4', 'R5', 'R6', 'R7'])
  t.equal(readProviderError({ error: { details: Array.from({ length: 10 }, (_, i) => ({ reason: `R${i}` })) } })?.reasons.length, 8, 'eight details at most')
  t.equal(readProviderError({ error: { details: [{ reason: 'r'.repeat(300) }] } })?.reasons[0]?.length, 100)
  t.same(readProviderError({ error: { details: [{ violations: Array.from({ length: 6 }, (_, i) => ({ quotaId: `Q${i}` })) }] } })?.reasons, ['Q0', 'Q1', 'Q2', 'Q3'])
  t.equal(readProviderError({ error: { details: [{ violations: [{ quotaId: 'q'.repeat(300) }] }] } })?.reasons[0]?.length, 100)
  t.match(readProviderError({ error: { message: 'm', innererror: { code: 5 } } }), { reasons: [] })
})

t.test('"A, then B nearby": found within the window, and only the first four As are tried', async (t) => {
  t.ok(followedWithin('requested 300 tokens, limit 100', /requested \d/g, /limit \d/, 40))
  t.notOk(followedWithin(`requested 3${' '.repeat(50)}limit 1`, /requested \d/g, /limit \d/, 40), 'beyond the window')
  t.notOk(followedWithin('requested 1 '.repeat(4) + 'requested 1 limit 2', /requested \d/g, /limit \d/, 9), 'a fifth A is not tried')
  t.ok(followedWithin('requested 1 '.repeat(3) + 'requested 1 limit 2', /requested \d/g, /limit \d/, 9), 'a fourth is')
  t.notOk(followedWithin('nothing here', /requested \d/g, /limit \d/, 40))
  t.ok(precededWithin('tools are not supported', /not supported/g, /\btools?\b/, 20))
  t.notOk(precededWithin(`tools${' '.repeat(50)}not supported`, /not supported/g, /\btools?\b/, 20), 'beyond the window')
  t.ok(precededWithin('x tools not supported', /not supported/g, /^x/, 15), 'a window longer than the text before starts at the text\'s start')
  t.notOk(precededWithin('not supported '.repeat(4) + 'tools not supported', /not supported/g, /\btools?\b/, 6), 'a fifth anchor is not tried')
  t.ok(precededWithin('not supported '.repeat(3) + 'tools not supported', /not supported/g, /\btools?\b/, 6), 'a fourth is')
  t.notOk(precededWithin('all fine', /not supported/g, /\btools?\b/, 20))
  t.ok(composedPatterns.length > 3 && composedPatterns.every((pattern) => pattern instanceof RegExp))
  t.equal(compose('a+', 'g').flags, 'g')
  t.equal(compose('a+').flags, '')
})

t.test('the rest of the waits and request ids', async (t) => {
  t.equal(providerWait({}, { error: { message: `${'x'.repeat(2000)} try again in 5s` } }), undefined, 'a message is read up to 2,000 characters')
  t.equal(providerWait({}, { error: { details: [...Array.from({ length: 8 }, () => ({})), { retryDelay: '5s' }] } }), undefined, 'eight details at most')
  t.equal(providerWait({ 'anthropic-ratelimit-requests-reset': '2026-12-06T00:00:30Z' }, undefined, Date.parse('2026-12-06T00:00:00Z')), 30_000)
  t.equal(providerWait({ 'anthropic-ratelimit-tokens-reset': 'x2026-12-06T00:00:30Z' }, undefined, 0), undefined, 'a date only at the start')
  t.equal(parseRetryAfter('5x'), undefined)
  t.equal(parseRetryAfter('1.x'), undefined)
  t.equal(parseRetryAfter('1.25'), 1250)
  t.equal(parseRetryAfter('xWed, 25 Nov 2026 12:00:30 GMT'), undefined)
  t.equal(parseRetryAfter('Wed, 25 Nov 2026 12:00:30 GMTx'), undefined)
  t.equal(parseRetryAfter(0), 0, 'zero seconds is a wait')
  t.equal(parseRetryAfter(' '.repeat(62) + '1'), 1000, '63 characters are read')
  t.equal(parseRetryAfter(' '.repeat(63) + '1'), 1000, '64 too')
  t.equal(parseRetryAfter(' '.repeat(64) + '1'), undefined, '65 are not')
  t.equal(headerSafeId('a'), 'a')
  t.equal(headerSafeId('ab'), 'ab')
  const ids = new Set(Array.from({ length: 600 }, () => gatewayGenReqId()))
  t.equal(ids.size, 600, 'unique across refills of the pool')
  const fromHeader = gatewayGenReqId.fromHeader({ header: 'X-Request-Id', trust: (request) => request.socket?.remoteAddress === '10.0.0.1' })
  const request = (id: unknown, remoteAddress = '10.0.0.1') => ({ headers: { 'x-request-id': id }, socket: { remoteAddress } }) as unknown as IncomingMessage
  t.equal(fromHeader(request('trace-1')), 'trace-1')
  t.match(fromHeader(request('trace-1', '10.9.9.9')), /^req_[0-9a-f]{32}$/)
  t.match(fromHeader(request('x'.repeat(129))), /^req_/)
  t.match(fromHeader(request(['a'])), /^req_/)
  t.equal(gatewayGenReqId.fromHeader({ header: 'x-request-id' })(request('any')), 'any')
  t.throws(() => gatewayGenReqId.fromHeader({ header: '' }), /header must be a header name/)
  t.throws(() => gatewayGenReqId.fromHeader({} as never), /header must be a header name/)
  t.throws(() => gatewayGenReqId.fromHeader(undefined as never), /header must be a header name/)
  t.throws(() => gatewayGenReqId.fromHeader({ header: 'x', trust: 1 as never }), /trust must be a function/)
  t.doesNotThrow(() => gatewayGenReqId.fromHeader({ header: 'x', trust: () => true }))
})

t.test('the edges the first mutation run found unguarded', async (t) => {
  t.equal(readProviderError(null), undefined)
  t.equal(readProviderError('[null]'), undefined)
  t.equal(readProviderError({ error: { message: null }, message: 'the root\'s' })?.message, 'the root\'s', 'a null message is none')
  t.equal(readProviderError({ error: { message: 'plain' } })?.message, 'plain')
  t.equal(translateProviderError({ status: 400, body: { error: { message: 'rejected by contentmanagement' } } }).code, 'content_filtered')
  t.notOk(isSafetyBlock({ candidates: [{ finishReason: 'NOT_SAFETY' }] }))
  t.notOk(isSafetyBlock(undefined))
  t.strictSame(translateProviderError({ status: 400, body: { error: { message: 'Maximum context length is 8192 tokens, you requested 9000 tokens' } } }).details,
    { upstream: { status: 400 }, requested_tokens: 9000, max_context_tokens: 8192 })
  t.strictSame(translateProviderError({ status: 400, body: { error: { message: 'max_tokens: 9000 tokens > 4096' } } }).details,
    { upstream: { status: 400 }, param: 'max_tokens' }, 'numbers in a message that is not about the context are not read as such')
  t.strictSame(translateProviderError({ status: 400, body: { error: { message: 'Extra inputs are not permitted' } } }),
    { code: 'unknown_field', details: { upstream: { status: 400 } } }, 'no field named: no param key at all')
  for (const [text, redacted] of [['aeyJabcdef.ghijkl', 'aeyJ…'], ['abcdefeyJab.ghijkl', 'abcdefeyJab.ghijkl'], ['abcdefghij.klmnop.eyJ', 'abcdefghij.klmnop.eyJ']]) {
    t.equal(redactString(text as string), redacted, text as string)
  }
  t.equal(parseRetryAfter('Wed, 25 Nov 2026 12:00:30 GMT+0100'), undefined, 'only the HTTP date format')
})

t.test('a wait is stated only for the codes that wait', async (t) => {
  for (const status of [500, 400, 404]) {
    const translated = translateProviderError({ status, headers: { 'retry-after': '3' }, body: { error: { message: 'x' } } })
    t.notOk('retry_after_ms' in translated.details, `${status} ${translated.code}: no wait`)
  }
})

t.test('noWaitCures: a limit of zero', async (t) => {
  t.ok(noWaitCures({ limit: 0 }))
  t.ok(noWaitCures({ limit: 0, retry_after_ms: 100 }))
  t.notOk(noWaitCures({ retry_after_ms: MAX_RETRY_AFTER_MS + 1 }), 'a long wait is still a wait (capped at 59 s)')
  t.notOk(noWaitCures({ limit: 1, retry_after_ms: 1000 }))
  t.notOk(noWaitCures({ limit: '0' }), 'a number only')
  t.notOk(noWaitCures({}))
  t.notOk(noWaitCures(null))
  t.notOk(noWaitCures(undefined))
  t.notOk(noWaitCures('limit 0'))
  t.notOk(noWaitCures({ get limit () { throw new Error('hostile') } }), 'details that cannot be read')
})
