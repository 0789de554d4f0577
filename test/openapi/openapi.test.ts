// The OpenAPI document of an app with declared and undeclared routes, built by @fastify/swagger and
// checked by a real OpenAPI validator: named components, statuses per route, narrowed enums, and
// examples that validate against their schemas.
import swagger from '@fastify/swagger'
import { Type, type TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import { validate } from '@readme/openapi-parser'
import Ajv from 'ajv'
import Fastify from 'fastify'
import t from 'tap'
import gatewayErrors, { codesWithStatus, statuses, withGatewayErrors, type GatewayErrorStatus } from '../internals'

type Json = Record<string, any>

async function document (openapi: string, options: Record<string, unknown> = {}): Promise<Json> {
  const app = Fastify({ ajv: { customOptions: { removeAdditional: false } } })
  await app.register(swagger, withGatewayErrors({ openapi: { openapi, info: { title: 'gateway', version: '1.0.0' } } }))
  await app.register(gatewayErrors, options)
  const typed = app.withTypeProvider<TypeBoxTypeProvider>()
  typed.post('/v1/chat/completions', {
    schema: { body: Type.Object({ model: Type.String(), messages: Type.Array(Type.Object({ role: Type.String() })) }) }
  }, async (request) => ({ model: request.body.model }))
  app.get('/v1/models/:id', { config: { gatewayErrors: { codes: ['model_not_found', 'rate_limit_exceeded', 'invalid_api_key'] } } }, async () => ({}))
  app.post('/v1/messages', { config: { gatewayErrors: { envelope: 'anthropic' } } }, async () => ({}))
  app.get('/v1/own', {
    schema: { response: { 404: { description: 'Our own not-found', type: 'object', properties: { missing: { type: 'string' } } } } }
  }, async () => ({}))
  await app.ready()
  const doc = app.swagger() as unknown as Json
  await app.close()
  return JSON.parse(JSON.stringify(doc))
}

for (const version of ['3.1.0', '3.0.3']) {
  t.test(`OpenAPI ${version}, without negotiation: one code left for a status`, async (t) => {
    const doc = await document(version)
    const result = await validate(JSON.parse(JSON.stringify(doc)))
    t.same(result.valid ? [] : result.errors, [], 'valid according to @readme/openapi-parser')
    const media = doc.paths['/v1/models/{id}'].get.responses['404'].content['application/json']
    t.same(Object.keys(media.examples), ['model_not_found'])
    t.equal(media.example, undefined, 'examples, never example beside them')
  })

  t.test(`OpenAPI ${version}`, async (t) => {
    const doc = await document(version, { negotiate: true })
    const result = await validate(JSON.parse(JSON.stringify(doc)))
    t.same(result.valid ? [] : result.errors, [], 'valid according to @readme/openapi-parser')

    const components = doc.components.schemas as Record<string, Json>
    t.notOk(Object.keys(components).some((name) => name.startsWith('def-')), 'no def-N names')
    for (const status of statuses) t.ok(components[`GatewayError${status}`], `GatewayError${status} is a component`)
    t.notOk(components.AnthropicError405 === undefined && components.AnthropicError404 === undefined, 'the anthropic route brings its components')

    const chat = doc.paths['/v1/chat/completions'].post.responses
    t.same(Object.keys(chat).filter((s) => s !== '200').sort(), statuses.map(String), 'an undeclared route lists every error status')
    t.equal(chat['404'].content['application/json'].schema.$ref, '#/components/schemas/GatewayError404')
    t.equal(chat['404'].content['application/problem+json'].schema.$ref, '#/components/schemas/ProblemDetails404', 'problem+json documented too')
    t.match(chat['429'].description, '`rate_limit_exceeded` (retryable): Requests-per-minute cap hit', 'the description names the codes with their messages')

    const model = doc.paths['/v1/models/{id}'].get.responses
    t.same(Object.keys(model).filter((s) => s !== '200').sort(), ['401', '404', '429'], 'a declared route lists its statuses only')
    const narrowed = model['404'].content['application/json'].schema
    t.same(narrowed.properties.error.properties.code.enum, ['model_not_found'], 'with the code enum narrowed')
    t.same(Object.keys(model['429'].content['application/json'].examples), ['rate_limit_exceeded'], 'and only the declared codes as examples')

    t.equal(doc.paths['/v1/messages'].post.responses['404'].content['application/json'].schema.$ref, '#/components/schemas/AnthropicError404')
    const own404 = doc.paths['/v1/own'].get.responses['404']
    t.match(own404.description, /^Our own not-found, or a catalog error\. Error 404/, 'a route\'s own error schema comes first, catalog errors beside it')
    t.same(own404.content['application/json'].schema.anyOf.map((schema: Json) => schema.$ref ?? Object.keys(schema.properties)), [['missing'], '#/components/schemas/GatewayError404'])
    t.equal(doc.paths['/v1/own'].get.responses['429'].content['application/json'].schema.$ref, '#/components/schemas/GatewayError429', '…and the others are added')

    // every example validates against the schema it illustrates
    const ajv = new Ajv({ strict: false })
    ajv.addSchema({ $id: 'doc', components: doc.components })
    let examples = 0
    for (const [path, item] of Object.entries(doc.paths as Record<string, Json>)) {
      for (const operation of Object.values(item) as Json[]) {
        for (const [status, response] of Object.entries(operation.responses as Record<string, Json>)) {
          for (const [type, media] of Object.entries((response.content ?? {}) as Record<string, Json>)) {
            if (media.examples === undefined) continue
            const schema = media.schema.$ref === undefined ? media.schema : components[media.schema.$ref.slice(21)]
            const check = ajv.compile(JSON.parse(JSON.stringify({ ...schema, $id: undefined }).replaceAll('"#/components/', '"doc#/components/')))
            for (const [code, example] of Object.entries(media.examples as Record<string, Json>)) {
              examples++
              t.ok(check(example.value), `${path} ${status} ${type} ${code}: the example is valid`)
            }
            if (media.schema.$ref !== undefined && type === 'application/json' && path === '/v1/chat/completions') {
              t.same(Object.keys(media.examples).sort(), [...codesWithStatus(Number(status) as GatewayErrorStatus)].sort(), `${status}: an example per code`)
            }
          }
        }
      }
    }
    t.ok(examples > 100, `${examples} examples checked`)
  })
}

t.test('without negotiation or anthropic routes, unused error components are pruned', async (t) => {
  const app = Fastify()
  await app.register(swagger, withGatewayErrors({
    openapi: { info: { title: 'x', version: '1' } },
    refResolver: { buildLocalReference: (_json: Json, _base: unknown, _fragment: unknown, i: number) => `mine-${i}` },
    transformObject: (documentObject: { openapiObject?: Json, swaggerObject?: Json }) => ({ ...documentObject.openapiObject, 'x-mine': true })
  }) as never)
  await app.register(gatewayErrors)
  app.addSchema({ $id: 'Mine', type: 'object', properties: { a: { type: 'string' } } })
  app.get('/a', { schema: { response: { 200: { $ref: 'Mine#' } } } }, async () => ({ a: 'x' }))
  await app.ready()
  const doc = app.swagger() as unknown as Json
  t.teardown(() => app.close())
  const names = Object.keys(doc.components.schemas)
  t.notOk(names.some((name) => name.startsWith('AnthropicError') || name.startsWith('ProblemDetails')))
  t.ok(names.includes('GatewayError404'))
  t.ok(names.some((name) => name.startsWith('mine-')), 'your refResolver still names your schemas')
  t.equal(doc['x-mine'], true, 'your transformObject still runs')
})

t.test('your transform still runs first; routes added before the plugin document only their own responses', async (t) => {
  const app = Fastify()
  const seen: string[] = []
  await app.register(swagger, withGatewayErrors({
    openapi: { info: { title: 'x', version: '1' } },
    transform: ({ schema, url }: { schema: Json | undefined, url: string }) => {
      seen.push(url)
      return url === '/renamed' ? { schema: { ...schema, summary: 'mine' }, url: '/v2/renamed' } : ({} as never)
    }
  }) as never)
  app.get('/before', { schema: { response: { 200: { type: 'object' } } } }, async () => ({}))
  await app.register(gatewayErrors)
  app.get('/renamed', async () => ({}))
  app.get('/plain', async () => ({}))
  await app.ready()
  t.teardown(() => app.close())
  const doc = app.swagger() as unknown as Json
  t.same(seen.sort(), ['/before', '/plain', '/renamed'])
  t.same(Object.keys(doc.paths['/before'].get.responses), ['200'], 'a route the plugin never saw: its own responses only')
  t.equal(doc.paths['/v2/renamed'].get.summary, 'mine', 'your url and schema are kept')
  t.ok(doc.paths['/v2/renamed'].get.responses['404'], 'and the error responses are added to your schema')
  t.ok(doc.paths['/plain'].get.responses['503'])
})

t.test('the example gateway serves a valid OpenAPI document and Swagger UI at /docs', async (t) => {
  const { build } = require('../../examples/gateway/app') as typeof import('../../examples/gateway/app')
  const app = build({ upstreamUrl: 'http://127.0.0.1:9' })
  t.teardown(() => app.close())
  const json = await app.inject('/docs/json')
  t.equal(json.statusCode, 200)
  const doc = json.json()
  const result = await validate(JSON.parse(JSON.stringify(doc)))
  t.same(result.valid ? [] : result.errors, [], 'valid')
  t.equal(doc.paths['/v1/messages'].post.responses['404'].content['application/json'].schema.title, 'AnthropicError404', 'the Anthropic route in its envelope')
  t.same(Object.keys(doc.paths['/v1/models/{id}'].get.responses).sort(), ['200', '400', '401', '403', '404', '429', '500', '503'])
  // The shop window: every route tagged, with its success reply, and only the errors it can answer
  // (the example tests check every error they see against this document: test/example/gateway-harness.ts).
  for (const [path, item] of Object.entries(doc.paths as Record<string, Json>)) {
    for (const [method, operation] of Object.entries(item) as Array<[string, Json]>) {
      const statuses = Object.keys(operation.responses)
      t.ok(operation.tags?.length > 0, `${method} ${path}: tagged`)
      t.ok(statuses.some((status) => /^2\d\d$/.test(status) && operation.responses[status].content !== undefined), `${method} ${path}: a success schema`)
      if (method === 'get' || method === 'delete') t.same(statuses.filter((status) => ['405', '409', '413'].includes(status)), [], `${method} ${path}: no 405, 409 or 413`)
      t.notOk(statuses.includes('405'), `${method} ${path}: 405 belongs to no route`)
    }
  }
  const ui = await app.inject('/docs/')
  t.equal(ui.statusCode, 200)
  t.match(ui.body, /swagger/i)
})

t.test('transformOpenApi and withGatewayErrors on unusual documents', async (t) => {
  const { transformOpenApi } = await import('../../lib/openapi/swagger')
  t.same(transformOpenApi({ openapi: '3.1.0' }), { openapi: '3.1.0' }, 'nothing to do')
  const odd = {
    openapi: '3.1.0',
    paths: {
      '/a': {
        get: { responses: { 200: { description: 'no content' }, 400: { content: { 'application/json': {} } } } },
        post: {},
        put: { responses: { 404: { content: { 'application/json': { schema: { $ref: '#/components/schemas/Missing' } } } } } },
        patch: { responses: { 404: { content: { 'application/json': { schema: { $ref: '#/definitions/Elsewhere' } } } } } },
        delete: { responses: { 404: { content: { 'application/json': { schema: { title: 'GatewayError404' } } } } } },
        head: { responses: { 404: { content: { 'application/json': { schema: { title: 'GatewayError404', properties: { error: {} } } } } } } },
        options: { responses: { 404: { content: { 'application/json': { schema: { title: 'AnthropicError404' } } } } } }
      }
    }
  }
  const out = transformOpenApi(JSON.parse(JSON.stringify(odd)))
  t.same(out.paths, odd.paths, 'schemas without codes get no examples; foreign ones are left alone')

  const options = withGatewayErrors({ openapi: {} })
  t.equal(options.refResolver?.buildLocalReference({ $id: 'Theirs' }, '', '', 3), 'Theirs', 'other $ids keep their name')
  t.equal(options.refResolver?.buildLocalReference({ $id: 'GatewayError404' }, '', '', 3), 'GatewayError404', 'ours, added by the app, keep theirs')
  t.equal(options.refResolver?.buildLocalReference({}, '', '', 3), 'def-3', 'and the rest are numbered as @fastify/swagger does')
  t.same(options.transformObject?.({ swaggerObject: { swagger: '2.0' } }), { swagger: '2.0' }, 'Swagger 2.0 documents pass through')
  t.same(options.transformObject?.({}), {})
})

t.test("OpenAPI with routeSchemas: 'ranges': 4XX and 5XX responses, still valid, with examples", async (t) => {
  const doc = await document('3.1.0', { routeSchemas: 'ranges' })
  const result = await validate(JSON.parse(JSON.stringify(doc)))
  t.same(result.valid ? [] : result.errors, [])
  const responses = doc.paths['/v1/chat/completions'].post.responses
  t.same(Object.keys(responses).filter((s) => s !== '200').sort(), ['4XX', '5XX'])
  t.equal(responses['4XX'].content['application/json'].schema.$ref, '#/components/schemas/GatewayError4xx')
  t.ok(Object.keys(responses['4XX'].content['application/json'].examples).length > 40, 'an example per 4xx code')
})
