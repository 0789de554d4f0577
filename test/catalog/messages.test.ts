// How details make a catalog message specific, for every code: with every field, with none, and
// with fields of the wrong shape (JavaScript callers).
import t from 'tap'
import { CapabilityRoutingError, catalog, codes, GatewayError, maskSecret, messageFor, redactString } from '../internals'
import { toSafeJson } from '../../lib/upstream/redact'
import { sample } from '../helpers'

t.test('every code: full details name the subject, empty details keep the catalog message (and any words clients match)', async (t) => {
  for (const code of codes) {
    const entry = catalog[code]
    const full = sample(entry.details) as Record<string, unknown>
    const message = messageFor(code, full)
    t.ok(message.startsWith(entry.message), `${code}: starts with the catalog message`)
    if (entry.subject !== undefined) t.not(message, entry.message, `${code}: names the subject`)
    const plain = entry.clientWords === undefined ? entry.message : `${entry.message}: ${entry.clientWords}`
    t.equal(messageFor(code, undefined), plain, `${code}: no details`)
    if (entry.clientWords !== undefined) t.ok(message.endsWith(`; ${entry.clientWords}`) || message === plain, `${code}: the client words close every message`)
    t.ok(messageFor(code, {}).startsWith(entry.message), `${code}: empty details`)
    t.ok(messageFor(code, { model: 5, param: {}, allowed: 7, params: 'x' }).startsWith(entry.message), `${code}: wrong shapes never throw`)
    const error = new GatewayError(code, full as never)
    t.equal(error.message, message, `${code}: GatewayError has the same message`)
    t.equal(error.statusCode, entry.status)
    t.equal(error.retryable, entry.retryable)
    t.ok(error.is(code))
  }
})

t.test('specific messages', async (t) => {
  const cases: Array<[Parameters<typeof messageFor>, string]> = [
    [['model_not_found', { model: 'gpt-9' }], "Requested model ID isn’t in the catalog: 'gpt-9'"],
    [['budget_exhausted', { scope: 'project' }], 'Account or project budget reached: project; usage quota exhausted'],
    [['budget_exhausted', { limit_usd: 5 }], 'Account or project budget reached: budget limit $5; usage quota exhausted'],
    [['duplicate_resource', { id: 'k1' }], "A resource with this identifier already exists: resource 'k1'"],
    [['duplicate_resource', { id: 'k1', resource: 'key' }], "A resource with this identifier already exists: key 'k1'"],
    [['state_precondition_failed', { state: 'archived' }], "Resource is not in the required state for this operation: state is 'archived'"],
    [['state_precondition_failed', { state: 'archived', required_state: 'active' }], "Resource is not in the required state for this operation: state is 'archived', needs 'active'"],
    [['hosted_tool_not_supported', { model: 'm' }], "Model does not support the requested hosted tool on available providers: model 'm'"],
    [['no_compatible_endpoint', { endpoint: '/v1/embeddings' }], "No provider supports the required API endpoint for this model: endpoint '/v1/embeddings'"],
    [['operation_not_allowed', { reason: 'key is read-only' }], 'Operation not permitted for current resource state or role: key is read-only'],
    [['upstream_timeout', { provider: 'acme' }], "Upstream exceeded the request deadline: provider 'acme'"],
    [['upstream_timeout', { timeout_ms: 30000 }], 'Upstream exceeded the request deadline: no answer within 30000 ms'],
    [['invalid_parameter_value', { param: 'temperature' }], "Field present, value outside allowed range or set: 'temperature'"],
    [['invalid_api_key', { key_hint: 'sk-…abcd' }], 'API key is missing, malformed, revoked, or unrecognized: sk-…abcd'],
    [['resource_not_found', { id: 'proj_1' }], "Requested resource not found: resource 'proj_1'"],
    [['tools_not_supported', {}], 'Model does not support tool/function calling']
  ]
  for (const [args, expected] of cases) t.equal(messageFor(...args), expected, args[0])
})

t.test('secrets and control characters never reach a message', async (t) => {
  const key = 'sk-proj-ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789'
  const message = messageFor('model_not_found', { model: `${key}\r\nSet-Cookie: x=1` })
  t.notMatch(message, 'ABCDEFGHIJKLMNOP')
  t.match(message, 'sk-…6789')
  t.notMatch(message, /[\r\n]/)
  t.equal(maskSecret(key), 'sk-…6789')
  t.equal(maskSecret('abcdefgh'), '…efgh')
  t.equal(redactString('hello world '.repeat(500)).length, 201, 'clipped with an ellipsis')
  t.equal(redactString('a'.repeat(40)), '…aaaa', 'a bare 40-character token is masked')
  t.equal(redactString('meta-llama/Llama-3.1-405B-Instruct-Turbo'), 'meta-llama/Llama-3.1-405B-Instruct-Turbo', 'model names survive')
})

t.test('toSafeJson copies any value into bounded, redacted JSON', async (t) => {
  const circular: Record<string, unknown> = { a: 1 }
  circular.self = circular
  t.same(toSafeJson(circular), { a: 1, self: null })
  const shared = { x: 1 }
  t.same(toSafeJson({ one: shared, two: shared }), { one: { x: 1 }, two: { x: 1 } }, 'a shared object is not a cycle')
  t.same(toSafeJson({ get boom () { throw new Error('no') }, ok: true }), { ok: true })
  t.same(toSafeJson(JSON.parse('{"__proto__": {"polluted": true}, "b": 2}')), { b: 2 })
  t.same(toSafeJson({ n: Number.NaN, i: Infinity, big: 10n, f: () => 1, s: Symbol('s'), u: undefined, d: true }), { n: null, i: null, big: '10', d: true })
  t.same(toSafeJson([1, undefined, 'x']), [1, null, 'x'])
  let deep: Record<string, unknown> = {}
  const root = deep
  for (let i = 0; i < 20; i++) { deep.next = {}; deep = deep.next as Record<string, unknown> }
  t.ok(JSON.stringify(toSafeJson(root)).length < 100, 'depth bounded')
  t.equal(Object.keys(toSafeJson(Object.fromEntries(Array.from({ length: 500 }, (_, i) => [`k${i}`, i]))) as object).length, 50, 'width bounded')
  const hostile = new Proxy({}, { ownKeys () { throw new Error('trap') } })
  t.equal(toSafeJson(hostile), null)
  t.equal(({} as Record<string, unknown>).polluted, undefined, 'no prototype pollution')
})

t.test('GatewayError looks like an Error to everything that checks', async (t) => {
  const error = new GatewayError('model_not_found', { model: 'm' })
  t.equal(Object.prototype.toString.call(error), '[object Error]')
  t.notOk(Object.keys(error).includes('message'), 'message is not enumerable')
  t.equal(error.message, "Requested model ID isn’t in the catalog: 'm'")
})

t.test('GatewayError', async (t) => {
  const error = new GatewayError('model_not_found', { model: 'm' }, { cause: new Error('db') })
  t.equal(error.name, 'GatewayError')
  t.type(error, Error)
  t.equal((error.cause as Error).message, 'db')
  t.equal(error.stack?.split('\n').length, 1, 'no stack frames captured by default')
  GatewayError.captureStackTraces = true
  try {
    t.ok((new GatewayError('internal_error').stack?.split('\n').length ?? 0) > 1, 'frames when asked for')
  } finally {
    GatewayError.captureStackTraces = false
  }
  t.equal(error.stack, "GatewayError: Requested model ID isn’t in the catalog: 'm'", 'its first line stands in for the stack')
  const withoutCause = new GatewayError('internal_error', undefined, {})
  t.notOk('cause' in withoutCause, 'no cause unless given')
  withoutCause.stack = 'replaced'
  t.equal(withoutCause.stack, 'replaced', 'stack stays writable, as on any Error')
  t.type(new CapabilityRoutingError('tools_not_supported', {}, []), GatewayError, 'subclasses keep their chain')
  t.type(new CapabilityRoutingError('tools_not_supported', {}, []), CapabilityRoutingError)
  const unknown = new GatewayError('nope' as never)
  t.equal(unknown.statusCode, 500)
  t.equal(unknown.retryable, false)
  t.notOk(error.is('rate_limit_exceeded'))
})
