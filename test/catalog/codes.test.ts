// Every sendable code, through reply.gatewayError and a thrown GatewayError: status, headers and a
// body valid against the published schema. The list comes from the catalog itself.
import { Value } from '@sinclair/typebox/value'
import t from 'tap'
import { catalog, codes, envelopeNames, envelopes, GatewayError, messageFor, sendableCodes, MAX_RETRY_AFTER_MS, type GatewayErrorCode, type SendableCode } from '../internals'
import { buildApp, sample, validateBody } from '../helpers'

const detailedCodes = sendableCodes.filter((code) => Object.keys(catalog[code].details.properties).length > 0)

t.test('the catalog', async (t) => {
  t.equal(new Set(codes).size, codes.length, 'each code once')
  t.same(sendableCodes, codes.filter((code) => catalog[code].status !== 0), 'every code but status 0 is written to clients')
  t.equal(catalog.client_disconnected.status, 0, 'client_disconnected is only recorded')
  for (const code of codes) {
    const entry = catalog[code]
    t.match(code, /^[a-z_]+$/)
    t.ok(entry.message.length > 0, `${code} has a message`)
    if (entry.status >= 500) t.equal(entry.type, 'server_error', `${code} is a server_error`)
    if (entry.status === 401) t.equal(entry.type, 'authentication_error')
    if (entry.status === 403) t.equal(entry.type, 'permission_error')
  }
  for (const code of ['model_unavailable', 'no_provider_available', 'rate_limit_exceeded', 'service_unavailable', 'upstream_error', 'upstream_timeout'] as const) {
    t.equal(catalog[code].retryable, true, `${code} is retryable`)
  }
  for (const code of codes.filter((code) => catalog[code].status >= 400 && catalog[code].status < 500 && code !== 'rate_limit_exceeded')) {
    t.equal(catalog[code].retryable, false, `${code}: a 4xx caused by the request (or an account limit) is not retryable`)
  }
  t.equal(catalog.budget_exhausted.type, 'insufficient_quota')
  t.equal(catalog.insufficient_quota.type, 'insufficient_quota')
  t.equal(catalog.rate_limit_exceeded.type, 'rate_limit_exceeded')
  t.equal(catalog.model_not_found.param, 'model')
})

t.test('reply.gatewayError and a thrown GatewayError, for every sendable code', async (t) => {
  const app = await buildApp({}, (app) => {
    app.get('/reply/:code', async (request, reply) => reply.gatewayError((request.params as { code: SendableCode }).code))
    app.get('/throw/:code', async (request) => { throw new GatewayError((request.params as { code: GatewayErrorCode }).code) })
  })
  t.teardown(() => app.close())
  for (const code of sendableCodes) {
    const entry = catalog[code]
    for (const how of ['reply', 'throw']) {
      const res = await app.inject({ method: 'GET', url: `/${how}/${code}` })
      const where = `${how} ${code}`
      t.equal(res.statusCode, entry.status, `${where}: status`)
      t.equal(res.headers['content-type'], 'application/json; charset=utf-8', `${where}: content-type`)
      t.equal(res.headers['x-should-retry'], String(entry.retryable), `${where}: x-should-retry`)
      t.match(res.headers['x-request-id'], /^req-/, `${where}: x-request-id`)
      t.notOk(res.headers['retry-after'], `${where}: no retry-after without a known wait`)
      const body = res.json()
      t.equal(validateBody('openai', code, body), null, `${where}: body valid against GatewayError${entry.status}`)
      t.same(body, {
        error: {
          message: messageFor(code, undefined),
          type: entry.type,
          code,
          param: entry.param,
          request_id: res.headers['x-request-id'],
          retryable: entry.retryable
        }
      }, `${where}: body`)
    }
  }
})

t.test('details make the message specific and travel in the body', async (t) => {
  const app = await buildApp({}, (app) => {
    app.post('/reply/:code', async (request, reply) => reply.gatewayError((request.params as { code: SendableCode }).code, request.body as never))
  })
  t.teardown(() => app.close())
  for (const code of detailedCodes) {
    const details = Value.Create(catalog[code].details) as Record<string, unknown>
    for (const key of Object.keys(catalog[code].details.properties)) {
      const schema = (catalog[code].details.properties as Record<string, { type?: string }>)[key] as { type?: string }
      if (details[key] === undefined || details[key] === '') {
        details[key] = schema.type === 'string' ? `${key}-value` : schema.type === 'array' ? [] : schema.type === 'object' ? sample(schema as never, key) : schema.type === 'integer' || schema.type === 'number' ? 7 : details[key]
      }
    }
    const res = await app.inject({ method: 'POST', url: `/reply/${code}`, payload: details })
    const body = res.json()
    t.equal(res.statusCode, catalog[code].status, `${code}: status`)
    t.equal(validateBody('openai', code, body), null, `${code}: valid`)
    t.ok(body.error.message.startsWith(catalog[code].message), `${code}: message starts with the catalog message`)
    if (catalog[code].subject !== undefined) t.not(body.error.message, catalog[code].message, `${code}: message names the subject`)
    t.same(Object.keys(body.error.details).sort(), Object.keys(details).sort(), `${code}: details in the body`)
  }
})

t.test('specific messages and headers', async (t) => {
  const app = await buildApp({}, (app) => {
    app.get('/ctx', async (_request, reply) => reply.gatewayError('context_length_exceeded', { requested_tokens: 200000, max_context_tokens: 128000, model: 'gpt-x' }))
    app.get('/rate', async () => { throw new GatewayError('rate_limit_exceeded', { retry_after_ms: 1500, limit: 60 }) })
    app.get('/long-wait', async (_request, reply) => reply.gatewayError('service_unavailable', { retry_after_ms: 60_000 }))
    app.get('/hour-wait', async (_request, reply) => reply.gatewayError('rate_limit_exceeded', { retry_after_ms: 3_600_000 }))
    app.get('/budget', async (_request, reply) => reply.gatewayError('budget_exhausted', { scope: 'project', limit_usd: 100, retry_after_ms: 1000 } as never))
    app.get('/param', async (_request, reply) => reply.gatewayError('missing_required_parameter', { param: 'messages[0].role' }))
  })
  t.teardown(() => app.close())

  let res = await app.inject('/ctx')
  t.equal(res.json().error.message, 'Token count exceeds the model’s context window: prompt is too long: 200000 tokens > 128000 maximum; the request exceeds the maximum context length')
  t.same(res.json().error.details, { requested_tokens: 200000, max_context_tokens: 128000, model: 'gpt-x' })

  res = await app.inject('/rate')
  t.equal(res.statusCode, 429)
  t.equal(res.headers['retry-after'], '2', 'seconds, rounded up')
  t.equal(res.headers['retry-after-ms'], '1500')
  t.equal(res.headers['x-should-retry'], 'true')
  t.equal(res.json().error.message, 'Requests-per-minute cap hit: limit 60 per minute')

  res = await app.inject('/long-wait')
  t.equal(res.headers['retry-after-ms'], '59000', 'a minute: capped under 60 s, the longest wait the SDKs honour')
  t.equal(res.headers['retry-after'], '59')
  t.equal(res.headers['x-should-retry'], 'true')
  t.equal(MAX_RETRY_AFTER_MS, 59_000)

  res = await app.inject('/hour-wait')
  t.equal(res.statusCode, 429)
  t.equal(res.json().error.code, 'rate_limit_exceeded', 'the code stands: the limit does come back')
  t.equal(res.headers['x-should-retry'], 'false', 'an hour away: beyond any client\'s wait, no retry advised')
  t.equal(res.json().error.retryable, false)
  t.notOk(res.headers['retry-after'], 'no wait to sleep through')
  t.equal(res.json().error.details.retry_after_ms, 3_600_000, 'the details say when')

  res = await app.inject('/budget')
  t.equal(res.statusCode, 429)
  t.equal(res.headers['x-should-retry'], 'false')
  t.notOk(res.headers['retry-after'], 'never a wait for a code that will not succeed')
  t.equal(res.json().error.message, 'Account or project budget reached: project limit $100; usage quota exhausted')

  res = await app.inject('/param')
  t.equal(res.json().error.param, 'messages[0].role', 'param from details')
})

t.test('every envelope, every sendable code: valid against that envelope\'s schema', async (t) => {
  for (const envelope of envelopeNames) {
    const app = await buildApp({ envelope }, (app) => {
      app.get('/reply/:code', async (request, reply) => reply.gatewayError((request.params as { code: SendableCode }).code))
    })
    for (const code of sendableCodes) {
      const res = await app.inject({ method: 'GET', url: `/reply/${code}` })
      t.equal(res.statusCode, catalog[code].status, `${envelope} ${code}: status`)
      t.equal(res.headers['content-type'], envelopes[envelope].contentType, `${envelope} ${code}: content-type`)
      t.equal(res.headers[envelopes[envelope].requestIdHeader], res.headers['x-request-id'], `${envelope} ${code}: request id header`)
      t.equal(validateBody(envelope, code, res.json()), null, `${envelope} ${code}: valid`)
      t.equal(JSON.stringify(res.json()).includes(code), true, `${envelope} ${code}: carries the code`)
    }
    await app.close()
  }
})
