// reply.gatewayError and the error handler: envelopes, declared codes, streams, request ids, failures.
import t from 'tap'
import { GatewayError } from '../internals'
import { buildApp, logSink, validateBody } from '../helpers'

t.test('an app with its own error handler calls reply.gatewayErrorFrom', async (t) => {
  const app = await buildApp({ errorHandler: false, notFoundHandler: false }, (app) => {
    app.setErrorHandler((error, _request, reply) => {
      if ((error as { code?: string }).code === 'TEAPOT') return reply.code(418).send({ tea: true })
      return reply.gatewayErrorFrom(error)
    })
    app.get('/tea', async () => { throw Object.assign(new Error('t'), { code: 'TEAPOT' }) })
    app.get('/model', async () => { throw new GatewayError('model_not_found', { model: 'x' }) })
  })
  t.teardown(() => app.close())
  t.equal((await app.inject('/tea')).statusCode, 418)
  const res = await app.inject('/model')
  t.equal(res.statusCode, 404)
  t.equal(res.json().error.code, 'model_not_found')
  const notFound = await app.inject('/missing')
  t.equal(notFound.statusCode, 404)
  t.equal(notFound.json().error, 'Not Found', 'Fastify\'s own not-found handler is left alone')
})

t.test('misuse by JavaScript callers: unknown code, wrong details', async (t) => {
  const sink = logSink()
  const app = await buildApp({}, (app) => {
    app.get('/unknown', async (_request, reply) => reply.gatewayError('no_such_code' as never))
    app.get('/throw-unknown', async () => { throw new GatewayError('no_such_code' as never) })
    app.get('/wrong', async (_request, reply) => reply.gatewayError('method_not_allowed', { method: 5, allowed: 'GET' } as never))
    app.get('/primitive', async (_request, reply) => reply.gatewayError('model_not_found', 'gpt' as never))
  }, { logger: sink.logger })
  t.teardown(() => app.close())
  for (const url of ['/unknown', '/throw-unknown']) {
    const res = await app.inject(url)
    t.equal(res.statusCode, 500)
    t.equal(res.json().error.code, 'internal_error')
  }
  t.ok(sink.lines.some((l) => String(l.msg).includes("'no_such_code' is not a catalog code")), 'a clear log line')
  const wrong = await app.inject('/wrong')
  t.equal(wrong.statusCode, 405)
  t.equal(wrong.json().error.message, 'HTTP method not supported on this endpoint', 'the catalog message when details do not fit')
  t.ok(sink.lines.some((l) => String(l.msg).includes("details of the wrong shape for 'method_not_allowed'")))
  const primitive = await app.inject('/primitive')
  t.equal(primitive.statusCode, 404)
  t.equal(primitive.json().error.details, undefined)
})

t.test('declared codes: undeclared ones are reported', async (t) => {
  const sink = logSink()
  const config = { gatewayErrors: { codes: ['model_not_found', 'rate_limit_exceeded'] as const } }
  const routes = (app: import('fastify').FastifyInstance) => {
    app.get('/declared', { config }, async (_request, reply) => reply.gatewayError('model_not_found'))
    app.get('/undeclared', { config }, async (_request, reply) => reply.gatewayError('upstream_timeout'))
  }
  const warn = await buildApp({}, routes, { logger: sink.logger })
  t.teardown(() => warn.close())
  t.equal((await warn.inject('/declared')).statusCode, 404)
  t.equal((await warn.inject('/undeclared')).statusCode, 504, 'warn: the code is still sent')
  t.ok(sink.lines.some((l) => String(l.msg).includes("'upstream_timeout' is not declared by route GET /undeclared")))

  const strict = await buildApp({ undeclaredCodes: 'error' }, routes)
  t.teardown(() => strict.close())
  t.equal((await strict.inject('/undeclared')).json().error.code, 'internal_error', 'error: replaced by internal_error')

  const thrower = await buildApp({ undeclaredCodes: 'throw' }, (app) => {
    routes(app)
    app.get('/thrown-undeclared', { config }, async () => { throw new GatewayError('upstream_timeout') })
  })
  t.teardown(() => thrower.close())
  const thrown = await thrower.inject('/undeclared')
  t.equal(thrown.statusCode, 500, 'throw: reply.gatewayError throws, the handler fails')
  t.equal(thrown.json().error.code, 'internal_error')
  const fromHandler = await thrower.inject('/thrown-undeclared')
  t.equal(fromHandler.statusCode, 500, 'throw: a thrown undeclared code fails too')
  t.equal(fromHandler.json().error.code, 'internal_error')
  t.equal((await thrower.inject('/declared')).statusCode, 404, 'declared codes are untouched')

  const off = await buildApp({ undeclaredCodes: 'off' }, routes)
  t.teardown(() => off.close())
  t.equal((await off.inject('/undeclared')).statusCode, 504)
})

t.test('an error after a stream has started becomes one SSE error event', async (t) => {
  const app = await buildApp({}, (app) => {
    app.get('/stream', async (_request, reply) => {
      reply.raw.writeHead(200, { 'content-type': 'text/event-stream' })
      reply.raw.write('data: {"choices":[]}\n\n')
      reply.hijack()
      return reply.gatewayError('upstream_error', { provider: 'p' })
    })
  })
  t.teardown(() => app.close())
  const res = await app.inject('/stream')
  t.equal(res.statusCode, 200)
  const events = res.body.trim().split('\n\n')
  t.equal(events.length, 2)
  const error = JSON.parse((events[1] as string).replace(/^data: /, ''))
  t.equal(error.error.code, 'upstream_error')
  t.equal(validateBody('openai', 'upstream_error', error), null)
  t.notMatch(res.body, '[DONE]')
})

t.test('envelopes: per route, and problem+json by negotiation', async (t) => {
  const app = await buildApp({ negotiate: true, retryJitter: false }, (app) => {
    app.post('/v1/messages', { config: { gatewayErrors: { envelope: 'anthropic' } } }, async (_request, reply) => reply.gatewayError('service_unavailable', { retry_after_ms: 2000 }))
    app.get('/v1/models/:id', async (_request, reply) => reply.gatewayError('model_not_found', { model: 'm' }))
  })
  t.teardown(() => app.close())
  const anthropic = await app.inject({ method: 'POST', url: '/v1/messages' })
  t.equal(anthropic.statusCode, 503)
  t.equal(anthropic.headers['request-id'], anthropic.headers['x-request-id'])
  t.equal(anthropic.headers['retry-after-ms'], '2000')
  const body = anthropic.json()
  t.same(body, {
    type: 'error',
    error: {
      type: 'overloaded_error',
      message: 'Planned or temporary capacity shortage',
      code: 'service_unavailable',
      details: { retry_after_ms: 2000, error_code: 'service_unavailable', param: null, retryable: true }
    },
    request_id: anthropic.headers['request-id']
  })
  t.equal(validateBody('anthropic', 'service_unavailable', body), null)

  const problem = await app.inject({ url: '/v1/models/m', headers: { accept: 'application/problem+json' } })
  t.equal(problem.statusCode, 404)
  t.equal(problem.headers['content-type'], 'application/problem+json; charset=utf-8')
  t.match(problem.json(), { type: 'urn:gateway-error:model_not_found', title: 'Requested model ID isn’t in the catalog', status: 404, code: 'model_not_found', param: 'model' })
  t.equal(validateBody('problem', 'model_not_found', problem.json()), null)

  const plain = await app.inject({ url: '/v1/models/m' })
  t.equal(plain.headers['content-type'], 'application/json; charset=utf-8')
  t.equal(plain.json().error.code, 'model_not_found')
})

t.test('route hooks of a route with config keep running, after ours', async (t) => {
  const calls: string[] = []
  const app = await buildApp({}, (app) => {
    const config = { gatewayErrors: { envelope: 'anthropic' as const } }
    app.get('/one', { config, onRequest: async () => { calls.push('one') } }, async (_request, reply) => reply.gatewayError('model_not_found'))
    app.get('/many', { config, onRequest: [async () => { calls.push('many') }] }, async (_request, reply) => reply.gatewayError('model_not_found'))
  })
  t.teardown(() => app.close())
  t.equal((await app.inject('/one')).json().error.details.error_code, 'model_not_found')
  t.equal((await app.inject('/many')).json().type, 'error')
  t.same(calls, ['one', 'many'])
})

t.test('request ids that cannot be a header value are cleaned', async (t) => {
  let next = 'bad id\u0007'
  const app = await buildApp({}, (app) => {
    app.get('/a', async (_request, reply) => reply.gatewayError('model_not_found'))
  }, { genReqId: () => next })
  t.teardown(() => app.close())
  let res = await app.inject('/a')
  t.equal(res.headers['x-request-id'], 'badid')
  t.equal(res.json().error.request_id, 'badid')
  next = ' \t'
  res = await app.inject('/a')
  t.equal(res.headers['x-request-id'], 'unknown')
  next = 42 as never
  res = await app.inject('/a')
  t.equal(res.headers['x-request-id'], '42', 'an id that is not a string')
  next = 'say-"hi"\\now'
  res = await app.inject('/a')
  t.equal(res.headers['x-request-id'], next, 'quotes and backslashes are printable: kept in the header')
  t.equal(res.json().error.request_id, next, 'and escaped in the body, which stays valid JSON')
  t.equal(validateBody('openai', 'model_not_found', res.json()), null)
})

t.test('a reply without details is the serialized template with the request id in it, in every envelope', async (t) => {
  const app = await buildApp({ negotiate: true }, (app) => {
    app.get('/a', async (_request, reply) => reply.gatewayError('model_not_found'))
    app.get('/m', { config: { gatewayErrors: { envelope: 'anthropic' } } }, async (_request, reply) => reply.gatewayError('model_not_found'))
    app.get('/own-serializer', async (_request, reply) => reply.serializer(() => '"not ours"').gatewayError('model_not_found'))
  }, { genReqId: () => 'req-"7"' })
  t.teardown(() => app.close())
  const openai = await app.inject('/a')
  t.same(openai.json().error.request_id, 'req-"7"')
  t.equal(openai.body, JSON.stringify(openai.json()), 'exactly the serialized body')
  const problem = await app.inject({ url: '/a', headers: { accept: 'application/problem+json' } })
  t.equal(problem.json().request_id, 'req-"7"')
  t.equal(problem.json().instance, 'urn:request:req-"7"', 'every place the id appears')
  t.equal(validateBody('problem', 'model_not_found', problem.json()), null)
  const anthropic = await app.inject('/m')
  t.equal(anthropic.headers['request-id'], 'req-"7"')
  t.equal(validateBody('anthropic', 'model_not_found', anthropic.json()), null)
  t.equal((await app.inject('/own-serializer')).json().error.code, 'model_not_found', 'a serializer set earlier does not touch it')
})

t.test('an error in a Messages stream is an `event: error`', async (t) => {
  const app = await buildApp({}, (app) => {
    app.post('/v1/messages', { config: { gatewayErrors: { envelope: 'anthropic' } } }, async (_request, reply) => {
      reply.hijack()
      reply.raw.writeHead(200, { 'content-type': 'text/event-stream' })
      reply.raw.write('event: message_start\ndata: {}\n\n')
      return reply.gatewayError('upstream_timeout', { timeout_ms: 5 })
    })
    app.get('/problem', { config: { gatewayErrors: { envelope: 'problem' } } }, async (_request, reply) => {
      reply.hijack()
      reply.raw.writeHead(200, { 'content-type': 'text/event-stream' })
      reply.raw.write('data: {}\n\n')
      return reply.gatewayError('upstream_timeout')
    })
  })
  t.teardown(() => app.close())
  const res = await app.inject({ method: 'POST', url: '/v1/messages' })
  const last = res.body.trim().split('\n\n').pop() as string
  t.match(last, /^event: error\ndata: /)
  t.equal(JSON.parse(last.split('\n')[1]?.slice(6) as string).error.details.error_code, 'upstream_timeout')
  const problem = await app.inject('/problem')
  t.match(problem.body, /event: error\ndata: \{"type":"urn:gateway-error:upstream_timeout"/)
})

t.test('envelopeFor picks the envelope per request; a selector that throws keeps the route\'s', async (t) => {
  const sink = logSink()
  const app = await buildApp({
    envelopeFor: (request) => {
      if (request.headers['x-boom'] !== undefined) throw new Error('selector bug')
      return request.headers['anthropic-version'] === undefined ? undefined : 'anthropic'
    }
  }, (app) => {
    app.get('/m', async (_request, reply) => reply.gatewayError('model_not_found', { model: 'm' }))
  }, { logger: sink.logger })
  t.teardown(() => app.close())
  const anthropic = await app.inject({ url: '/m', headers: { 'anthropic-version': '2023-06-01' } })
  t.equal(anthropic.json().error.details.error_code, 'model_not_found')
  t.equal(validateBody('anthropic', 'model_not_found', anthropic.json()), null, 'not squeezed through the route\'s OpenAI schema')
  const plain = await app.inject('/m')
  t.equal(plain.json().error.code, 'model_not_found')
  const boom = await app.inject({ url: '/m', headers: { 'x-boom': '1' } })
  t.equal(boom.json().error.code, 'model_not_found')
  t.ok(sink.lines.some((l) => String(l.msg).includes('envelopeFor threw')))
})

t.test('if the error reply itself fails, a bare internal_error still goes out, never Fastify\'s fallback', async (t) => {
  const app = await buildApp({}, (app) => {
    app.get('/a', async () => { throw new Error('ORIGINAL') })
  }, { genReqId: () => ({ toString () { throw new Error('hostile id') } }) as never, logger: false })
  t.teardown(() => app.close())
  const res = await app.inject('/a')
  t.equal(res.statusCode, 500)
  t.equal(res.json().error.code, 'internal_error')
  t.equal(res.headers['x-should-retry'], 'false')
  t.notMatch(res.body, 'ORIGINAL')
})

t.test('a route\'s envelope applies to errors raised by hooks that run before the route\'s own', async (t) => {
  const app = await buildApp({}, async (app) => {
    await app.register(async (scoped) => {
      scoped.addHook('onRequest', async () => { throw new GatewayError('invalid_api_key') })
      scoped.post('/v1/messages', { config: { gatewayErrors: { envelope: 'anthropic' } } }, async () => 'never')
    })
  })
  t.teardown(() => app.close())
  const res = await app.inject({ method: 'POST', url: '/v1/messages' })
  t.equal(res.statusCode, 401)
  t.equal(res.json().type, 'error')
  t.equal(res.json().error.details.error_code, 'invalid_api_key')
})
