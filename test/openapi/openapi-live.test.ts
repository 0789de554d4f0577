// The served OpenAPI document against the wire: for routes with and without error schemas of their
// own, every reply (each code, each envelope, the route's own bodies) validates against the schema
// the document gives its status and content type, every catalog header it carries is documented, and
// every example is the body the route really sends for that code (request id aside).
import swagger from '@fastify/swagger'
import { validate } from '@readme/openapi-parser'
import Ajv from 'ajv'
import Fastify, { type FastifyInstance } from 'fastify'
import t from 'tap'
import gatewayErrors, { catalog, GatewayErrorSchemas, sendableCodes, withGatewayErrors, type SendableCode } from '../internals'

type Json = Record<string, any>

const OWN_404 = { description: 'Our own not-found', type: 'object', properties: { missing: { type: 'string' } }, required: ['missing'], additionalProperties: false }
const OWN_5XX = { description: 'Our own outage', type: 'object', properties: { outage: { type: 'boolean' } }, required: ['outage'], additionalProperties: false }
const OWN_DEFAULT = { description: 'Anything else', type: 'object', properties: { oops: { type: 'string' } }, required: ['oops'], additionalProperties: false }

async function gateway (options: Record<string, unknown>): Promise<FastifyInstance> {
  const app = Fastify()
  await app.register(swagger, withGatewayErrors({ openapi: { info: { title: 'gateway', version: '1.0.0' } } }))
  await app.register(gatewayErrors, options)
  const handler = async (request: { params: unknown }, reply: any) => {
    const { code } = request.params as { code: string }
    if (code === 'own-404') return reply.code(404).send({ missing: 'x' })
    if (code === 'own-503') return reply.code(503).send({ outage: true })
    if (code === 'own-418') return reply.code(418).send({ oops: 'teapot' })
    return reply.gatewayError(code as SendableCode)
  }
  app.get('/plain/:code', handler)
  app.get('/anthropic/:code', { config: { gatewayErrors: { envelope: 'anthropic' } } }, handler)
  app.get('/own/:code', { schema: { response: { 200: { type: 'object' }, 404: OWN_404, '5xx': OWN_5XX } } }, handler)
  app.get('/own-default/:code', { schema: { response: { default: OWN_DEFAULT } } }, handler)
  app.get('/declared/:code', { schema: { response: { 404: OWN_404 } }, config: { gatewayErrors: { codes: ['model_not_found', 'rate_limit_exceeded'] } } }, handler)
  await app.ready()
  return app
}

function documentedResponse (operation: Json, status: number): Json | undefined {
  const responses = operation.responses as Record<string, Json>
  return responses[String(status)] ?? responses[`${String(status)[0]}XX`] ?? responses[`${String(status)[0]}xx`] ?? responses.default
}

function checker (doc: Json) {
  const ajv = new Ajv({ strict: false, allErrors: true })
  ajv.addSchema({ $id: 'doc', components: doc.components ?? {} })
  const rebase = (schema: unknown): unknown => JSON.parse(JSON.stringify(schema).replaceAll('"#/components/', '"doc#/components/'))
  const compiled = new Map<unknown, ReturnType<typeof ajv.compile>>()
  return (schema: Json, body: unknown): string | null => {
    let check = compiled.get(schema)
    if (check === undefined) {
      const { $id: _id, ...rest } = rebase(schema) as Json
      check = ajv.compile(rest)
      compiled.set(schema, check)
    }
    return check(body) ? null : ajv.errorsText(check.errors)
  }
}

const CATALOG_HEADERS = ['x-should-retry', 'retry-after', 'retry-after-ms', 'x-request-id', 'request-id']

for (const [label, options] of [
  ['docsRoute, negotiation', { docsRoute: '/errors', negotiate: true }],
  ['docsUrl, ranges', { docsUrl: 'https://docs.example.com/errors', routeSchemas: 'ranges' }],
  ['defaults', {}]
] as const) {
  t.test(`${label}: every reply validates against the served document and every example is a live reply`, async (t) => {
    const app = await gateway(options)
    t.teardown(() => app.close())
    const doc = JSON.parse(JSON.stringify(app.swagger())) as Json
    const result = await validate(JSON.parse(JSON.stringify(doc)))
    t.same(result.valid ? [] : result.errors, [], 'valid according to @readme/openapi-parser')
    const check = checker(doc)
    let replies = 0
    let examples = 0
    const ownBodies: Record<string, string[]> = {
      '/plain/{code}': [], '/anthropic/{code}': [], '/own/{code}': ['own-404', 'own-503'], '/own-default/{code}': ['own-404', 'own-503', 'own-418'], '/declared/{code}': ['own-404']
    }
    for (const [path, own] of Object.entries(ownBodies)) {
      const operation = doc.paths[path].get as Json
      const accepts = 'negotiate' in options ? ['application/json', 'application/problem+json'] : ['application/json']
      const codes = path === '/declared/{code}' ? ['model_not_found', 'rate_limit_exceeded'] : sendableCodes
      for (const code of [...codes, ...own]) {
        for (const accept of accepts) {
          const res = await app.inject({ url: path.replace('{code}', code), headers: { accept } })
          const response = documentedResponse(operation, res.statusCode)
          const where = `${path} ${code} (${accept}): ${res.statusCode}`
          if (!t.ok(response, `${where}: documented`) || response === undefined) continue
          const type = String(res.headers['content-type']).split(';')[0] as string
          const media = response.content?.[type]
          if (!t.ok(media, `${where}: ${type} documented`)) continue
          replies++
          t.equal(check(media.schema, res.json()), null, `${where}: the body validates against the served schema`)
          if (code.startsWith('own-')) continue
          const sent = CATALOG_HEADERS.filter((name) => res.headers[name] !== undefined)
          t.same(sent.filter((name) => response.headers?.[name] === undefined), [], `${where}: every catalog header it sent is documented`)
          const example = media.examples?.[code]
          if (!t.ok(example, `${where}: an example for the code`)) continue
          examples++
          const id = String(res.headers['x-request-id'])
          t.same(JSON.parse(res.body.replaceAll(id, 'req-example')), example.value, `${where}: the example is the live reply`)
          t.equal(example.summary, catalog[code as SendableCode].message)
        }
      }
    }
    t.notMatch(JSON.stringify(GatewayErrorSchemas[404].examples), 'doc_url', 'the exported schemas are not changed by a document')
    t.ok(replies > 200, `${replies} replies checked`)
    t.ok(examples > 150, `${examples} examples compared with live replies`)
    for (const [path, status] of [['/own/{code}', '404'], ['/own/{code}', '5XX'], ['/own-default/{code}', 'default']] as const) {
      const response = doc.paths[path].get.responses[status] as Json
      t.match(response.description, /^Our own|^Anything else/, `${path} ${status}: the route's own description comes first`)
      t.match(response.description, 'or a catalog error', `${path} ${status}: and says catalog errors come too`)
    }
  })
}

t.test('the start-up log says where catalog errors go on a route with its own error schemas', async (t) => {
  const lines: string[] = []
  const app = Fastify({ logger: { level: 'info', stream: { write: (line: string) => { lines.push(line) } } } })
  await app.register(gatewayErrors)
  app.get('/own', { schema: { response: { 404: OWN_404 } } }, async () => ({}))
  await app.ready()
  t.teardown(() => app.close())
  const said = lines.map((line) => JSON.parse(line) as Json).find((line) => line.route === 'GET /own')
  t.match(said?.msg, /catalog errors on them keep the catalog's shape, documented beside yours/)
  t.same(said?.statuses, [404])
})
