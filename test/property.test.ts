// Anything thrown, or passed to reply.send, yields a catalog reply that validates against the
// published schema: status from the catalog, no stack, no original message for 5xx.
// FC_RUNS raises the number of runs (the nightly script uses 200,000).
import fc from 'fast-check'
import t from 'tap'
import { catalog, GatewayError, isGatewayErrorCode, statuses, type GatewayErrorCode } from './internals'
import { buildApp, validateBody } from './helpers'

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
