import Fastify from 'fastify'
import { Writable } from 'node:stream'
import t from 'tap'
import gatewayErrors, { GatewayError, GatewayErrorSchemas, gatewayFrameworkErrors, validateOptions, type GatewayErrorEvent } from './internals'
import { buildApp, validateBody } from './helpers'

function logSink () {
  const lines: Array<Record<string, unknown>> = []
  const stream = new Writable({
    write (chunk, _encoding, callback) {
      lines.push(JSON.parse(chunk.toString()))
      callback()
    }
  })
  return { lines, logger: { level: 'info', stream } }
}

t.test('options are validated at register time', async (t) => {
  const bad: Array<[unknown, RegExp]> = [
    [{ envelope: 'xml' }, /option 'envelope' must be one of openai, anthropic, problem/],
    [{ negotiate: 'yes' }, /option 'negotiate' must be a boolean/],
    [{ onGatewayError: 42 }, /option 'onGatewayError' must be a function/],
    [{ undeclaredCodes: 'loud' }, /option 'undeclaredCodes'/],
    [{ serializerOpts: 3 }, /option 'serializerOpts' must be an object/],
    [{ envelopeFor: 'anthropic' }, /option 'envelopeFor' must be a function/],
    [{ colour: 'blue' }, /unknown option 'colour'/]
  ]
  for (const [options, message] of bad) {
    const app = Fastify()
    app.register(gatewayErrors, options as never)
    await t.rejects(async () => { await app.ready() }, message, JSON.stringify(options))
  }
})

t.test('validateOptions fills defaults and rejects non-objects', async (t) => {
  t.throws(() => validateOptions(null), /options must be an object/)
  t.throws(() => validateOptions([]), /options must be an object/)
  t.match(validateOptions({}), { envelope: 'openai', negotiate: false, errorHandler: true, notFoundHandler: true, routeSchemas: true })
})

t.test('registering twice fails at start-up with a clear message', async (t) => {
  const app = Fastify()
  app.register(gatewayErrors)
  app.register(gatewayErrors)
  await t.rejects(async () => { await app.ready() }, /fastify-gateway-errors: already registered/)
})

t.test('route config is validated when the route is added', async (t) => {
  for (const [config, message] of [
    [{ codes: ['model_not_found', 'nope'] }, /codes has codes not in the catalog: nope/],
    [{ codes: 'model_not_found' }, /codes must be an array/],
    [{ envelope: 'soap' }, /envelope must be one of/],
    ['yes', /config.gatewayErrors must be an object/]
  ] as const) {
    const app = Fastify()
    await app.register(gatewayErrors)
    t.throws(() => app.get('/x', { config: { gatewayErrors: config as never } }, async () => 'ok'), message)
  }
})

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

t.test('error schemas are attached to routes and serializers are shared', async (t) => {
  const seen: Record<string, Record<string, unknown>> = {}
  const app = await buildApp({}, (app) => {
    app.addHook('onRoute', (route) => { seen[`${route.method} ${route.url}`] = route.schema?.response as Record<string, unknown> })
    app.get('/a', async () => ({}))
    app.get('/b', { schema: { response: { 200: { type: 'object', properties: { ok: { type: 'boolean' } } } } } }, async () => ({ ok: true, extra: 1 }))
    app.get('/own404', {
      schema: { response: { 404: { type: 'object', properties: { mine: { type: 'boolean' } } } } }
    }, async (_request, reply) => reply.gatewayError('model_not_found'))
    app.get('/own4xx', { schema: { response: { '4xx': { type: 'object', properties: { mine: { type: 'boolean' } } } } } }, async () => 'ok')
  })
  t.teardown(() => app.close())
  const a = seen['GET /a'] as Record<string, unknown>
  t.same(Object.keys(a).sort(), ['400', '401', '403', '404', '405', '409', '413', '429', '500', '502', '503', '504'])
  t.equal((a['404'] as { title?: string }).title, 'GatewayError404', 'the full schema, inline')
  t.equal((a['404'] as { $id?: string }).$id, undefined, 'without $id: nothing is added with addSchema')
  t.equal(a['404'], seen['GET /b']?.['404'], 'one schema object shared by every route')
  t.same(Object.keys(seen['GET /own4xx'] as object).sort(), ['4xx', '500', '502', '503', '504'], 'a route\'s 4xx covers every 4xx')
  t.same((await app.inject('/b')).json(), { ok: true }, 'the route\'s own 200 schema still serialises')
  const own = await app.inject('/own404')
  t.equal(own.statusCode, 404)
  t.equal(validateBody('openai', 'model_not_found', own.json()), null, 'a route\'s own 404 schema cannot mangle the catalog body')
  t.same(Object.keys(app.getSchemas()), [], 'no shared schemas: Fastify\'s validator pool stays cheap for every route')
})

t.test('the onGatewayError hook sees every error once', async (t) => {
  const events: GatewayErrorEvent[] = []
  const app = await buildApp({ onGatewayError: (event) => events.push(event) }, (app) => {
    app.get('/a', async (_request, reply) => reply.gatewayError('upstream_timeout', { provider: 'p', timeout_ms: 10 }))
    app.get('/b', async () => { throw new Error('x') })
  })
  t.teardown(() => app.close())
  await app.inject('/a')
  await app.inject('/b')
  await app.inject('/c')
  t.same(events.map((e) => [e.code, e.status, e.retryable, e.route, e.method, e.disconnected]), [
    ['upstream_timeout', 504, true, '/a', 'GET', false],
    ['internal_error', 500, false, '/b', 'GET', false],
    ['resource_not_found', 404, false, undefined, 'GET', false]
  ])
  t.ok(events.every((e) => typeof e.elapsedMs === 'number' && e.requestId.startsWith('req-')))
  t.type(events[1]?.error, Error, 'the original error reaches the hook')
})

t.test('a hook that throws does not break the reply', async (t) => {
  const sink = logSink()
  const app = await buildApp({ onGatewayError: () => { throw new Error('metrics down') } }, (app) => {
    app.get('/a', async (_request, reply) => reply.gatewayError('model_not_found'))
  }, { logger: sink.logger })
  t.teardown(() => app.close())
  t.equal((await app.inject('/a')).statusCode, 404)
  t.ok(sink.lines.some((l) => String(l.msg).includes('onGatewayError hook threw')))
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

t.test('declared codes narrow the documented statuses and enums', async (t) => {
  let response: Record<string, { $ref?: string, properties?: { error: { properties: { code: { enum: string[] } } } } }> = {}
  const app = await buildApp({}, (app) => {
    app.addHook('onRoute', (route) => { if (route.url === '/n' && route.method === 'GET') response = route.schema?.response as never })
    app.get('/n', { config: { gatewayErrors: { codes: ['model_not_found', 'rate_limit_exceeded', 'budget_exhausted', 'insufficient_quota'] } } }, async (_request, reply) => reply.gatewayError('model_not_found'))
  })
  t.teardown(() => app.close())
  t.same(Object.keys(response).sort(), ['404', '429'])
  t.same(response['404']?.properties?.error.properties.code.enum, ['model_not_found'])
  t.equal((response['429'] as { title?: string }).title, 'GatewayError429', 'every code of a status declared: the shared schema')
  t.equal((response['429']?.properties?.error.properties.code.enum ?? []).length, 3)
  t.equal((await app.inject('/n')).statusCode, 404)
})

t.test('client_disconnected is recorded, never written', async (t) => {
  const events: GatewayErrorEvent[] = []
  const sink = logSink()
  const app = await buildApp({ onGatewayError: (event) => events.push(event) }, (app) => {
    app.get('/gone', async (_request, reply) => reply.gatewayError('client_disconnected' as never)) // a JavaScript caller
  }, { logger: sink.logger })
  t.teardown(() => app.close())
  await t.rejects(app.inject('/gone'), 'the connection is closed without a reply')
  t.same(events.map((e) => [e.code, e.status, e.disconnected]), [['client_disconnected', 0, true]])
  t.ok(sink.lines.some((l) => l.code === 'client_disconnected' && typeof l.elapsedMs === 'number'))

  const noHook = await buildApp({}, (app) => {
    app.get('/gone', async (_request, reply) => reply.gatewayError('client_disconnected' as never)) // a JavaScript caller
  })
  t.teardown(() => noHook.close())
  await t.rejects(noHook.inject('/gone'), 'no hook: still closed, still logged')
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
  const app = await buildApp({ negotiate: true }, (app) => {
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

t.test('no schemas attached when routeSchemas is false', async (t) => {
  let response: unknown = 'unset'
  const app = await buildApp({ routeSchemas: false }, (app) => {
    app.addHook('onRoute', (route) => { response = route.schema?.response })
    app.get('/a', async (_request, reply) => reply.gatewayError('model_not_found'))
  })
  t.teardown(() => app.close())
  t.equal(response, undefined)
  t.equal((await app.inject('/a')).json().error.code, 'model_not_found')
})

t.test('production defaults: no details checks, undeclared codes not reported', async (t) => {
  const previous = process.env.NODE_ENV
  process.env.NODE_ENV = 'production'
  t.teardown(() => { process.env.NODE_ENV = previous })
  t.match(validateOptions({}), { checkDetails: false, undeclaredCodes: 'off' })
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
})

t.test('a custom serializer compiler still serialises the routes\' own schemas', async (t) => {
  const app = await buildApp({}, (app) => {
    app.setSerializerCompiler(() => () => '"custom"')
    app.get('/a', { schema: { response: { 200: { type: 'object' } } } }, async () => ({ x: 1 }))
    app.get('/b', async (_request, reply) => reply.gatewayError('model_not_found'))
  })
  t.teardown(() => app.close())
  t.equal((await app.inject('/a')).body, '"custom"')
  t.equal((await app.inject('/b')).json().error.code, 'model_not_found', 'error replies keep the shared serializer')
})

t.test('routes with constraints and method arrays are known to the 405 check', async (t) => {
  const app = await buildApp({}, (app) => {
    app.route({ method: ['PUT', 'PATCH'], url: '/multi', handler: async () => 'ok' })
    app.get('/versioned', { constraints: { version: '1.0.0' } }, async () => 'v1')
    app.get('/versioned', { constraints: { version: '2.0.0' } }, async () => 'v2')
  })
  t.teardown(() => app.close())
  const res = await app.inject({ method: 'DELETE', url: '/multi' })
  t.equal(res.statusCode, 405)
  t.equal(res.headers.allow, 'PATCH, PUT')
  t.equal((await app.inject({ method: 'POST', url: '/versioned' })).headers.allow, 'GET, HEAD')
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

t.test('route-level serializer compilers and schemas that refer to ours', async (t) => {
  const app = await buildApp({}, (app) => {
    app.addSchema(GatewayErrorSchemas[404]) // an app that refers to our schemas adds them itself
    app.get('/own-compiler', { serializerCompiler: () => () => '"own"', schema: { response: { 200: { type: 'object' } } } }, async () => ({}))
    app.get('/own-compiler-error', { serializerCompiler: () => () => '"own"' }, async (_request, reply) => reply.gatewayError('model_not_found'))
    app.get('/ref', { schema: { response: { 200: { $ref: 'GatewayError404#' } } } }, async (request) => ({
      error: { message: 'm', type: 'invalid_request_error', code: 'model_not_found', param: null, request_id: request.id, retryable: false, extra: 1 }
    }))
  })
  t.teardown(() => app.close())
  t.equal((await app.inject('/own-compiler')).body, '"own"')
  t.equal((await app.inject('/own-compiler-error')).json().error.code, 'model_not_found', 'error replies keep the shared serializer')
  const ref = await app.inject('/ref')
  t.equal(ref.statusCode, 200)
  t.notOk('extra' in ref.json().error, 'serialized by the referenced schema')
})

t.test('malformed URLs, with frameworkErrors: translated, not echoed, elapsed time known', async (t) => {
  const events: GatewayErrorEvent[] = []
  const app = await buildApp({ onGatewayError: (event) => events.push(event) }, (app) => {
    app.get('/a/:id', async () => 'ok')
  }, { frameworkErrors: gatewayFrameworkErrors })
  t.teardown(() => app.close())
  const res = await app.inject('/a/%zz')
  t.equal(res.statusCode, 400)
  t.equal(res.json().error.code, 'invalid_request')
  t.equal(events.length, 1)
  t.ok(events[0]?.elapsedMs !== undefined && events[0].elapsedMs >= 0)
  t.notMatch(res.body, '%zz', 'the URL is not echoed')

  const Fastify = (await import('fastify')).default
  const bare = Fastify({ frameworkErrors: gatewayFrameworkErrors })
  bare.get('/a/:id', async () => 'ok')
  t.teardown(() => bare.close())
  const fallback = await bare.inject('/a/%zz')
  t.equal(fallback.statusCode, 400, 'without the plugin registered: still a catalog body')
  t.equal(fallback.json().error.code, 'invalid_request')
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

t.test('gatewayClientErrorHandler writes a catalog 400 and closes; resets are left alone', async (t) => {
  const { gatewayClientErrorHandler } = await import('../lib/index')
  const written: string[] = []
  let destroyed = 0
  const socket = { destroyed: false, writable: true, write: (data: string) => { written.push(data) }, destroy: () => { destroyed++ } }
  gatewayClientErrorHandler(Object.assign(new Error('bad'), { code: 'HPE_INVALID_HEADER_TOKEN' }), socket as never)
  t.match(written[0], /^HTTP\/1.1 400 Bad Request\r\n/)
  t.match(written[0], /"code":"invalid_request"/)
  t.equal(destroyed, 1)
  gatewayClientErrorHandler(Object.assign(new Error('reset'), { code: 'ECONNRESET' }), socket as never)
  t.equal(written.length, 1, 'nothing written to a reset connection')
  t.equal(destroyed, 2)
})

t.test("routeSchemas: 'ranges' attaches one schema for 4xx and one for 5xx", async (t) => {
  const seen: Record<string, Record<string, unknown>> = {}
  const app = await buildApp({ routeSchemas: 'ranges' }, (app) => {
    app.addHook('onRoute', (route) => { seen[`${route.method} ${route.url}`] = route.schema?.response as Record<string, unknown> })
    app.get('/a', async (_request, reply) => reply.gatewayError('model_not_found', { model: 'm' }))
    app.get('/b', async () => { throw new GatewayError('upstream_timeout') })
    app.get('/own', { schema: { response: { 404: { type: 'object', properties: { mine: { type: 'boolean' } } } } } }, async (_request, reply) => reply.gatewayError('model_not_found'))
    app.get('/declared', { config: { gatewayErrors: { codes: ['model_not_found'] } } }, async (_request, reply) => reply.gatewayError('model_not_found'))
  })
  t.teardown(() => app.close())
  t.same(Object.keys(seen['GET /a'] as object).sort(), ['4xx', '5xx'])
  t.equal((seen['GET /a']?.['4xx'] as { title?: string }).title, 'GatewayError4xx')
  t.same(Object.keys(seen['GET /declared'] as object), ['4xx'])
  t.same((seen['GET /declared']?.['4xx'] as { properties: { error: { properties: { code: { enum: string[] } } } } }).properties.error.properties.code.enum, ['model_not_found'])
  const a = await app.inject('/a')
  t.equal(a.statusCode, 404)
  t.equal(validateBody('openai', 'model_not_found', a.json()), null)
  t.equal(a.json().error.details.model, 'm')
  t.equal((await app.inject('/b')).json().error.code, 'upstream_timeout')
  t.equal(validateBody('openai', 'model_not_found', (await app.inject('/own')).json()), null, 'the route\'s own 404 schema is documented, the body stays whole')
  await t.rejects(async () => { const bad = Fastify(); bad.register(gatewayErrors, { routeSchemas: 'some' as never }); await bad.ready() }, /option 'routeSchemas' must be true, false or 'ranges'/)
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
