// One test per translation rule, through the plugin's error handler and not-found handler.
import t from 'tap'
import { fieldPath, GatewayError, translateError } from '../internals'
import { buildApp, validateBody } from '../helpers'

const chatSchema = {
  body: {
    type: 'object',
    required: ['model', 'messages'],
    additionalProperties: false,
    properties: {
      model: { type: 'string' },
      temperature: { type: 'number', minimum: 0, maximum: 2 },
      stream: { type: 'boolean' },
      messages: {
        type: 'array',
        items: { type: 'object', required: ['role'], properties: { role: { type: 'string', enum: ['user', 'system'] } } }
      },
      n: { anyOf: [{ type: 'integer', minimum: 1 }, { type: 'null' }] }
    }
  }
} as const

async function app () {
  return buildApp({}, (app) => {
    app.post('/v1/chat/completions', { schema: chatSchema }, async () => ({ ok: true }))
    /* eslint-disable no-throw-literal */
    app.get('/throw/string', async () => { throw 'a string' })
    app.get('/throw/null', async () => { throw null })
    app.get('/throw/undefined', async () => { throw undefined })
    /* eslint-enable no-throw-literal */
    app.get('/throw/error', async () => { throw new Error('connection string postgres://user:hunter2@db') })
    app.get('/throw/status-600', async () => { throw Object.assign(new Error('weird'), { statusCode: 600 }) })
    app.get('/throw/status-99', async () => { throw Object.assign(new Error('weird'), { statusCode: 99 }) })
    app.get('/throw/status-nan', async () => { throw Object.assign(new Error('weird'), { statusCode: Number.NaN }) })
    app.get('/throw/status-string', async () => { throw Object.assign(new Error('weird'), { statusCode: '404' }) })
    app.get('/throw/404', async () => { throw Object.assign(new Error('no such thing'), { statusCode: 404 }) })
    app.get('/throw/401', async () => { throw Object.assign(new Error('who are you'), { status: 401 }) })
    app.get('/throw/418', async () => { throw Object.assign(new Error('teapot'), { statusCode: 418, expose: true }) })
    app.get('/throw/429', async (_request, reply) => {
      reply.header('retry-after', '12')
      throw Object.assign(new Error('Rate limit exceeded, retry in 12 seconds'), { statusCode: 429 })
    })
    app.get('/throw/503', async () => { throw Object.assign(new Error('db down at 10.0.0.3'), { statusCode: 503 }) })
    app.get('/throw/sync', () => { throw new GatewayError('feature_disabled', { feature: 'batch' }) })
    app.get('/send/error', (_request, reply) => { reply.send(new GatewayError('model_not_found', { model: 'x' })) })
    app.get('/throw/getter', async () => {
      throw { get statusCode () { throw new Error('trap') } } // eslint-disable-line no-throw-literal
    })
  }, { bodyLimit: 1024 })
}

t.test('Fastify validation errors', async (t) => {
  const server = await app()
  t.teardown(() => server.close())
  const cases: Array<[unknown, string, string | null]> = [
    [{ messages: [] }, 'missing_required_parameter', 'model'],
    [{ model: 'm', messages: [{}] }, 'missing_required_parameter', 'messages[0].role'],
    [{ model: 'm', messages: [], temperature: 3 }, 'invalid_parameter_value', 'temperature'],
    [{ model: 'm', messages: [], temperature: 'hot' }, 'invalid_parameter_value', 'temperature'],
    [{ model: 'm', messages: [{ role: 'wizard' }] }, 'invalid_parameter_value', 'messages[0].role'],
    [{ model: 'm', messages: [], n: -1 }, 'invalid_parameter_value', 'n'],
    [[1, 2], 'invalid_request', null]
  ]
  for (const [payload, code, param] of cases) {
    const res = await server.inject({ method: 'POST', url: '/v1/chat/completions', payload: payload as object })
    const body = res.json()
    t.equal(res.statusCode, 400, `${JSON.stringify(payload)}: 400`)
    t.equal(body.error.code, code, `${JSON.stringify(payload)}: ${code}`)
    t.equal(body.error.param, param, `${JSON.stringify(payload)}: param ${param}`)
    t.equal(validateBody('openai', code as never, body), null, 'valid body')
  }
})

t.test('unknown_field needs an Ajv that does not strip unknown properties', async (t) => {
  const server = await buildApp({}, (app) => {
    app.post('/v1/chat/completions', { schema: chatSchema }, async () => ({ ok: true }))
  }, { ajv: { customOptions: { removeAdditional: false } } })
  t.teardown(() => server.close())
  const res = await server.inject({ method: 'POST', url: '/v1/chat/completions', payload: { model: 'm', messages: [], temprature: 1 } })
  t.equal(res.statusCode, 400)
  t.equal(res.json().error.code, 'unknown_field')
  t.equal(res.json().error.param, 'temprature')
  t.equal(res.json().error.message, "Request contains an unrecognized field: 'temprature'")

  const stripping = await app()
  t.teardown(() => stripping.close())
  const stripped = await stripping.inject({ method: 'POST', url: '/v1/chat/completions', payload: { model: 'm', messages: [], temprature: 1 } })
  t.equal(stripped.statusCode, 200, 'Fastify\'s default Ajv removes the unknown field silently')
})

t.test('body and content errors', async (t) => {
  const server = await app()
  t.teardown(() => server.close())
  const url = '/v1/chat/completions'
  const cases: Array<[Record<string, string>, string, number, string]> = [
    [{ 'content-type': 'application/json' }, '{"model": ', 400, 'invalid_request'],
    [{ 'content-type': 'application/json' }, '', 400, 'invalid_request'],
    [{ 'content-type': 'text/xml' }, '<a/>', 400, 'invalid_request'],
    [{ 'content-type': 'application/json' }, JSON.stringify({ model: 'x'.repeat(2048), messages: [] }), 413, 'payload_too_large']
  ]
  for (const [headers, payload, status, code] of cases) {
    const res = await server.inject({ method: 'POST', url, headers, payload })
    t.equal(res.statusCode, status, `${code}: status`)
    t.equal(res.json().error.code, code, code)
    t.equal(validateBody('openai', code as never, res.json()), null)
  }
  const media = await server.inject({ method: 'POST', url, headers: { 'content-type': 'text/xml' }, payload: '<a/>' })
  t.equal(media.json().error.message, 'Malformed or invalid request: unsupported Content-Type')
})

t.test('routes: unknown path 404, wrong method 405 with Allow', async (t) => {
  const server = await app()
  t.teardown(() => server.close())
  let res = await server.inject({ method: 'GET', url: '/v1/nothing-here?key=sk-abcdefghijklmnop' })
  t.equal(res.statusCode, 404)
  t.equal(res.json().error.code, 'resource_not_found')
  t.notMatch(res.body, 'sk-abcdefghijklmnop', 'the URL is not echoed')
  res = await server.inject({ method: 'GET', url: '/v1/chat/completions?x=1' })
  t.equal(res.statusCode, 405)
  t.equal(res.headers.allow, 'POST')
  t.equal(res.json().error.code, 'method_not_allowed')
  t.same(res.json().error.details, { method: 'GET', allowed: ['POST'] })
  t.equal(validateBody('openai', 'method_not_allowed', res.json()), null)
})

t.test('anything thrown', async (t) => {
  const server = await app()
  t.teardown(() => server.close())
  const cases: Array<[string, number, string]> = [
    ['/throw/string', 500, 'internal_error'],
    ['/throw/null', 500, 'internal_error'],
    ['/throw/undefined', 500, 'internal_error'],
    ['/throw/error', 500, 'internal_error'],
    ['/throw/status-600', 500, 'internal_error'],
    ['/throw/status-99', 500, 'internal_error'],
    ['/throw/status-nan', 500, 'internal_error'],
    ['/throw/status-string', 500, 'internal_error'],
    ['/throw/404', 404, 'resource_not_found'],
    ['/throw/401', 401, 'invalid_api_key'],
    ['/throw/418', 400, 'invalid_request'],
    ['/throw/429', 429, 'rate_limit_exceeded'],
    ['/throw/503', 503, 'service_unavailable'],
    ['/throw/sync', 403, 'feature_disabled'],
    ['/send/error', 404, 'model_not_found'],
    ['/throw/getter', 500, 'internal_error']
  ]
  for (const [url, status, code] of cases) {
    const res = await server.inject(url)
    const body = res.json()
    t.equal(res.statusCode, status, `${url}: ${status}`)
    t.equal(body.error.code, code, `${url}: ${code}`)
    t.equal(validateBody('openai', code as never, body), null, `${url}: valid body`)
    t.notMatch(res.body, /hunter2|10\.0\.0\.3|weird|at .*\.ts/, `${url}: no original message or stack`)
  }
  const teapot = await server.inject('/throw/418')
  t.equal(teapot.json().error.message, 'Malformed or invalid request: teapot', 'an exposed 4xx message is kept')
  const limited = await server.inject('/throw/429')
  t.equal(limited.headers['retry-after'], '12', 'the wait set by a rate limiter is kept')
  t.equal(limited.headers['retry-after-ms'], '12000')
  t.equal(limited.headers['x-should-retry'], 'true')
})

t.test('translateError is pure and total', async (t) => {
  t.same(translateError(new GatewayError('model_not_found', { model: 'm' })), { code: 'model_not_found', details: { model: 'm' }, unexpected: false, trusted: false })
  t.same(translateError(new GatewayError('nope' as never)), { code: 'internal_error', unexpected: true })
  t.same(translateError(Symbol('x')), { code: 'internal_error', unexpected: true })
  t.same(translateError({ validation: [{ keyword: 'if', instancePath: '/a/b' }] }), { code: 'invalid_request', details: { param: 'a.b' }, unexpected: false, trusted: true })
  t.same(translateError({ validation: [{}] }), { code: 'invalid_request', details: {}, unexpected: false, trusted: true })
  t.same(translateError({ validation: [{ keyword: 'maximum', instancePath: '/t' }] }), { code: 'invalid_parameter_value', details: { param: 't' }, unexpected: false, trusted: true })
  t.equal(fieldPath('/a~1b/0/c~0d'), 'a/b[0].c~d')
  t.equal(fieldPath(''), '')
})

t.test('statuses without a nearest code', async (t) => {
  t.same(translateError({ statusCode: 418 }), { code: 'invalid_request', unexpected: false })
  t.same(translateError({ statusCode: 501 }), { code: 'internal_error', unexpected: true })
  t.same(translateError({ statusCode: 402 }), { code: 'insufficient_quota', unexpected: false })
})

t.test('a route\'s own schemaErrorFormatter is kept, and its errors are still translated', async (t) => {
  const seen: string[] = []
  const server = await buildApp({}, (app) => {
    app.post('/v1/chat/completions', {
      schema: chatSchema,
      schemaErrorFormatter: (errors, dataVar) => {
        seen.push(`${dataVar}:${errors[0]?.keyword}`)
        return new Error('custom')
      }
    }, async () => ({ ok: true }))
    app.post('/other', { schema: chatSchema }, async () => ({ ok: true }))
  }, { schemaErrorFormatter: () => new Error('server-level') })
  t.teardown(() => server.close())
  const res = await server.inject({ method: 'POST', url: '/v1/chat/completions', payload: { messages: [] } })
  t.equal(res.statusCode, 400)
  t.equal(res.json().error.code, 'missing_required_parameter')
  t.equal(res.json().error.param, 'model')
  t.same(seen, ['body:required'], 'the route\'s formatter ran')
  const other = await server.inject({ method: 'POST', url: '/other', payload: { model: 'm', messages: [], temperature: 'hot' } })
  t.equal(other.json().error.code, 'invalid_parameter_value', 'with a server-level formatter too, the reply is translated from error.validation')
  t.equal(other.json().error.param, 'temperature')
})
