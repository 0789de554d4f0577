// Anything thrown, or passed to reply.send, yields a catalog reply that validates against the
// published schema: status from the catalog, no stack, no original message for 5xx.
// FC_RUNS raises the number of runs (the nightly script uses 200,000).
import fc from 'fast-check'
import t from 'tap'
import { catalog, GatewayError, isGatewayErrorCode, statuses, type GatewayErrorCode } from '../internals'
import { buildApp, validateBody } from '../helpers'

const RUNS = Number(process.env.FC_RUNS ?? 10_000)
const MARKER = 'ORIGINAL-SECRET-MESSAGE'

// Built inside the property from a name, so that fast-check never has to print them.
const HOSTILE: Record<string, () => unknown> = {
  'getter that throws': () => ({ get statusCode () { throw new Error(MARKER) } }),
  'message getter that throws': () => ({ get message () { throw new Error(MARKER) }, statusCode: 400 }),
  'proxy that throws on every access': () => new Proxy({}, { get () { throw new Error(MARKER) }, getPrototypeOf () { throw new Error(MARKER) }, ownKeys () { throw new Error(MARKER) } }),
  '__proto__ key': () => JSON.parse(`{"__proto__": {"statusCode": 400, "message": "${MARKER}"}}`),
  'null prototype': () => Object.create(null),
  circular: () => { const a: Record<string, unknown> = { message: MARKER, statusCode: 503 }; a.self = a; a.details = a; return a },
  'GatewayError with circular details': () => { const d: Record<string, unknown> = {}; d.self = d; return new GatewayError('upstream_error', d as never) },
  'GatewayError with a throwing getter in details': () => new GatewayError('model_not_found', { get model (): string { throw new Error(MARKER) } }),
  'GatewayError with huge details': () => new GatewayError('invalid_request', { reason: MARKER.repeat(100_000) }),
  'GatewayError with an unknown code': () => new GatewayError('nope' as never)
}
const hostileObject = fc.constantFrom(...Object.keys(HOSTILE)).map((name) => ({ hostile: name }))

const statusValue = fc.oneof(
  fc.constantFrom(0, 99, 100, 200, 302, 399, 400, 401, 404, 405, 409, 413, 418, 422, 429, 451, 499, 500, 502, 503, 504, 599, 600, 1000, -1),
  fc.constantFrom(Number.NaN, Infinity, 404.5, '404', '500', null, undefined, true, {}, []),
  fc.integer()
)

const errorLike = fc.record({
  message: fc.oneof(fc.constant(MARKER), fc.string({ maxLength: 200 }).map((s) => `${MARKER}${s}`), fc.constant(MARKER.repeat(20_000))),
  statusCode: statusValue,
  status: fc.option(statusValue, { nil: undefined }),
  code: fc.oneof(fc.constantFrom('FST_ERR_CTP_INVALID_MEDIA_TYPE', 'FST_ERR_CTP_BODY_TOO_LARGE', 'ECONNRESET', 'model_not_found', 'no_such'), fc.string({ maxLength: 20 })),
  expose: fc.boolean(),
  validation: fc.option(fc.array(fc.record({ keyword: fc.constantFrom('required', 'additionalProperties', 'type', 'anyOf', 'x'), instancePath: fc.constantFrom('', '/a', '/a/0/b', '/__proto__'), params: fc.dictionary(fc.string({ maxLength: 10 }), fc.string({ maxLength: 10 })), message: fc.string({ maxLength: 50 }) }), { maxLength: 3 }), { nil: undefined })
}, { requiredKeys: ['message', 'statusCode'] }).map((fields) => Object.assign(new Error(fields.message), fields))

const thrown = fc.oneof(
  fc.anything({ maxDepth: 3, withNullPrototype: true, withBigInt: true, withBoxedValues: true, withMap: true, withSet: true, withTypedArray: true, withSparseArray: true }),
  fc.string(),
  fc.constantFrom(null, undefined, 0, Number.NaN, Symbol('s'), () => MARKER),
  errorLike,
  hostileObject
)

t.test(`${RUNS} thrown or sent values all become catalog replies`, async (t) => {
  let current: unknown
  let via: 'throw' | 'send' = 'throw'
  const app = await buildApp({}, (app) => {
    app.get('/throw', async () => { throw current })
    app.get('/send', (_request, reply) => { reply.send(current instanceof Error ? current : Object.assign(new Error(MARKER), { statusCode: (current as { statusCode?: unknown })?.statusCode })) })
  })
  t.teardown(() => app.close())
  const seen = new Set<number>()
  let failures = 0
  await fc.assert(fc.asyncProperty(thrown, fc.boolean(), async (value, bySend) => {
    current = typeof value === 'object' && value !== null && 'hostile' in value ? (HOSTILE[(value as { hostile: string }).hostile] as () => unknown)() : value
    via = bySend ? 'send' : 'throw'
    const res = await app.inject(`/${via}`)
    seen.add(res.statusCode)
    let body: { error?: { code?: unknown } }
    try { body = res.json() } catch { failures++; console.error('not JSON', res.statusCode, res.body.slice(0, 200)); return false }
    const code = body.error?.code
    if (!isGatewayErrorCode(code) || catalog[code as GatewayErrorCode].status !== res.statusCode) { failures++; console.error('not catalog', res.statusCode, res.body.slice(0, 300)); return false }
    if (!statuses.includes(res.statusCode as never)) return false
    if (validateBody('openai', code, body) !== null) return false
    if (res.body.includes('    at ') || /\.(ts|js):\d+/.test(res.body)) return false
    if (res.statusCode >= 500 && res.body.includes(MARKER)) return false
    return res.headers['x-should-retry'] === String(catalog[code].retryable) && res.body.length < 2000
  }), { numRuns: RUNS })
  t.equal(failures, 0)
  t.ok(seen.has(500) && seen.has(400), `statuses seen: ${[...seen].sort().join(', ')}`)
})

// Provider replies are attacker-controlled too (a provider echoing a caller's value, a hostile proxy):
// long hostile strings in every place a provider puts words, in each provider's shape.
const PROVIDER_RUNS = Math.max(200, Math.floor(RUNS / 20))
const PLANTED = ['sk-proj-PLANTEDa1b2c3d4e5f6g7h8i9j0', 'AIzaSyPLANTED0123456789abcdefghijklm', 'Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJQTEFOVEVEIn0.c2lnbmF0dXJlUExBTlRFRA']
const hostileText = fc.oneof(
  fc.string({ maxLength: 300 }),
  fc.tuple(fc.constantFrom('<', '(', '[', '{', '"', '\\', ' ', 'a', '0', ':', '/', '%', 'tokens > ', 'try again in 1', 'context'), fc.integer({ min: 1, max: 60_000 }))
    .map(([unit, times]) => unit.repeat(times)),
  fc.tuple(fc.string({ maxLength: 100 }), fc.constantFrom(...PLANTED), fc.string({ maxLength: 100 })).map((parts) => parts.join(' '))
)
const providerBody = fc.tuple(fc.constantFrom('openai', 'anthropic', 'gemini', 'array', 'string', 'flat', 'raw'), hostileText, hostileText)
  .map(([shape, message, other]) => {
    switch (shape) {
      case 'openai': return JSON.stringify({ error: { message, type: other, param: other, code: other } })
      case 'anthropic': return JSON.stringify({ type: 'error', error: { type: other, message } })
      case 'gemini': return JSON.stringify({ error: { code: 429, message, status: other, details: [{ reason: other, retryDelay: other, violations: [{ quotaId: other }] }] } })
      case 'array': return JSON.stringify([{ error: { message, status: other } }])
      case 'string': return JSON.stringify(message)
      case 'flat': return JSON.stringify({ message, detail: other })
      default: return `${message}${other}`
    }
  })

t.test(`${PROVIDER_RUNS} provider replies with long hostile strings: a catalog code, fast, nothing planted echoed`, async (t) => {
  const { translateProviderError } = await import('../../lib/upstream/provider-errors')
  let slowest = 0
  fc.assert(fc.property(fc.integer({ min: 100, max: 599 }), providerBody, fc.dictionary(fc.constantFrom('retry-after', 'retry-after-ms', 'x-ratelimit-reset-tokens', 'anthropic-ratelimit-requests-reset', 'x-amzn-errortype'), hostileText, { maxKeys: 3 }), (status, body, headers) => {
    const start = process.hrtime.bigint()
    const result = translateProviderError({ status, headers, body, provider: 'p', excerpt: true })
    slowest = Math.max(slowest, Number(process.hrtime.bigint() - start) / 1e6)
    const text = JSON.stringify(result.details)
    return isGatewayErrorCode(result.code) && !text.includes('PLANTED') && text.length < 2000
  }), { numRuns: PROVIDER_RUNS })
  t.ok(slowest < 100, `the slowest translation took ${slowest.toFixed(2)} ms`)
})
