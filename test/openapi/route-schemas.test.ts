// The error responses documented for each route (the routes themselves carry none), and the
// serializers every error reply goes through.
import Fastify, { type RouteOptions } from 'fastify'
import t from 'tap'
import gatewayErrors, { documentedSchema, GatewayError, GatewayErrorSchemas } from '../internals'
import { buildApp, validateBody } from '../helpers'

/** Collects routes as @fastify/swagger does; `documented` is what withGatewayErrors documents. */
function collect () {
  const routes: Record<string, RouteOptions> = {}
  return {
    onRoute: (route: RouteOptions) => { routes[`${String(route.method)} ${route.url}`] = route },
    documented: (key: string) => documentedSchema(routes[key] as RouteOptions, routes[key]?.schema)?.response as Record<string, unknown>,
    own: (key: string) => routes[key]?.schema?.response as Record<string, unknown> | undefined
  }
}

t.test('every error status is documented, none is attached to the route, and error replies use the shared serializers', async (t) => {
  const routes = collect()
  const seen = new Proxy({}, { get: (_target, key: string) => routes.documented(key) }) as Record<string, Record<string, unknown>>
  const app = await buildApp({}, (app) => {
    app.addHook('onRoute', routes.onRoute)
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
  t.equal(routes.own('GET /a'), undefined, 'the route itself carries no error schema')
  t.same(Object.keys(routes.own('GET /b') as object), ['200'], 'nor does a route with schemas of its own')
  t.same(Object.keys(routes.own('GET /own404') as object), ['404'])
})

t.test('declared codes narrow the documented statuses and enums', async (t) => {
  const routes = collect()
  const app = await buildApp({}, (app) => {
    app.addHook('onRoute', routes.onRoute)
    app.get('/n', { config: { gatewayErrors: { codes: ['model_not_found', 'rate_limit_exceeded', 'budget_exhausted', 'insufficient_quota'] } } }, async (_request, reply) => reply.gatewayError('model_not_found'))
  })
  t.teardown(() => app.close())
  const response = routes.documented('GET /n') as Record<string, { properties?: { error: { properties: { code: { enum: string[] } } } } }>
  t.same(Object.keys(response).sort(), ['404', '429'])
  t.same(response['404']?.properties?.error.properties.code.enum, ['model_not_found'])
  t.equal((response['429'] as { title?: string }).title, 'GatewayError429', 'every code of a status declared: the shared schema')
  t.equal((response['429']?.properties?.error.properties.code.enum ?? []).length, 3)
  t.equal((await app.inject('/n')).statusCode, 404)
})

t.test('no error responses documented when routeSchemas is false', async (t) => {
  const routes = collect()
  const app = await buildApp({ routeSchemas: false }, (app) => {
    app.addHook('onRoute', routes.onRoute)
    app.get('/a', async (_request, reply) => reply.gatewayError('model_not_found'))
  })
  t.teardown(() => app.close())
  t.equal(routes.documented('GET /a'), undefined)
  t.equal((await app.inject('/a')).json().error.code, 'model_not_found')
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

t.test("routeSchemas: 'ranges' documents one schema for 4xx and one for 5xx", async (t) => {
  const routes = collect()
  const seen = new Proxy({}, { get: (_target, key: string) => routes.documented(key) }) as Record<string, Record<string, unknown>>
  const app = await buildApp({ routeSchemas: 'ranges' }, (app) => {
    app.addHook('onRoute', routes.onRoute)
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

t.test('a route\'s own error schemas: documented beside the catalog\'s, in every form a route declares them', async (t) => {
  const routes = collect()
  const mine = { type: 'object', properties: { mine: { type: 'boolean' } } }
  const app = await buildApp({ negotiate: true }, (app) => {
    app.addHook('onRoute', routes.onRoute)
    app.addSchema(GatewayErrorSchemas[404])
    app.get('/ref', { schema: { response: { 404: { $ref: 'GatewayError404#' } } } }, async () => 'ok')
    app.get('/content', {
      schema: { response: { 404: { content: { 'application/json': { schema: mine }, 'text/plain': { schema: { type: 'string' } } } } } }
    } as never, async () => 'ok')
    app.get('/default', { schema: { response: { default: mine } } }, async () => 'ok')
    app.get('/teapot', { schema: { response: { 418: { description: 'I am a teapot', ...mine } } } }, async () => 'ok')
  })
  t.teardown(() => app.close())
  t.same(routes.documented('GET /ref')['404'], { $ref: 'GatewayError404#' }, 'a route that declares ours keeps it as it is')
  const content = routes.documented('GET /content')['404'] as { description: string, content: Record<string, { schema: { anyOf?: unknown[] } }> }
  t.match(content.description, /^The route's own reply, or a catalog error\. Error 404/, 'without a description of its own')
  t.same(content.content['application/json']?.schema.anyOf?.[0], mine, 'the route\'s own schema first')
  t.same(content.content['text/plain'], { schema: { type: 'string' } }, 'a media type the catalog never sends is left alone')
  t.ok(content.content['application/problem+json'], 'and the catalog\'s other media types are added')
  const fallback = routes.documented('GET /default').default as { content: Record<string, { schema: { anyOf: Array<{ title?: string }> } }> }
  t.same(fallback.content['application/json']?.schema.anyOf.map((schema) => schema.title), [undefined, 'GatewayError4xx', 'GatewayError5xx'], 'default: the route\'s, then every 4xx and 5xx')
  t.same(routes.documented('GET /teapot')['418'], { description: 'I am a teapot', ...mine }, 'a status no catalog code has is the route\'s alone')
})
